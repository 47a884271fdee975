"""The matter view: who owns one matter across a county's townships — on which list of each
township it sits (basic, cooperative with its lead, returned with its taker, delegated with
the delegating department and mode, admitted with its applicant and term), which departments
hold it, and where ownership overlaps or is missing (findings in red; townships where nothing
names the matter drawn dashed)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

import graphviz

from ..diagnostics import Diagnostic
from ..compile.index import Index
from ..language import Policy
from .data import KIND_SHORT, counties_of, mode_label, township_items, townships_of, unit_name
from .findings import Marks, draw_findings, involves_matter, node_style, sort_findings
from .style import KINDS, MUTED, new_graph, node_id, text, unit_link, where, wrap

KINDS_SHOWN = ("basic", "cooperative", "returned", "statutory", "delegated", "admitted")
ROLE_WORDS = {"cooperative": "牵头", "returned": "承接收回", "delegated": "赋权/委托", "admitted": "申请准入",
              "holds": "持有"}


def matter_view(policy: Policy, index: Index, matter: str, *, on: dt.date, findings: Sequence[Diagnostic] = (),
                county: str | None = None, unit_href=None) -> graphviz.Digraph:
    """Matter `matter` on `on` in one county's townships (`county`), or in every county where a
    township or department names it.  `unit_href` (`{unit}`) links townships to their view."""
    m = policy.matters.get(matter)
    if m is None:
        raise ValueError(f"未知事项 unknown matter {matter}")
    d = on.toordinal()
    all_counties = counties_of(policy, index)
    if county is not None:
        if county not in all_counties:
            raise ValueError(f"{county} 不是有乡镇的县级党委政府 is not a county with townships")
        counties = [county]
    else:
        counties = []
        for c in all_counties:
            holders = index.county_holders(c, matter, d)
            if holders or any(_relations(policy, index, t, matter, on) for t in townships_of(policy, index, c)):
                counties.append(c)
        counties = counties or all_counties

    M = node_id(f"matter:{matter}")
    rel: dict[str, dict[str, list]] = {}
    tships: dict[str, list[str]] = {}
    for c in counties:
        tships[c] = townships_of(policy, index, c, on)
        for t in tships[c]:
            rel[t] = _relations(policy, index, t, matter, on)
    in_view = set(rel)
    shown = sort_findings(
        f for f in findings if involves_matter(f, matter)
        and (not (f.subject or "").count("/") or (f.subject or "").split("/", 1)[0] in in_view
             or any(e[5:] in in_view for e in f.elements if e.startswith("unit:"))))

    # departments: holders in the county, and every department a township relation names
    dept_roles: dict[str, Counter] = {}
    for c in counties:
        for dept in sorted(set(index.county_holders(c, matter, d))):
            dept_roles.setdefault(dept, Counter())["holds"] += 1
    for t, kinds in rel.items():
        for kind, its in kinds.items():
            for it in its:
                for p in it.parties:
                    dept_roles.setdefault(p, Counter())[kind] += 1

    marks = Marks()
    extra: set[str] = set()
    targets: list[list[str]] = []
    for f in shown:
        tg = []
        subj = (f.subject or "").split("/", 1)
        if len(subj) == 2 and subj[0] in in_view:
            tg.append(node_id(f"unit:{subj[0]}"))
        for e in f.elements:
            if e.startswith("unit:"):
                x = e[5:]
                if x in in_view or x in dept_roles:
                    tg.append(node_id(e))
                else:
                    extra.add(x)
                    tg.append(node_id(e))
        tg = list(dict.fromkeys(tg or [M]))
        for t in tg:
            marks.add(t, f)
        marks.add(M, f)
        targets.append(tg)

    # ------------------------------------------------------------------ drawing
    scope = "、".join(unit_name(policy, c) for c in counties)
    g = new_graph(f"matter_{matter}", label=f"{m.name}（{matter}）在 {scope} 的责任主体 · {on}", rankdir="LR",
                  ranksep="1.0")
    mlabel = [wrap(m.name, 16), matter, f"{m.domain} · {m.power_type.label}"]
    if m.levels:
        mlabel.append("适用层级：" + "、".join(lv.label for lv in m.levels))
    flags = [w for w, on_ in (("重大处罚", m.major_penalty), ("需专业设备或鉴定", m.needs_specialist)) if on_]
    if flags:
        mlabel.append("、".join(flags))
    mattrs = {"shape": "box", "style": "filled,bold", "fillcolor": "#fff4d6", "fontsize": "13", "penwidth": "2",
              "id": f"matter-{matter}"}
    mattrs.update(node_style(marks, M, [f"{m.name}（{matter}）", where(m.span)]))
    g.node(M, label=text("\n".join(mlabel)), **mattrs)

    for dept in sorted(dept_roles):
        name = node_id(f"unit:{dept}")
        roles = dept_roles[dept]
        summary = "；".join(f"{ROLE_WORDS[k]} {n}" + ("" if k == "holds" else " 个乡镇") for k, n in sorted(roles.items()))
        attrs = {"fillcolor": "#f3f3f3"}
        attrs.update(node_style(marks, name, [f"{unit_name(policy, dept)}（{dept}）", summary]))
        g.node(name, label=text(wrap(unit_name(policy, dept), 12)), **attrs)
        for k in sorted(roles):
            line = KINDS["holds" if k == "holds" else k][1]
            label = "持有" if k == "holds" else f"{ROLE_WORDS[k]} {roles[k]}"
            g.edge(name, M, label=text(label), color=line, fontcolor=line,
                   style="dashed" if k == "holds" else "solid")

    for c in counties:
        with g.subgraph(name=f"cluster_county_{c}") as cl:
            cl.attr(label=text(unit_name(policy, c)), style="rounded", color="#999999")
            for t in tships[c]:
                name = node_id(f"unit:{t}")
                kinds = rel[t]
                lines = [unit_name(policy, t)]
                tips = [f"{unit_name(policy, t)}（{t}）"]
                for kind in KINDS_SHOWN:
                    for it in kinds.get(kind, ()):
                        who = "、".join(unit_name(policy, p) for p in it.parties)
                        word = (mode_label(it.mode) if it.mode else KIND_SHORT[kind]) + (f"·{it.scope}" if it.scope else "")
                        lines.append(word)
                        tips.append(word + (f"：{who}" if who else "")
                                    + (f" {it.ref}" if it.ref else "") + f" {where(getattr(it.record, 'span', None))}")
                attrs = {"fillcolor": "white"}
                if not kinds:
                    lines.append("未列入任何清单")
                    attrs.update(style="rounded,dashed,filled", color=MUTED, fontcolor=MUTED)
                    tips.append("本乡镇的清单、赋权、准入都没有该事项")
                elif len(kinds) == 1:
                    _, line, fill = KINDS[next(iter(kinds))]
                    attrs.update(color=line, fillcolor=fill)
                link = unit_link(unit_href, t)
                if link:
                    attrs.update(URL=text(link), target="_top")
                attrs.update(node_style(marks, name, tips))
                cl.node(name, label=text("\n".join(dict.fromkeys(lines))), id=f"unit-{t}", **attrs)
        for t in tships[c]:
            name = node_id(f"unit:{t}")
            kinds = rel[t]
            if not kinds:
                g.edge(M, name, style="dotted", color=MUTED, dir="none")
            for kind in KINDS_SHOWN:
                if kind in kinds:
                    line = KINDS[kind][1]
                    g.edge(M, name, color=line, fontcolor=line, label=text(KIND_SHORT[kind]))

    for x in sorted(extra):
        name = node_id(f"unit:{x}")
        attrs = {"fillcolor": "#f3f3f3"}
        attrs.update(node_style(marks, name, [f"{unit_name(policy, x)}（{x}）"]))
        g.node(name, label=text(wrap(unit_name(policy, x), 12)), **attrs)
    draw_findings(g, shown, targets)
    return g


def _relations(policy: Policy, index: Index, township: str, matter: str, on: dt.date) -> dict[str, list]:
    items = township_items(policy, index, township, on)
    out = {}
    for kind in KINDS_SHOWN:
        its = [it for it in items[kind] if it.matter == matter]
        if its:
            out[kind] = its
    return out
