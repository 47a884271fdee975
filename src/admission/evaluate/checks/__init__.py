"""The checks: one module per family of findings, each rule one registered unit — a stable id, a
severity, a Chinese title (English beside it), a suggested fix and the text docs/semantics.md
shows for it — defined with its family (`Family.rule`); the families are registered below.

`run_checks(policy, on)` returns every finding as a `Diagnostic` whose `subject` follows
docs/semantics.md ("Finding subjects"), with the YAML spans of every contributing entry.
The "Checks" section of docs/semantics.md is generated from `REGISTRY` (`docs.py`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ...diagnostics import Diagnostic
from ...compile.index import Index, build_index
from ...language import Policy
from . import bases, counts, delegations, exercises, lapses, overlap, owners, pushdown, registers, templates, villages
from .registry import Context, Family, Registry, Rule, finding

__all__ = ["REGISTRY", "Context", "Family", "Registry", "Rule", "all_rules", "finding", "iter_findings",
           "run_checks"]

#: Every family in the order the checks run and docs/semantics.md lists them.
REGISTRY = Registry(m.FAMILY for m in (overlap, owners, pushdown, delegations, lapses, templates, counts, villages,
                                            bases, exercises, registers))


def all_rules() -> dict[str, Rule]:
    """Every registered rule by id, in registry order."""
    return dict(REGISTRY.rules)


def run_checks(policy: Policy, on: dt.date, index: Index | None = None,
               wanted: frozenset[str] | None = None) -> list[Diagnostic]:
    """All findings for `on`, one per (rule, subject), sorted by file and line (`wanted`: see
    `Context`; findings about other units may then be left out)."""
    ctx = Context(policy, index or build_index(policy), on, wanted)
    merged: dict[tuple[str, str], Diagnostic] = {}
    for family in REGISTRY.families:
        for f in family.check(ctx):
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
