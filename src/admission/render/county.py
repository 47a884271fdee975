"""The county overview: townships × list kinds as counts in one table, the findings of each
township (count, rule ids and messages in the tooltip), and the findings by rule."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

import graphviz

from ..diagnostics import Diagnostic
from ..compile.index import Index
from ..language import Policy
from ..language.enums import UnitKind
from .data import township_items, townships_of, unit_name
from .findings import finding_line, involves_unit, sort_findings
from .style import FINDING, FINDING_FILL, KINDS, MUTED, font, h, h_attr, new_graph, node_id, text, tip, unit_link

COLUMNS = (
    ("basic", "基本"), ("cooperative", "配合"), ("returned", "收回"), ("listed", "清单合计"),
    ("statutory", "法定"), ("grant", "赋权"), ("entrust", "委托"), ("admitted", "准入"),
    ("villages", "村(社区)"), ("findings", "问题"),
)
COLOUR_OF = {"basic": "basic", "cooperative": "cooperative", "returned": "returned", "statutory": "statutory",
             "grant": "delegated", "entrust": "delegated", "admitted": "admitted"}


def county_view(policy: Policy, index: Index, county: str, *, on: dt.date, findings: Sequence[Diagnostic] = (),
                unit_href=None) -> graphviz.Digraph:
    """The county government `county` on `on`; `unit_href` (`{unit}`) links each township row to
    its township view."""
    c = policy.units.get(county)
    info = index.units.get(county)
    if c is None or c.kind != UnitKind.government or info is None or info.county != county:
        raise ValueError(f"{county} 不是县级党委政府 is not a county government")
    d = on.toordinal()
    tids = sorted(set(townships_of(policy, index, county)))
    villages: Counter = Counter(i.township for i in index.units.values()
                                if i.kind == UnitKind.village and i.township in tids and i.active(d))
    rows = []
    totals: Counter = Counter()
    per_rule: dict[str, list[str]] = {}
    county_findings: list[Diagnostic] = []
    for t in tids:
        items = township_items(policy, index, t, on)
        n = Counter({k: len(v) for k, v in items.items()})
        n["listed"] = n["basic"] + n["cooperative"] + n["returned"]
        n["grant"] = sum(1 for it in items["delegated"] if it.mode == "grant")
        n["entrust"] = sum(1 for it in items["delegated"] if it.mode == "entrust")
        n["villages"] = villages[t]
        vids = [v for v, i in index.units.items() if i.kind == UnitKind.village and i.township == t]
        mine = sort_findings(f for f in findings
                             if involves_unit(f, policy, t) or any(involves_unit(f, policy, v) for v in vids))
        n["findings"] = len(mine)
        for f in mine:
            per_rule.setdefault(f.code, []).append(t)
            if f not in county_findings:
                county_findings.append(f)
        totals.update(n)
        rows.append((t, n, mine, index.units[t].active(d)))
    # findings about the county's own departments (a register's plan or document count) count for the county
    depts = {u for u, i in index.units.items() if i.county == county and i.kind == UnitKind.department}
    for f in sort_findings(f for f in findings if f not in county_findings):
        hit = next((u for u in sorted(depts) if involves_unit(f, policy, u)), None)
        if hit is not None:
            county_findings.append(f)
            per_rule.setdefault(f.code, []).append(hit)

    g = new_graph(f"county_{county}", label=f"{c.name}（{county}）乡镇(街道)履职事项总览 · {on}", rankdir="TB")
    depts = sum(1 for i in index.units.values() if i.kind == UnitKind.department and i.county == county)
    header = "".join(
        f'<TD BGCOLOR="{KINDS[COLOUR_OF[k]][2] if k in COLOUR_OF else "#f1f3f5"}"><B>{h(label)}</B></TD>'
        for k, label in COLUMNS)
    body = []
    for t, n, mine, active in rows:
        link = unit_link(unit_href, t)
        href = link or f"#row-{t}"
        name = unit_name(policy, t) + ("" if active else "（已撤并/未设立）")
        colour = None if active else MUTED
        cells = [f'<TD ALIGN="LEFT" HREF="{h(href)}" ID="row-{t}" TARGET="_top" '
                 f'TOOLTIP="{h_attr([f"{unit_name(policy, t)}（{t}）", "打开乡镇视图" if link else ""])}">'
                 f'{font(h(name), color=colour)}</TD>',
                 f'<TD ALIGN="LEFT">{font(h(t), size="9", color="#666666")}</TD>']
        for k, _ in COLUMNS:
            v = n[k]
            if k == "findings":
                if mine:
                    lines = [f"{unit_name(policy, t)}：{len(mine)} 个问题"] + [f"{finding_line(f)}（{f.subject}）" for f in mine]
                    cells.append(f'<TD ALIGN="RIGHT" BGCOLOR="{FINDING_FILL}" HREF="#findings-{t}" ID="findings-{t}" '
                                 f'TOOLTIP="{h_attr(lines)}">{font(str(v), color=FINDING, bold=True)}</TD>')
                else:
                    cells.append(f'<TD ALIGN="RIGHT">{font("0", color=MUTED)}</TD>')
                continue
            cells.append(f'<TD ALIGN="RIGHT">{font(str(v), color=MUTED if not v or not active else None)}</TD>')
        body.append(f"<TR>{''.join(cells)}</TR>")
    total_cells = "".join(
        f'<TD ALIGN="RIGHT"><B>{font(str(len(county_findings)), color=FINDING if county_findings else None)}</B></TD>'
        if k == "findings" else f'<TD ALIGN="RIGHT"><B>{totals[k]}</B></TD>' for k, _ in COLUMNS)
    title = (f'{h(c.name)}  <FONT POINT-SIZE="10" COLOR="#666666">{h(county)} · 乡镇(街道) {len(tids)} 个 · '
             f'县直部门 {depts} 个</FONT>')
    label = (f'<<TABLE BORDER="1" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" COLOR="#999999" BGCOLOR="white">'
             f'<TR><TD COLSPAN="{len(COLUMNS) + 2}" ALIGN="LEFT" BGCOLOR="#fff4d6"><B>{title}</B></TD></TR>'
             f'<TR><TD ALIGN="LEFT"><B>乡镇(街道)</B></TD><TD ALIGN="LEFT"><B>代码</B></TD>{header}</TR>'
             f'{"".join(body)}'
             f'<TR><TD ALIGN="LEFT" COLSPAN="2"><B>合计</B></TD>{total_cells}</TR></TABLE>>')
    table = node_id(f"unit:{county}")
    g.node(table, label=label, shape="plain", id=f"county-{county}",
           tooltip=tip([f"{c.name}（{county}）", f"{len(county_findings)} 个问题" if county_findings else ""]))

    if per_rule:
        rule_rows = []
        for code in sorted(per_rule):
            ts = list(dict.fromkeys(per_rule[code]))
            fs = [f for f in county_findings if f.code == code]
            rule_rows.append(
                f'<TR><TD ALIGN="LEFT" HREF="#rule-{h(code)}" ID="rule-{h(code)}" '
                f'TOOLTIP="{h_attr([finding_line(f) + f"（{f.subject}）" for f in fs])}">{font(h(code), color=FINDING)}</TD>'
                f'<TD ALIGN="RIGHT">{len(fs)}</TD>'
                f'<TD ALIGN="LEFT">{font(h("、".join(unit_name(policy, t) for t in ts)), size="9")}</TD></TR>')
        flabel = (f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" COLOR="{FINDING}" BGCOLOR="white">'
                  f'<TR><TD COLSPAN="3" ALIGN="LEFT" BGCOLOR="{FINDING_FILL}">{font("问题（按规则）findings by rule", color=FINDING, bold=True)}</TD></TR>'
                  f'<TR><TD ALIGN="LEFT"><B>规则 rule</B></TD><TD><B>个数</B></TD><TD ALIGN="LEFT"><B>乡镇(街道)</B></TD></TR>'
                  f'{"".join(rule_rows)}</TABLE>>')
        g.node("findings/by-rule", label=flabel, shape="plain", id="findings-by-rule",
               tooltip=text(f"{len(county_findings)} 个问题"))
        g.edge(table, "findings/by-rule", color=FINDING, style="dashed", dir="none")
    return g
