"""The township view: the township at the centre, its three lists, its delegated powers and
admitted matters around it, its findings in red.

Two forms.  The summary groups every list by domain and shows counts (each count links to its
table in the expanded form), with the lead, delegating and taking-back departments as nodes
and the number of items on each edge.  The expanded form draws every entry as a row of a
per-domain table (the departments named in a column).

Left of the township: what others lead or hand down (cooperative duties, delegated powers,
admitted matters, statutory powers).  Right: what the township carries alone (basic duties)
and what went back up (returned items, with the departments taking them back), and the
delegations and admissions that ended.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import graphviz

from ..diagnostics import Diagnostic
from ..compile.index import Index
from ..language import Policy
from ..language.enums import UnitKind
from .data import (
    KIND_LABELS, KIND_ORDER, PARTY_LABELS, Item, by_domain, matter_name, mode_label, township_items, unit_name,
)
from .findings import Marks, draw_findings, involves_unit, node_style, row_tooltip, sort_findings
from .style import FINDING, FINDING_FILL, KINDS, MUTED, h, new_graph, node_id, slug, text, tip, where, wrap

LEFT = ("cooperative", "delegated", "admitted", "statutory")
RIGHT = ("basic", "returned", "ended")
FAR = ("delegated", "returned", "ended")  # expanded form: one column further out
ENDED_STYLE = ("已结束", MUTED, "#f1f1f1")
#: admitted matters are drawn one node each in the summary up to this many
ADMITTED_SINGLE = 20

DEFAULT_DETAIL_HREF = "unit-{unit}-expanded.svg#{anchor}"
EXERCISES = "exercises"  # the node of the township's exercise records
EXERCISES_SHOWN = 8  # the summary lists this many, the newest


@dataclass
class Group:
    kind: str
    domain: str
    items: list[Item]
    node: str
    anchor: str
    targets: list[str] = field(default_factory=list)  # per item: where it is drawn


def colours(kind: str) -> tuple[str, str]:
    if kind == "ended":
        return ENDED_STYLE[1], ENDED_STYLE[2]
    _, line, fill = KINDS[kind]
    return line, fill


def unit_view(policy: Policy, index: Index, township: str, *, on: dt.date, findings: Sequence[Diagnostic] = (),
              expanded: bool = False, detail_href: str | None = DEFAULT_DETAIL_HREF,
              matter_href: str | None = None) -> graphviz.Digraph:
    """The township `township` on `on`, in summary (default) or expanded form.

    `detail_href` is where a summary count links to (`{unit}` and `{anchor}` are filled in;
    None: no links); `matter_href` is where an expanded row links to (`{matter}`; None: the
    row's own anchor)."""
    u = policy.units.get(township)
    if u is None or u.kind != UnitKind.township:
        raise ValueError(f"{township} 不是乡镇(街道) is not a township")
    items = township_items(policy, index, township, on)
    shown = sort_findings(f for f in findings if involves_unit(f, policy, township))
    T = node_id(f"unit:{township}")

    # ------------------------------------------------------------------ layout
    groups: list[Group] = []
    for kind in KIND_ORDER:
        if not items[kind]:
            continue
        if kind == "admitted" and not expanded and len(items[kind]) <= ADMITTED_SINGLE:
            for it in items[kind]:
                name = node_id(it.ref or f"matter:{it.matter}").replace("admission/", "admitted/", 1)
                groups.append(Group(kind, "", [it], name, slug("admitted", it.ref or it.matter), [name]))
            continue
        for domain, its in by_domain(policy, items[kind]):
            name = f"{kind}/{domain}"
            g = Group(kind, domain, its, name, slug(kind, domain))
            g.targets = [f"{name}:r{i}" if expanded else name for i in range(len(its))]
            groups.append(g)
    at_matter: dict[str, list[str]] = {}
    at_ref: dict[str, list[str]] = {}
    for g in groups:
        for it, target in zip(g.items, g.targets):
            at_matter.setdefault(it.matter, []).append(target)
            if it.ref:
                at_ref.setdefault(it.ref, []).append(target)

    left_depts: dict[str, Counter] = {}
    right_depts: dict[str, Counter] = {}
    if not expanded:
        for kind in ("cooperative", "delegated", "admitted"):
            for it in items[kind]:
                for p in it.parties:
                    left_depts.setdefault(p, Counter())[kind] += 1
        for it in items["returned"]:
            for p in it.parties:
                right_depts.setdefault(p, Counter())["returned"] += 1

    done = sorted((x for x in policy.exercises.values() if x.unit == township and x.date <= on),
                  key=lambda x: (x.date, x.id), reverse=True)
    done_ids = {x.id for x in done}

    # ------------------------------------------------------------------ findings -> targets
    marks = Marks()
    extra_units: set[str] = set()
    extra_matters: set[str] = set()
    targets: list[list[str]] = []
    for f in shown:
        tg: list[str] = []
        refs = [e for e in f.elements if e.split(":", 1)[0] in ("delegation", "admission") and e in at_ref]
        for e in refs:
            tg.extend(at_ref[e])
        matters = [e.split(":", 1)[1] for e in f.elements if e.startswith("matter:")]
        subj = (f.subject or "").split("/", 1)
        if len(subj) == 2 and subj[0] == township and subj[1] not in matters:
            matters.append(subj[1])
        for m in matters:
            if refs and any(policy.delegations.get(r.split(":", 1)[1], None) is not None
                            and policy.delegations[r.split(":", 1)[1]].matter == m for r in refs):
                continue
            if m in at_matter:
                tg.extend(at_matter[m])
            else:
                extra_matters.add(m)
                tg.append(node_id(f"matter:{m}"))
        for e in f.elements:
            if not e.startswith("unit:"):
                continue
            x = e[5:]
            if x == township:
                tg.append(T)
            elif x in left_depts:
                tg.append(node_id(e))
            elif x in right_depts:
                tg.append(f"taker/{x}")
            else:
                extra_units.add(x)
                tg.append(node_id(e))
        if f.subject in done_ids:
            tg.insert(0, EXERCISES)
        if not tg:
            tg.append(T)
        tg = list(dict.fromkeys(tg))
        for t in tg:
            marks.add(t, f)
            if ":" in t:
                marks.add(t.split(":", 1)[0], f)
        # the township is marked, but tied by an edge only when nothing else is named
        targets.append([t for t in tg if t != T] or [T])

    # ------------------------------------------------------------------ drawing
    form = "明细 expanded" if expanded else "概览 summary"
    county = index.units[township].county
    g = new_graph(f"unit_{township}", label=f"{u.name}（{township}）履行职责事项{form} · {on}", rankdir="LR",
                  ranksep="0.9" if not expanded else "0.7")

    counts = {k: len(v) for k, v in items.items()}
    listed = counts["basic"] + counts["cooperative"] + counts["returned"]
    tlabel = [u.name, township, f"{(u.form.label if u.form else '乡镇/街道')} · {unit_name(policy, county) if county else ''}",
              f"清单 {listed} 项（基本 {counts['basic']} / 配合 {counts['cooperative']} / 收回 {counts['returned']}）",
              f"赋权 {counts['delegated']} 项 · 准入 {counts['admitted']} 项"]
    if counts["statutory"]:
        tlabel.append(f"法定职权 {counts['statutory']} 项")
    if done:
        tlabel.append(f"职权行使记录 {len(done)} 条")
    tattrs = {"shape": "box", "style": "filled,bold", "fillcolor": "#fff4d6", "fontsize": "14", "penwidth": "2",
              "id": f"unit-{township}"}
    tattrs.update(node_style(marks, T, [f"{u.name}（{township}）"]))
    g.node(T, label=text("\n".join(tlabel)), **tattrs)

    by_kind: dict[str, list[Group]] = {}
    for grp in groups:
        by_kind.setdefault(grp.kind, []).append(grp)
    for kind in KIND_ORDER:
        if kind not in by_kind:
            continue
        line, fill = colours(kind)
        n = counts[kind]
        label = f"{KIND_LABELS[kind]}（{n} 项）"
        if kind == "delegated":
            modes = Counter(it.mode for it in items[kind])
            label = f"{KIND_LABELS[kind]}（{n} 项：赋权 {modes.get('grant', 0)}，委托 {modes.get('entrust', 0)}）"
        with g.subgraph(name=f"cluster_{kind}") as c:
            c.attr(label=text(label), color=line, fontcolor=line, style="rounded", id=f"cluster-{kind}")
            for grp in by_kind[kind]:
                if expanded:
                    _table(c, policy, grp, marks, matter_href)
                else:
                    _count_node(c, policy, grp, marks, township, detail_href)
        for grp in by_kind[kind]:
            attrs = {"color": line, "dir": "none", "penwidth": "1.2"}
            if kind == "ended":
                attrs["style"] = "dashed"
            if expanded and kind in FAR:
                attrs["minlen"] = "2"  # a second column, so the tables do not make one tall stack
            if kind in LEFT:
                g.edge(grp.node, T, **attrs)
            else:
                g.edge(T, grp.node, **attrs)

    if not expanded:
        _departments(g, policy, items, groups, left_depts, right_depts, marks)
    if done:
        _exercises(g, policy, done, marks, T, limit=None if expanded else EXERCISES_SHOWN)

    # nodes a finding names that the view does not otherwise draw
    for x in sorted(extra_units):
        name = node_id(f"unit:{x}")
        attrs = {"fillcolor": "#f3f3f3"}
        attrs.update(node_style(marks, name, [f"{unit_name(policy, x)}（{x}）"]))
        g.node(name, label=text(wrap(unit_name(policy, x), 12)), **attrs)
    for m in sorted(extra_matters):
        name = node_id(f"matter:{m}")
        attrs = {"style": "filled,dashed", "fillcolor": "white"}
        attrs.update(node_style(marks, name, [f"{matter_name(policy, m)}（{m}）", "不在本乡镇清单上"]))
        g.node(name, label=text(wrap(matter_name(policy, m), 14) + f"\n{m}"), **attrs)
    draw_findings(g, shown, targets)
    return g


def _exercises(g: graphviz.Digraph, policy: Policy, done: list, marks: Marks, T: str, limit: int | None) -> None:
    """What the township actually did (exercise records up to the view's date, newest first);
    a record the township held no power for is red, with its finding in the tooltip."""
    rows = done if limit is None else done[:limit]
    lines = [f"职权行使记录（{len(done)} 条）"]
    for x in rows:
        kind = x.kind.label if x.kind else "行使"
        lines.append(f"{x.date} {kind}：{wrap(matter_name(policy, x.matter), 16)}")
    if len(rows) < len(done):
        lines.append(f"…… 另 {len(done) - len(rows)} 条（见明细）")
    attrs = {"shape": "note", "style": "filled", "fillcolor": "#f5f9ff", "id": "exercises"}
    attrs.update(node_style(marks, EXERCISES, [f"{x.id} {x.date} {matter_name(policy, x.matter)}（{x.matter}）"
                                               + (f" {x.document}" if x.document else "") for x in rows]))
    g.node(EXERCISES, label=text("\n".join(lines)), **attrs)
    g.edge(T, EXERCISES, dir="none", color=MUTED, style="dotted")


def _count_node(c: graphviz.Digraph, policy: Policy, grp: Group, marks: Marks, township: str,
                detail_href: str | None) -> None:
    line, fill = colours(grp.kind)
    if grp.kind == "admitted" and not grp.domain:
        it = grp.items[0]
        label = f"{wrap(matter_name(policy, it.matter), 14)}\n{it.note}"
        lines = [f"{matter_name(policy, it.matter)}（{it.matter}）", f"{it.ref}", it.note,
                 f"申请部门：{'、'.join(unit_name(policy, p) for p in it.parties)}", where(getattr(it.record, 'span', None))]
    else:
        label = f"{grp.domain}\n{len(grp.items)} 项"
        lines = [f"{KIND_LABELS[grp.kind]} · {grp.domain}（{len(grp.items)} 项）"]
        lines += [f"{i + 1}. {matter_name(policy, it.matter)}" + (f"（{it.scope}）" if it.scope else "")
                  for i, it in enumerate(grp.items)]
    attrs = {"fillcolor": fill, "color": line, "id": grp.anchor}
    if detail_href:
        attrs["URL"] = text(detail_href.format(unit=township, anchor=grp.anchor))
        attrs["target"] = "_top"
    attrs.update(node_style(marks, grp.node, lines))
    c.node(grp.node, label=text(label), **attrs)


def _table(c: graphviz.Digraph, policy: Policy, grp: Group, marks: Marks, matter_href: str | None) -> None:
    line, fill = colours(grp.kind)
    party = PARTY_LABELS.get(grp.kind)
    columns = 4 if party else 3
    rows = []
    for i, (it, target) in enumerate(zip(grp.items, grp.targets)):
        flagged = marks.lines(target)
        bg = f' BGCOLOR="{FINDING_FILL}"' if flagged else ""
        font_open, font_close = (f'<FONT COLOR="{FINDING}">', "</FONT>") if flagged else ("", "")
        row_id = f"{grp.anchor}-r{i}"
        href = matter_href.format(matter=it.matter) if matter_href else f"#{row_id}"
        name = matter_name(policy, it.matter) + (f"（{it.scope}）" if it.scope else "")
        tips = [f"{name}（{it.matter}）", it.ref or "", it.note, where(getattr(it.record, "span", None))]
        seq = "" if it.seq is None else str(it.seq)
        cells = [f'<TD ALIGN="RIGHT"{bg}>{font_open}{h(seq or i + 1)}{font_close}</TD>',
                 f'<TD ALIGN="LEFT" PORT="r{i}" ID="{row_id}" HREF="{h(href)}" TOOLTIP="{row_tooltip(marks, target, tips)}"{bg}>'
                 f'{font_open}{h(name)}{font_close}</TD>',
                 f'<TD ALIGN="LEFT"{bg}><FONT POINT-SIZE="9" COLOR="#666666">{h(it.matter)}</FONT></TD>']
        if party:
            who = "、".join(unit_name(policy, p) for p in it.parties) or "（未写明）"
            if it.mode and grp.kind in ("delegated", "admitted", "ended"):
                who = f"{who} · {mode_label(it.mode)}"
            if grp.kind == "admitted" and it.until:
                who += f" 至 {it.until}"
            cells.append(f'<TD ALIGN="LEFT"{bg}><FONT POINT-SIZE="9">{font_open}{h(who)}{font_close}</FONT></TD>')
        rows.append(f"<TR>{''.join(cells)}</TR>")
    head = f"{h(grp.domain or KIND_LABELS[grp.kind])}（{len(grp.items)} 项）"
    sub = (f'<TR><TD ALIGN="RIGHT"><FONT POINT-SIZE="9" COLOR="#666666">序号</FONT></TD>'
           f'<TD ALIGN="LEFT"><FONT POINT-SIZE="9" COLOR="#666666">事项名称</FONT></TD>'
           f'<TD ALIGN="LEFT"><FONT POINT-SIZE="9" COLOR="#666666">编码</FONT></TD>'
           + (f'<TD ALIGN="LEFT"><FONT POINT-SIZE="9" COLOR="#666666">{h(party)}</FONT></TD>' if party else "") + "</TR>")
    flagged = marks.lines(grp.node)
    label = (f'<<TABLE BORDER="{2 if flagged else 1}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2" '
             f'COLOR="{FINDING if flagged else line}" BGCOLOR="white">'
             f'<TR><TD COLSPAN="{columns}" BGCOLOR="{fill}" ALIGN="LEFT"><B>{head}</B></TD></TR>{sub}{"".join(rows)}</TABLE>>')
    c.node(grp.node, label=label, shape="plain", id=grp.anchor,
           tooltip=tip([f"{KIND_LABELS[grp.kind]} · {grp.domain}（{len(grp.items)} 项）", *flagged]))


def _departments(g: graphviz.Digraph, policy: Policy, items: dict[str, list[Item]], groups: list[Group],
                 left: dict[str, Counter], right: dict[str, Counter], marks: Marks) -> None:
    """Summary only: the departments leading, handing down and taking back, with counts."""
    words = {"cooperative": "牵头配合事项", "delegated": "赋权/委托", "admitted": "申请准入", "returned": "承接收回事项"}
    for side, depts, prefix in (("left", left, "unit"), ("right", right, "taker")):
        for d in sorted(depts):
            name = f"{prefix}/{d}"
            summary = "；".join(f"{words[k]} {n} 项" for k, n in sorted(depts[d].items()))
            attrs = {"fillcolor": "#f3f3f3", "color": "#666666"}
            attrs.update(node_style(marks, name, [f"{unit_name(policy, d)}（{d}）", summary]))
            g.node(name, label=text(wrap(unit_name(policy, d), 12)), **attrs)
    edges: Counter = Counter()
    for grp in groups:
        for it in grp.items:
            if grp.kind in ("cooperative", "delegated", "admitted"):
                for p in it.parties:
                    edges[(f"unit/{p}", grp.node, grp.kind, it.mode if grp.kind == "delegated" else "")] += 1
            elif grp.kind == "returned":
                for p in it.parties:
                    edges[(grp.node, f"taker/{p}", grp.kind, "")] += 1
    for (src, dst, kind, mode), n in sorted(edges.items()):
        line, _ = colours(kind)
        if kind == "delegated":
            label = f"{mode_label(mode)} {n}"
        elif kind == "admitted":
            label = "申请"
        else:
            label = str(n)
        attrs = {"color": line, "fontcolor": line, "label": text(label)}
        if mode == "entrust":
            attrs["style"] = "dashed"
        g.edge(src, dst, **attrs)
