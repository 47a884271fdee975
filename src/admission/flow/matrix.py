"""Who may act where: the role × state matrix of a flow, read from its transitions.

The flow's YAML is the only source of who may do what; this module turns it into the table
reviewers read in docs/flows.md (`admission flow roles --write-docs docs/flows.md`) and that the
role × state test drives step by step, so the documentation, the flow and the engine cannot
drift apart."""

from __future__ import annotations

from collections.abc import Iterable

from ..language.flow import Flow, Role

BEGIN = "<!-- BEGIN GENERATED: roles — edit the flows under policies/flows/, then run " \
        "`admission flow roles --write-docs docs/flows.md` -->"
END = "<!-- END GENERATED: roles -->"


def who_acts(flow: Flow) -> dict[str, dict[str, tuple[str, ...]]]:
    """state → role → the actions that role may take there (in the flow's order; `apply` is
    the submission itself, not a step, and is left out)."""
    out: dict[str, dict[str, list[str]]] = {s.id: {} for s in flow.states}
    for t in flow.transitions:
        if t.action == "apply":
            continue
        for state in t.source:
            for role in t.roles:
                actions = out[state].setdefault(role, [])
                if t.action not in actions:
                    actions.append(t.action)
    return {s: {r: tuple(a) for r, a in roles.items()} for s, roles in out.items()}


def may(flow: Flow, state: str, role: str, action: str) -> bool:
    return action in who_acts(flow).get(state, {}).get(role, ())


def roles_markdown(flows: Iterable[Flow]) -> str:
    """One table per flow: a row per state, a column per role that acts anywhere in it."""
    parts: list[str] = []
    for flow in sorted(flows, key=lambda f: f.id):
        matrix = who_acts(flow)
        acting = [r for r in Role if any(r.value in roles for roles in matrix.values())]
        parts.append(f"**{flow.name}** (`{flow.id}`)\n")
        parts.append("| 状态 state | " + " | ".join(f"{r.label} `{r.value}`" for r in acting) + " |")
        parts.append("|---" * (len(acting) + 1) + "|")
        for s in flow.states:
            cells = [", ".join(f"`{a}`" for a in matrix[s.id].get(r.value, ())) or "—" for r in acting]
            parts.append(f"| {s.name} `{s.id}` | " + " | ".join(cells) + " |")
        parts.append("")
    return "\n".join(parts)
