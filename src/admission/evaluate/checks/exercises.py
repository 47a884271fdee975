"""Exercises (职权行使记录): a township or village that acted — a penalty decided, an inspection
carried out — on a day it did not hold the power.  Each record is judged by `may_exercise` on its
own date, so the check and the question `may-exercise` cannot disagree.

Fires:

    delegations: [{id: G1, matter: M1, department: D1, townships: [T1], mode: entrust,
                   revoked: {date: 2025-06-30, reason: 收回}}]
    exercises: [{id: X1, unit: T1, matter: M1, date: 2025-07-15}]   # exercise-without-power

Does not fire:

    exercises: [{id: X2, unit: T1, matter: M1, date: 2025-06-01}]   # the delegation was in force
"""

from __future__ import annotations

from collections.abc import Iterator

from ...diagnostics import Severity
from ..decide import Outcome
from .registry import Context, Family, finding

FAMILY = Family("exercises", "Exercises (recorded acts of a township or village, each judged by `may_exercise` on "
                "its own date, whatever `on` is):", "exercise")
WITHOUT_POWER = FAMILY.rule(
    "exercise-without-power", Severity.error, "乡镇(村)在不持有职权时行使了职权", "power exercised without holding it",
    "核对行使日期：赋权或委托未生效、已期满或已收回时，应由原部门行使；已作出的决定须依法纠正",
    "an exercise whose unit may not exercise the matter on the exercise's date (`may_exercise` denies: "
    "not on its power list and no delegation in force — not yet effective, expired or revoked, the "
    "message says which and points at the delegation —, a matter returned, a village, or an inactive unit).")


@FAMILY.checker
def check(ctx: Context) -> Iterator:
    may = ctx.decider.may_exercise
    for x in sorted(ctx.policy.exercises.values(), key=lambda r: r.id):
        dec = may(x.unit, x.matter, x.date)
        if dec.outcome is not Outcome.deny:
            continue
        reason = dec.reasons[0]
        what = "，".join(str(v) for v in (x.date, x.kind.label if x.kind else None, x.document) if v)
        yield finding(WITHOUT_POWER, x.id, f"行使记录 {x.id}（{what}）：{reason.message}",
                      (x.span, reason.span), (f"exercise:{x.id}", f"unit:{x.unit}", f"matter:{x.matter}"))
