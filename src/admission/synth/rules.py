"""What a generated tree is made for: the date it is checked on and every rule id an injection can
trigger, with the ones injected through an assignment (those run after every structural change)."""

from __future__ import annotations

import datetime as dt

CHECK_DATE = dt.date(2026, 11, 23)

#: Every rule id of docs/semantics.md "Checks"; each can be injected.
RULES: tuple[str, ...] = (
    "overlap-basic-cooperative", "overlap-basic-returned", "overlap-cooperative-returned",
    "overlap-returned-two-departments", "overlap-two-leads", "overlap-grant-returned",
    "overlap-grant-cooperative", "overlap-grant-exercised", "overlap-negative-assisting",
    "missing-lead", "lead-outside-county", "lead-without-power", "missing-taker", "taker-without-power",
    "missing-owner",
    "pushdown-unlisted", "pushdown-no-standing", "burden-basis-level", "pushdown-returned", "pushdown-negative",
    "village-responsible", "certification-forbidden", "certification-unlisted", "level-skipping",
    "other-county", "village-bypass", "unit-inactive", "lapse-after-exit", "lapse-after-revocation",
    "pushdown-new-vest",
    "delegation-not-held", "delegation-other-county", "delegation-grant-basis", "delegation-entrust-basis",
    "delegation-major-penalty", "delegation-specialist", "delegation-to-village", "entrust-onward",
    "evaluation-overdue", "evaluation-missing",
    "template-other-county", "published-count-mismatch",
    "village-list-responsible",
    "basis-undated",
    "exercise-without-power",
    "inspection-outside-plan", "inspection-plan-over-limit", "documents-above-baseline", "meetings-above-baseline",
    "secondment-without-admission", "secondment-overdue", "board-outside-register", "board-without-consent",
    "seal-use-outside-scope", "evaluation-not-listed", "form-duplicate-fields", "form-not-registered",
)

#: The rules injected through an assignment: they run last, so that they see the final lists.
ASSIGNMENT_RULES = frozenset({
    "pushdown-unlisted", "pushdown-no-standing", "pushdown-returned", "pushdown-negative", "village-responsible",
    "certification-forbidden", "certification-unlisted", "level-skipping", "other-county", "village-bypass",
    "unit-inactive", "lapse-after-exit", "lapse-after-revocation", "pushdown-new-vest", "burden-basis-level",
    "basis-undated",
})
