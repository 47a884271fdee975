"""The checks: one module per family of findings, each rule with a stable id, a severity, a
Chinese title (English beside it) and a suggested fix; registered explicitly below.

`run_checks(policy, on)` returns every finding as a `Diagnostic` whose `subject` follows
docs/semantics.md ("Finding subjects"), with the YAML spans of every contributing entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..decide import Decider
from ..diagnostics import Diagnostic, Severity, Span
from ..index import Index, build_index
from ..model import Policy


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    title: str  # Chinese
    title_en: str
    fix: str  # suggested fix, Chinese


class Context:
    """What a check reads: the policy, its index, a decider and the date of the check."""

    def __init__(self, policy: Policy, index: Index, on: dt.date):
        self.policy = policy
        self.index = index
        self.on = on
        self.day = on.toordinal()
        self.decider = Decider(index)
        self.units = index.units
        self.matters = policy.matters

    def name(self, uid: str) -> str:
        u = self.units.get(uid)
        return u.name if u else uid

    def matter_name(self, mid: str) -> str:
        m = self.matters.get(mid)
        return m.name if m else mid


def finding(rule: Rule, subject: str, message: str, spans: Iterable[Span | None] = (),
            elements: Iterable[str] = (), help: str | None = None) -> Diagnostic:
    located = [s for s in spans if s is not None]
    return Diagnostic(
        code=rule.id, message=message, span=located[0] if located else None, severity=rule.severity,
        subject=subject, help=help or rule.fix, related=tuple(dict.fromkeys(located[1:])),
        message_en=rule.title_en, elements=tuple(dict.fromkeys(elements)))


def _modules():
    from . import delegations, lapses, overlap, owners, pushdown, templates

    return (overlap, owners, pushdown, delegations, lapses, templates)


def all_rules() -> dict[str, Rule]:
    """Every rule id of every check module; ids are unique (a test asserts it)."""
    rules: dict[str, Rule] = {}
    for mod in _modules():
        for rule in mod.RULES:
            if rule.id in rules:
                raise ValueError(f"duplicate rule id {rule.id}")
            rules[rule.id] = rule
    return rules


def run_checks(policy: Policy, on: dt.date, index: Index | None = None) -> list[Diagnostic]:
    """All findings for `on`, one per (rule, subject), sorted by file and line."""
    ctx = Context(policy, index or build_index(policy), on)
    merged: dict[tuple[str, str], Diagnostic] = {}
    for mod in _modules():
        for f in mod.check(ctx):
            key = (f.code, f.subject or "")
            prev = merged.get(key)
            merged[key] = f if prev is None else _merge(prev, f)
    return sorted(merged.values(), key=Diagnostic.sort_key)


def _merge(a: Diagnostic, b: Diagnostic) -> Diagnostic:
    from dataclasses import replace

    spans = [s for s in (b.span, *b.related) if s is not None and s != a.span and s not in a.related]
    return replace(a, related=a.related + tuple(spans), elements=tuple(dict.fromkeys(a.elements + b.elements)))


def iter_findings(policy: Policy, on: dt.date) -> Iterator[Diagnostic]:
    yield from run_checks(policy, on)
