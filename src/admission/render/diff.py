"""The diff view: two revisions of a policy in one graph (`admission.explain.diff.diff_policies`) —
each changed township or village tied to the matters it gained (green), lost (red) or moved
between lists (orange, old → new), with the findings the change adds and removes."""

from __future__ import annotations

import datetime as dt

import graphviz

from ..explain.diff import KIND_LABELS, PolicyDiff, diff_policies
from ..language import Policy
from .findings import finding_line, sort_findings
from .style import ADDED, FINDING, FINDING_FILL, MOVED, REMOVED, font, h, h_attr, new_graph, node_id, text, tip, wrap


def _kinds(k) -> str:
    return "、".join(KIND_LABELS.get(x, x) for x in sorted(k))


def diff_view(old: Policy, new: Policy, *, on: dt.date, diff: PolicyDiff | None = None) -> graphviz.Digraph:
    """Old and new revision on `on` in one graph (pass `diff` to reuse a computed one)."""
    d = diff or diff_policies(old, new, on)
    g = new_graph("diff", label=f"策略修订对比 · {on}\n{d.summary()}", rankdir="LR", ranksep="1.4")
    names = {mid: m.name for mid, m in {**old.matters, **new.matters}.items()}
    units = {**old.units, **new.units}
    changed = [u for u in d.units if u.gained or u.lost or u.moved]
    changed_ids = {u.unit for u in changed}
    matters: set[str] = set()
    for uc in changed:
        matters.update(m for m, _ in uc.gained)
        matters.update(m for m, _ in uc.lost)
        matters.update(m for m, _, _ in uc.moved)

    with g.subgraph(name="cluster_units") as c:
        c.attr(label=text("单位 units"), style="rounded", color="#999999")
        for uc in changed:
            u = units.get(uc.unit)
            parent = units.get(u.parent).name if u is not None and u.parent in units else ""
            lines = [f"{uc.name}（{uc.unit}）", parent,
                     f"新增 {len(uc.gained)} 项，减少 {len(uc.lost)} 项，移动 {len(uc.moved)} 项"]
            c.node(node_id(f"unit:{uc.unit}"), label=text(f"{uc.name}\n{uc.unit}"), tooltip=tip(lines),
                   fillcolor="#fff4d6", id=f"unit-{uc.unit}")
        if not changed:
            c.node("nochange", label=text("各单位事项无变化 no change"), shape="plaintext", style="")
    with g.subgraph(name="cluster_matters") as c:
        c.attr(label=text("事项 matters"), style="rounded", color="#999999")
        for m in sorted(matters):
            c.node(node_id(f"matter:{m}"), label=text(wrap(names.get(m, m), 16) + f"\n{m}"),
                   tooltip=tip(f"{names.get(m, m)}（{m}）"), id=f"matter-{m}")

    for uc in changed:
        u = node_id(f"unit:{uc.unit}")
        for m, k in uc.gained:
            g.edge(u, node_id(f"matter:{m}"), color=ADDED, fontcolor=ADDED, penwidth="1.6",
                   label=text(f"+ {_kinds(k)}"), tooltip=tip(f"{uc.name} 新增：{names.get(m, m)}［{_kinds(k)}］"),
                   id=f"added-{uc.unit}-{m}")
        for m, k in uc.lost:
            g.edge(u, node_id(f"matter:{m}"), color=REMOVED, fontcolor=REMOVED, style="dashed", penwidth="1.6",
                   label=text(f"− {_kinds(k)}"), tooltip=tip(f"{uc.name} 减少：{names.get(m, m)}［{_kinds(k)}］"),
                   id=f"removed-{uc.unit}-{m}")
        for m, a, b in uc.moved:
            g.edge(u, node_id(f"matter:{m}"), color=MOVED, fontcolor=MOVED, penwidth="1.6",
                   label=text(f"{_kinds(a)} → {_kinds(b)}"),
                   tooltip=tip(f"{uc.name} 移动：{names.get(m, m)}［{_kinds(a)}］→［{_kinds(b)}］"),
                   id=f"moved-{uc.unit}-{m}")

    for key, title, colour, fs in (("added", "新增问题 findings added", FINDING, d.added),
                                   ("removed", "消除问题 findings removed", ADDED, d.removed)):
        if not fs:
            continue
        rows = []
        links: list[tuple[str, str, str, str]] = []
        for i, f in enumerate(sort_findings(fs)):
            rid = f"finding-{key}-{i}"
            for e in f.elements:
                kind, _, x = e.partition(":")
                if (kind == "unit" and x in changed_ids) or (kind == "matter" and x in matters):
                    links.append((f"findings/{key}:r{i}", node_id(e), colour, finding_line(f)))
            rows.append(f'<TR><TD ALIGN="LEFT" PORT="r{i}" HREF="#{rid}" ID="{rid}" '
                        f'TOOLTIP="{h_attr([finding_line(f), f.help or ""])}">{font(h(f.code), color=colour)}</TD>'
                        f'<TD ALIGN="LEFT">{font(h(f.subject or ""), size="9")}</TD></TR>')
        fill = FINDING_FILL if key == "added" else "#e6f4e8"
        label = (f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" COLOR="{colour}" BGCOLOR="white">'
                 f'<TR><TD COLSPAN="2" ALIGN="LEFT" BGCOLOR="{fill}">{font(h(f"{title}（{len(fs)}）"), color=colour, bold=True)}</TD></TR>'
                 f'{"".join(rows)}</TABLE>>')
        g.node(f"findings/{key}", label=label, shape="plain", id=f"findings-{key}",
               tooltip=text(f"{title}（{len(fs)}）"))
        for src, dst, col, line in sorted(set(links)):
            g.edge(src, dst, color=col, style="dotted", dir="none", constraint="false", tooltip=tip(line))
    return g
