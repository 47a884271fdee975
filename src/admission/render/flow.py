"""The flow view: an admission or dynamic-adjustment state machine as its YAML defines it —
states grouped by phase, transitions labelled with their action and roles, guard rules in the
tooltips (and, for guards that send back or reject, as dashed edges to where they lead), and
the number of applications per state when counts are given."""

from __future__ import annotations

from collections.abc import Mapping

import graphviz

from ..language import Policy
from ..language.flow import Flow, Phase, Role
from .style import FINDING, MUTED, new_graph, text, tip

PHASE_COLOURS = {
    "apply": ("#495057", "#f1f3f5"),
    "review": ("#1f5fa8", "#e7f0fb"),
    "approve": ("#6a3d9a", "#f0e9f7"),
    "enter": ("#2b8a3e", "#e6f4e8"),
    "exit": ("#8c6d31", "#f6f0e1"),
    "closed": ("#868e96", "#f1f1f1"),
}
ACTION_COLOURS = {"send_back": "#f08c00", "reject": FINDING, "withdraw": MUTED}
EFFECT_LABELS = {"block": "阻止", "send_back": "退回修改", "reject": "不予准入"}


def _role(r: str) -> str:
    try:
        return Role(r).label
    except ValueError:
        return r


def flow_view(policy: Policy | None, flow: str | Flow, *, counts: Mapping[str, int] | None = None) -> graphviz.Digraph:
    """The flow `flow` (an id in `policy.flows`, or a `Flow`); `counts` maps state ids to the
    number of applications in each (states not named count 0; unknown ids are listed)."""
    if isinstance(flow, str):
        if policy is None or flow not in policy.flows:
            known = "、".join(sorted(policy.flows)) if policy is not None else ""
            raise ValueError(f"未知流程 unknown flow {flow}" + (f"；已定义：{known}" if known else ""))
        flow = policy.flows[flow]
    f = flow
    g = new_graph(f"flow_{f.id}", label=f"{f.name}（{f.id} · {f.kind.label}）", rankdir="TB", ranksep="0.55",
                  nodesep="0.5")

    def sid(state: str) -> str:
        return f"state/{state}"

    total = sum(counts.values()) if counts else 0
    for phase in Phase:
        states = [s for s in f.states if s.phase == phase]
        if not states:
            continue
        line, fill = PHASE_COLOURS.get(phase.value, ("#495057", "#f1f3f5"))
        with g.subgraph(name=f"cluster_phase_{phase.value}") as c:
            c.attr(label=text(f"{phase.label}（{phase.value}）"), color=line, fontcolor=line, style="rounded",
                   id=f"phase-{phase.value}")
            for s in states:
                lines = [s.name, s.id]
                tips = [f"{s.name}（{s.id}）", f"阶段：{phase.label}"]
                if s.deadline is not None:
                    dl = (f"{s.deadline.working_days} 个工作日" if s.deadline.working_days is not None
                          else f"{s.deadline.days} 日")
                    lines.append(f"时限 {dl}")
                    tips.append(f"办理期限：{dl}")
                if s.final:
                    tips.append("终态")
                if s.id in (f.on_send_back,):
                    tips.append("退回修改后进入此状态")
                if s.id in (f.on_reject,):
                    tips.append("不予准入后进入此状态")
                attrs = {"fillcolor": fill, "color": line, "id": f"state-{s.id}"}
                if s.final:
                    attrs["peripheries"] = "2"
                if counts is not None:
                    n = int(counts.get(s.id, 0))
                    lines.append(f"{n} 件")
                    tips.append(f"当前 {n} 件申请")
                    if n:
                        attrs["penwidth"] = "2.5"
                        attrs["style"] = "rounded,filled,bold"
                c.node(sid(s.id), label=text("\n".join(lines)), tooltip=tip(tips), **attrs)

    g.node("start", label="", shape="circle", style="filled", fillcolor="black", width="0.18", fixedsize="true",
           tooltip=text("提交申请"))
    g.edge("start", sid(f.initial), label=text("提交"), tooltip=text(f"提交后进入 {f.initial}"))

    for i, t in enumerate(f.transitions):
        roles = "、".join(_role(r) for r in t.roles)
        label = t.action + (f" {t.name}" if t.name else "") + f"\n[{', '.join(t.roles)}]"
        tips = [f"{t.action}" + (f"（{t.name}）" if t.name else ""), f"角色：{roles}"]
        if t.requires:
            tips.append("必填：" + "、".join(t.requires))
        for gd in t.guards:
            tips.append(f"守卫 {gd.id}（{EFFECT_LABELS.get(gd.effect.value, gd.effect.value)}）：{gd.when} → {gd.message}")
        colour = ACTION_COLOURS.get(t.action, "#343a40")
        for src in t.source:
            attrs = {"color": colour, "fontcolor": colour, "tooltip": tip(tips), "labeltooltip": tip(tips),
                     "id": f"t-{i}-{src}"}
            if t.guards:
                attrs["label"] = text(label + f"\n守卫 {len(t.guards)} 条")
            else:
                attrs["label"] = text(label)
            g.edge(sid(src), sid(t.to), **attrs)
        # guards that send back or reject lead somewhere else than `to`
        for effect, target in (("send_back", f.on_send_back), ("reject", f.on_reject)):
            guards = [gd for gd in t.guards if gd.effect.value == effect]
            if not guards or target is None:
                continue
            gtips = [f"{t.action} 的守卫规则（{EFFECT_LABELS[effect]}）"] + [
                f"{gd.id}：{gd.when} → {gd.message}" for gd in guards]
            for src in t.source:
                g.edge(sid(src), sid(target), style="dashed", color=ACTION_COLOURS.get(effect, MUTED),
                       fontcolor=ACTION_COLOURS.get(effect, MUTED), arrowhead="empty",
                       label=text(f"{t.action} 守卫\n" + "\n".join(gd.id for gd in guards)),
                       tooltip=tip(gtips), labeltooltip=tip(gtips), id=f"g-{i}-{effect}-{src}")

    if counts:
        known = {s.id for s in f.states}
        unknown = {k: v for k, v in sorted(counts.items()) if k not in known}
        summary = [f"申请合计 {total} 件"] + [f"未知状态 {k}：{v} 件" for k, v in unknown.items()]
        g.node("counts", label=text("\n".join(summary)), shape="note", style="filled", fillcolor="#fffbe6",
               color=FINDING if unknown else "#999999", tooltip=tip(summary))
    if f.params:
        params = [f"{k} = {v}" for k, v in sorted(f.params.items())]
        g.node("params", label=text("参数\n" + "\n".join(params)), shape="note", style="filled", fillcolor="#f8f9fa",
               color="#999999", fontsize="9", tooltip=tip(params))
    return g
