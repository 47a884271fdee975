"""Which findings a view shows, and how it marks them.

A finding names what it is about in `.elements` (`unit:<id>`, `matter:<id>`,
`delegation:<id>`, `assignment:<id>`) and in `.subject` (docs/semantics.md, "Finding
subjects").  A view shows a finding when it involves the view's subject; each shown finding
becomes a red note (rule id as label, message in the tooltip) tied by red dashed edges to the
drawn elements it names, and those elements are drawn red with the rule id and message in
their tooltips.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import graphviz

from ..diagnostics import Diagnostic
from ..language import Policy
from .style import FINDING, FINDING_FILL, h_attr, text, tip


def sort_findings(findings: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(findings, key=lambda f: (f.code, f.subject or "", f.message))


def finding_line(f: Diagnostic) -> str:
    return f"[{f.code}] {f.message}"


def elements_of(f: Diagnostic, kind: str) -> list[str]:
    prefix = kind + ":"
    return [e[len(prefix):] for e in f.elements if e.startswith(prefix)]


def subject_parts(f: Diagnostic) -> tuple[str | None, str | None]:
    """(unit, matter) of a `"<unit>/<matter>"` subject, (unit, None) of a bare unit subject."""
    s = f.subject or ""
    if "/" in s:
        u, m = s.split("/", 1)
        return u, m
    return (s or None), None


def involves_unit(f: Diagnostic, policy: Policy, uid: str) -> bool:
    """The finding names the unit: as an element, as its subject, or through a delegation
    naming it (or by it) or an assignment to it (or by it)."""
    if f"unit:{uid}" in f.elements:
        return True
    unit, _ = subject_parts(f)
    if unit == uid:
        return True
    for did in elements_of(f, "delegation"):
        dl = policy.delegations.get(did)
        if dl is not None and (uid in dl.townships or dl.department == uid):
            return True
    for aid in elements_of(f, "assignment"):
        a = policy.assignments.get(aid)
        if a is not None and uid in (a.to, a.by):
            return True
    return False


def involves_matter(f: Diagnostic, mid: str) -> bool:
    if f"matter:{mid}" in f.elements:
        return True
    return subject_parts(f)[1] == mid


class Marks:
    """Findings per drawn target (a DOT node name, or `node:port` for a table row)."""

    def __init__(self) -> None:
        self.by_target: dict[str, list[Diagnostic]] = {}

    def add(self, target: str, f: Diagnostic) -> None:
        lst = self.by_target.setdefault(target, [])
        if f not in lst:
            lst.append(f)

    def of(self, target: str) -> list[Diagnostic]:
        return sort_findings(self.by_target.get(target, ()))

    def lines(self, target: str) -> list[str]:
        return [finding_line(f) for f in self.of(target)]

    def __contains__(self, target: str) -> bool:
        return bool(self.by_target.get(target))


def node_style(marks: Marks, target: str, tooltip_lines: Sequence[str]) -> dict:
    """Attributes of a plain node: red with its findings in the tooltip when marked."""
    found = marks.lines(target)
    attrs = {"tooltip": tip([*tooltip_lines, *found])}
    if found:
        attrs.update(color=FINDING, fontcolor=FINDING, penwidth="2", fillcolor=FINDING_FILL)
    return attrs


def row_tooltip(marks: Marks, target: str, lines: Sequence[str]) -> str:
    return h_attr([*lines, *marks.lines(target)])


def draw_findings(g: graphviz.Digraph, shown: Sequence[Diagnostic], targets: Sequence[Sequence[str]],
                  title: str = "问题 findings") -> None:
    """A red cluster with one note per finding, tied to the drawn targets it names."""
    if not shown:
        return
    with g.subgraph(name="cluster_findings") as c:
        c.attr(label=text(f"{title}（{len(shown)}）"), color=FINDING, fontcolor=FINDING, style="rounded,dashed")
        for i, f in enumerate(shown):
            name = f"finding/{i:03d}"
            label = f"{f.code}\n{f.subject or ''}".strip()
            c.node(name, label=text(label), shape="note", color=FINDING, fontcolor=FINDING,
                   fillcolor=FINDING_FILL, style="filled", tooltip=tip([finding_line(f), f.help or ""]),
                   id=f"finding-{i:03d}")
    for i, (f, tg) in enumerate(zip(shown, targets)):
        for target in sorted(set(tg)):
            g.edge(f"finding/{i:03d}", target, color=FINDING, style="dashed", dir="none",
                   constraint="false", tooltip=tip(finding_line(f)))
