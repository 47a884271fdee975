"""The burden view of a township or village (issue 20), drawn: the unit at the centre, one bar
per row of `evaluate.burden` — list items, work pushed down, inspections, seconded staff, boards,
forms and fields asked twice — with its count, its limit and the change from the baseline year;
rows over their limit in red, with what puts them over."""

from __future__ import annotations

import datetime as dt

import graphviz

from ..compile.index import Index
from ..evaluate.burden import unit_burden
from .style import FINDING, FINDING_FILL, MUTED, h, new_graph

BAR = 24  # cells of the widest bar


def burden_view(index: Index, unit: str, on: dt.date, baseline_year: int | None = None) -> graphviz.Digraph:
    if unit not in index.units:
        raise ValueError(f"未知单位 unknown unit: {unit}")
    b = unit_burden(index, unit, on, baseline_year)
    g = new_graph(f"burden-{unit}", f"{b.name} 负担一览 burden（{on}，基准年 baseline {b.baseline_year}，示例数据 from the policy）",
                  rankdir="LR")
    g.node("unit", f"<<B>{h(b.name)}</B><BR/>{h(b.unit)}<BR/>超限 over {b.over} · 负担 load {b.load}>",
           shape="box", style="rounded,filled", fillcolor="#e8f0fe")
    widest = max([r.count for r in b.rows] + [r.limit or 0 for r in b.rows] + [1])
    for r in b.rows:
        colour = FINDING if r.over else "#1f77b4"
        cells = max(1, round(BAR * r.count / widest)) if r.count else 0
        bar = f'<TD BGCOLOR="{colour}" WIDTH="{cells * 6}"> </TD>' if cells else ""
        limit = "无上限 no limit" if r.limit is None else f"上限 limit {r.limit}"
        change = "" if r.change is None else f" · 较 {r.baseline_year or b.baseline_year} 年 {r.change:+d}"
        rows = [f'<TR><TD ALIGN="LEFT" COLSPAN="2"><B>{h(r.label)}</B></TD></TR>',
                f'<TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2"><TR>{bar}'
                f'<TD>{r.count}</TD></TR></TABLE></TD>'
                f'<TD ALIGN="LEFT"><FONT COLOR="{MUTED}">{h(limit + change)}</FONT></TD></TR>']
        rows += [f'<TR><TD ALIGN="LEFT" COLSPAN="2"><FONT POINT-SIZE="10">{h(d)}</FONT></TD></TR>' for d in r.details[:6]]
        fill = FINDING_FILL if r.over else "white"
        g.node(f"row/{r.key}", f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0">{"".join(rows)}</TABLE>>',
               shape="box", style="filled", fillcolor=fill, color=colour)
        g.edge("unit", f"row/{r.key}", color=colour)
    return g
