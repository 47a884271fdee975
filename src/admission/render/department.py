"""The department view: what one department leads, takes back, delegates and had admitted, and
the assignments it recorded, township by township (one table per township, counts in the
summary and every matter in the expanded form)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import graphviz

from ..diagnostics import Diagnostic
from ..compile.index import Index
from ..language import Policy
from ..language.enums import UnitKind
from .data import Item, matter_name, mode_label, township_items, unit_name
from .findings import Marks, draw_findings, involves_unit, node_style, row_tooltip, sort_findings
from .style import FINDING, FINDING_FILL, KINDS, font, h, new_graph, node_id, text, tip, unit_link, where, wrap

#: relation -> (label, colour key)
RELATIONS = {
    "cooperative": ("牵头配合履职事项", "cooperative"),
    "returned": ("承接收回事项", "returned"),
    "delegated": ("赋权/委托给乡镇", "delegated"),
    "admitted": ("申请准入", "admitted"),
    "ended": ("已收回赋权、已退出准入", "assigned"),
    "assigned": ("下派记录", "assigned"),
}


def _members(policy: Policy, index: Index, department: str) -> frozenset[str]:
    """The department and the offices and task forces attributed to it."""
    if policy.units[department].kind == UnitKind.department:
        return frozenset(uid for uid, info in index.units.items() if info.attributed == department) | {department}
    return frozenset({department})


def department_view(policy: Policy, index: Index, department: str, *, on: dt.date,
                    findings: Sequence[Diagnostic] = (), expanded: bool = False,
                    unit_href=None) -> graphviz.Digraph:
    """The department `department` on `on`; `unit_href` (`{unit}`) links each township's table
    to its township view."""
    u = policy.units.get(department)
    if u is None or u.kind not in (UnitKind.department, UnitKind.dispatched, UnitKind.task_force):
        raise ValueError(f"{department} 不是部门、派出机构或工作专班 is not a department")
    members = _members(policy, index, department)
    townships = sorted(uid for uid, info in index.units.items() if info.kind == UnitKind.township)

    # township -> relation -> [(item or assignment, matter, note, ref)]
    rel: dict[str, dict[str, list[tuple]]] = {}
    for tid in townships:
        its = township_items(policy, index, tid, on)
        rows: dict[str, list[tuple]] = {}
        for kind in ("cooperative", "returned", "delegated", "admitted", "ended"):
            for it in its[kind]:
                if set(it.parties) & members:
                    rows.setdefault(kind, []).append((it, it.matter, _note(policy, it, department), it.ref))
        if rows:
            rel[tid] = rows
    for aid in sorted(policy.assignments):
        a = policy.assignments[aid]
        if a.by not in members:
            continue
        info = index.units.get(a.to)
        tid = info.township if info is not None and info.kind == UnitKind.village else a.to
        if info is None or (info.kind != UnitKind.village and info.kind != UnitKind.township):
            continue
        note = f"{a.date} {a.kind.label}" + (f" → {unit_name(policy, a.to)}" if a.to != tid else "") + \
               (f" {a.document}" if a.document else "")
        rel.setdefault(tid, {}).setdefault("assigned", []).append((a, a.matter, note, f"assignment:{aid}"))

    shown = sort_findings(f for f in findings if any(involves_unit(f, policy, m) for m in sorted(members)))
    D = node_id(f"unit:{department}")

    # ------------------------------------------------------------------ layout and findings
    def table(tid: str) -> str:
        return f"table/{tid}"

    at: dict[tuple[str, str], list[str]] = {}  # (township, matter or ref) -> targets
    for tid, rows in rel.items():
        for kind, entries in rows.items():
            for i, (_, mid, _, ref) in enumerate(entries):
                port = f"{table(tid)}:{kind}_{i}" if expanded else f"{table(tid)}:{kind}"
                at.setdefault((tid, mid), []).append(port)
                if ref:
                    at.setdefault((tid, ref), []).append(port)
    marks = Marks()
    extra: set[str] = set()
    targets: list[list[str]] = []
    for f in shown:
        tg: list[str] = []
        units = [e[5:] for e in f.elements if e.startswith("unit:")]
        subj = (f.subject or "").split("/", 1)
        tids = [x for x in units if x in rel] + ([subj[0]] if len(subj) == 2 and subj[0] in rel else [])
        refs = [e for e in f.elements if e.split(":", 1)[0] in ("delegation", "admission", "assignment")]
        mids = [e[7:] for e in f.elements if e.startswith("matter:")]
        for tid in dict.fromkeys(tids or [t for t in rel if any((t, r) in at for r in refs)]):
            hits = [p for r in refs for p in at.get((tid, r), ())] or [p for m in mids for p in at.get((tid, m), ())]
            tg.extend(hits or [table(tid)])
        if not tg:
            for x in units:
                if x in members:
                    tg.append(D)
                elif x not in rel:
                    extra.add(x)
                    tg.append(node_id(f"unit:{x}"))
        tg = list(dict.fromkeys(tg or [D]))
        for t in tg:
            marks.add(t, f)
            if ":" in t:
                marks.add(t.split(":", 1)[0], f)
        marks.add(D, f)
        targets.append(tg)

    # ------------------------------------------------------------------ drawing
    form = "明细 expanded" if expanded else "概览 summary"
    g = new_graph(f"department_{department}", label=f"{u.name}（{department}）职责分布{form} · {on}", rankdir="LR",
                  ranksep="1.2")
    held = sum(1 for (dept, _m), spans in index.holds.items() if dept == department
               and any(s <= on.toordinal() <= e for s, e in spans))
    dlabel = [wrap(u.name, 14), department, f"{u.kind.label}" + (f" · {u.level.label}" if u.level else ""),
              f"持有职权 {held} 项", f"涉及乡镇(街道) {len(rel)} 个"]
    if len(members) > 1:
        dlabel.append(f"含派出机构、专班 {len(members) - 1} 个")
    dattrs = {"shape": "box", "style": "filled,bold", "fillcolor": "#fff4d6", "fontsize": "13", "penwidth": "2",
              "id": f"unit-{department}"}
    dattrs.update(node_style(marks, D, [f"{u.name}（{department}）",
                                        *(f"{unit_name(policy, m)}（{m}）" for m in sorted(members - {department}))]))
    g.node(D, label=text("\n".join(dlabel)), **dattrs)

    by_county: dict[str, list[str]] = {}
    for tid in sorted(rel):
        by_county.setdefault(index.units[tid].county or "", []).append(tid)
    n = 0
    for county in sorted(by_county):
        with g.subgraph(name=f"cluster_county_{county}") as c:
            c.attr(label=text(unit_name(policy, county) if county else "（无所属县）"), style="rounded", color="#999999")
            for tid in by_county[county]:
                _township_table(c, policy, tid, rel[tid], marks, expanded, unit_href, table(tid))
        for tid in by_county[county]:
            total = sum(len(v) for v in rel[tid].values())
            attrs = {"label": text(str(total)), "dir": "none", "color": "#888888"}
            if expanded and n % 2 == 1:
                attrs["minlen"] = "2"  # two columns of tables
            g.edge(D, table(tid), **attrs)
            n += 1
    for x in sorted(extra):
        name = node_id(f"unit:{x}")
        attrs = {"fillcolor": "#f3f3f3"}
        attrs.update(node_style(marks, name, [f"{unit_name(policy, x)}（{x}）"]))
        g.node(name, label=text(wrap(unit_name(policy, x), 12)), **attrs)
    draw_findings(g, shown, targets)
    return g


def _note(policy: Policy, it: Item, department: str) -> str:
    parts = []
    others = [p for p in it.parties if p != department]
    if others and it.kind in ("cooperative", "returned"):
        parts.append("经 " + "、".join(unit_name(policy, p) for p in others))
    if it.kind in ("delegated", "admitted", "ended") and it.mode:
        parts.append(mode_label(it.mode) + (f" 至 {it.until}" if it.kind == "admitted" and it.until else ""))
    if it.kind == "ended":
        parts.append(it.note)
    return "；".join(parts)


def _township_table(c: graphviz.Digraph, policy: Policy, tid: str, rows: dict[str, list[tuple]], marks: Marks,
                    expanded: bool, unit_href, name: str) -> None:
    out = []
    for kind in RELATIONS:
        entries = rows.get(kind)
        if not entries:
            continue
        label, colour = RELATIONS[kind]
        _, line, fill = KINDS[colour]
        port = f"{name}:{kind}"
        if not expanded:
            flagged = marks.lines(port)
            bg = FINDING_FILL if flagged else fill
            fc = FINDING if flagged else line
            lines = [f"{label}（{len(entries)} 项）"] + [f"{matter_name(policy, mid)}（{mid}）" + (f" {note}" if note else "")
                                                      for _, mid, note, _ in entries]
            out.append(f'<TR><TD ALIGN="LEFT" BGCOLOR="{bg}" PORT="{kind}" HREF="#{h(_anchor(tid, kind))}" '
                       f'ID="{h(_anchor(tid, kind))}" TOOLTIP="{row_tooltip(marks, port, lines)}">'
                       f'<FONT COLOR="{fc}">{h(label)}</FONT></TD>'
                       f'<TD ALIGN="RIGHT" BGCOLOR="{bg}"><FONT COLOR="{fc}"><B>{len(entries)}</B></FONT></TD></TR>')
            continue
        out.append(f'<TR><TD COLSPAN="3" ALIGN="LEFT" BGCOLOR="{fill}"><FONT COLOR="{line}"><B>{h(label)}'
                   f'（{len(entries)} 项）</B></FONT></TD></TR>')
        for i, (rec, mid, note, ref) in enumerate(entries):
            target = f"{name}:{kind}_{i}"
            flagged = marks.lines(target)
            bg = f' BGCOLOR="{FINDING_FILL}"' if flagged else ""
            fo, fc = (f'<FONT COLOR="{FINDING}">', "</FONT>") if flagged else ("", "")
            rid = f"{_anchor(tid, kind)}-{i}"
            tips = [f"{matter_name(policy, mid)}（{mid}）", ref or "", note,
                    where(getattr(rec, "span", None) or getattr(getattr(rec, "record", None), "span", None))]
            out.append(f'<TR><TD ALIGN="LEFT" PORT="{kind}_{i}" ID="{rid}" HREF="#{rid}" '
                       f'TOOLTIP="{row_tooltip(marks, target, tips)}"{bg}>{fo}{h(matter_name(policy, mid))}{fc}</TD>'
                       f'<TD ALIGN="LEFT"{bg}><FONT POINT-SIZE="9" COLOR="#666666">{h(mid)}</FONT></TD>'
                       f'<TD ALIGN="LEFT"{bg}>{font(h(note), size="9", color=FINDING if flagged else None)}</TD></TR>')
    flagged = marks.lines(name)
    columns = 3 if expanded else 2
    link = unit_link(unit_href, tid)
    href = f' HREF="{h(link)}" TARGET="_top"' if link else ""
    title = (f'<TR><TD COLSPAN="{columns}" ALIGN="LEFT" BGCOLOR="#fff4d6"{href}>'
             f'<B>{h(unit_name(policy, tid))}</B> <FONT POINT-SIZE="9" COLOR="#666666">{h(tid)}</FONT></TD></TR>')
    label = (f'<<TABLE BORDER="{2 if flagged else 1}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" '
             f'COLOR="{FINDING if flagged else "#888888"}" BGCOLOR="white">{title}{"".join(out)}</TABLE>>')
    c.node(name, label=label, shape="plain", id=f"township-{tid}",
           tooltip=tip([f"{unit_name(policy, tid)}（{tid}）", *flagged]))


def _anchor(tid: str, kind: str) -> str:
    return f"{tid}-{kind}"
