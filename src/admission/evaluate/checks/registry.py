"""What a check rule is (`Rule`), what a check reads (`Context`) and how a finding is made
(`finding`): the pieces every check module imports, apart from the package that runs them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from ..decide import Decider
from ...diagnostics import Diagnostic, Severity, Span
from ...compile.index import Index
from ...language import Policy


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
