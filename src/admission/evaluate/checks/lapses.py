"""Lapses: delegated powers whose periodic evaluation is overdue or was never scheduled.

Fires on 2026-11-23:

    evaluation: {every_months: 12, last: 2025-06-30}      # evaluation-overdue (due 2026-06-30)

Does not fire:

    evaluation: {every_months: 12, last: 2026-01-15}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ...diagnostics import Severity
from ...language.enums import DelegationMode
from .registry import Context, Family, finding

FAMILY = Family("lapses", "Lapses:", "delegation")
OVERDUE = FAMILY.rule(
    "evaluation-overdue", Severity.error, "赋权事项评估逾期", "evaluation of a delegated power is overdue",
    "组织评估并记录 evaluation.last；承接不了或长期不用的应收回",
    "an active delegation whose last evaluation (or `since` when never evaluated) plus `every_months` "
    "months is before `on`.")
MISSING = FAMILY.rule(
    "evaluation-missing", Severity.warning, "赋权事项没有评估安排", "granted power without an evaluation schedule",
    "写明 evaluation.every_months", "an active `grant` delegation with no evaluation schedule.")


def add_months(d: dt.date, months: int) -> dt.date:
    """Same day `months` later, clamped to the month's end (2024-01-31 + 1 → 2024-02-29)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(d.day, day))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def evaluation_due(dl) -> dt.date | None:
    if dl.evaluation is None:
        return None
    start = dl.evaluation.last or dl.since
    return add_months(start, dl.evaluation.every_months) if start else dt.date.min


@FAMILY.checker
def check(ctx: Context) -> Iterator:
    for dl in sorted(ctx.policy.delegations.values(), key=lambda x: x.id):
        if not dl.active(ctx.on):
            continue
        els = (f"delegation:{dl.id}", f"matter:{dl.matter}")
        if dl.evaluation is None:
            if dl.mode == DelegationMode.grant:
                yield finding(MISSING, dl.id, f"赋权 {dl.id}（“{ctx.matter_name(dl.matter)}”）没有评估安排", (dl.span,), els)
            continue
        due = evaluation_due(dl)
        if due < ctx.on:
            when = "从未评估" if due == dt.date.min else f"应于 {due} 前评估"
            yield finding(OVERDUE, dl.id, f"赋权 {dl.id}（“{ctx.matter_name(dl.matter)}”）评估逾期：{when}",
                          (dl.span,), els)
