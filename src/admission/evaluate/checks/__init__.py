"""The checks: one module per family of findings, each rule with a stable id, a severity, a
Chinese title (English beside it) and a suggested fix; registered explicitly below.

`run_checks(policy, on)` returns every finding as a `Diagnostic` whose `subject` follows
docs/semantics.md ("Finding subjects"), with the YAML spans of every contributing entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ...diagnostics import Diagnostic
from ...compile.index import Index, build_index
from ...language import Policy
from .registry import Context, Rule, finding

__all__ = ["Context", "Rule", "all_rules", "finding", "iter_findings", "run_checks"]


def _modules():
    from . import delegations
    from . import lapses
    from . import overlap
    from . import owners
    from . import pushdown
    from . import templates

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
