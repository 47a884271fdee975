"""How each documented fact (`FACTS`, in the flow language) is computed for one workflow step."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..compile.index import Index
from ..language.enums import DELEGATION_ONLY, LEVEL_RANK, UnitKind
from .calendar import WorkCalendar
from ..language.facts import FACTS
from .requests import AdjustmentRequest, AdmissionRequest

# The facts computed from rows a step reads only when one of its guards reads such a fact: from
# the application's log (who reviewed it, when it was last approved) and from its opinions.
PAST_FACTS = frozenset({"actor_is_reviewer_unit", "actor_is_reviewer_person", "approved_on",
                        "effective_before_approval"})
OPINION_FACTS = frozenset({"opinions_missing", "dissents", "dissents_unanswered", "departments_missing"})


@dataclass
class StepInput:
    """What the person taking a step supplies besides the action."""

    action: str
    unit: str
    person: str
    on: dt.date
    reason: str | None = None
    document: str | None = None
    meeting: str | None = None
    effective: dt.date | None = None
    passed: bool | None = None  # evaluation outcome
    extra: dict = field(default_factory=dict)


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months, rounded up: 2025-01-01..2025-12-31 is 12."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if end.day >= start.day:
        months += 1
    return max(months, 0)


def compute(*, index: Index, calendar: WorkCalendar, flow_params: dict[str, int], kind: str, request,
            applicant_unit: str, applicant_person: str, reviewers: tuple[set[str], set[str]],
            opinions: list, opinion_deadline: dt.date | None, approved_on: dt.date | None,
            step: StepInput, targets: list[str]) -> dict:
    """Every fact of `FACTS` for this step (irrelevant ones get neutral values)."""
    units = index.units
    policy = index.policy
    d = step.on.toordinal()
    actor = units.get(step.unit)
    reviewer_units, reviewer_people = reviewers
    f: dict = dict(_NEUTRAL)
    f.update(
        action=step.action, today=step.on,
        actor_level_rank=actor.rank if actor else 9,
        actor_is_applicant_unit=bool(actor) and actor.attributed == units[applicant_unit].attributed,
        actor_is_reviewer_unit=step.unit in reviewer_units,
        actor_is_applicant_person=step.person == applicant_person,
        actor_is_reviewer_person=step.person in reviewer_people,
        targets_count=len(targets),
        has_township_target=any(units[t].kind == UnitKind.township for t in targets if t in units),
        has_village_target=any(units[t].kind == UnitKind.village for t in targets if t in units),
        document_given=bool(step.document), meeting_given=bool(step.meeting),
        evaluation_passed=bool(step.passed),
        max_short_term_months=flow_params.get("max_short_term_months", 12),
        long_term_needs_higher_approval=bool(flow_params.get("long_term_needs_higher_approval", 0)),
        apply_ahead_working_days=flow_params.get("apply_ahead_working_days", 0),
    )
    county = units[applicant_unit].county if applicant_unit in units else None
    f["targets_outside_county"] = any(units[t].county != county for t in targets if t in units)
    if approved_on:
        f["approved_on"] = approved_on
    if step.effective:
        f["effective"] = step.effective
        f["effective_before_approval"] = bool(approved_on and step.effective < approved_on)
        f["effective_days_ahead"] = max((step.effective - step.on).days, 0)
    township_targets = {units[t].township if units[t].kind == UnitKind.village else t for t in targets if t in units}
    given = {o.unit: o for o in opinions}
    f["opinions_missing"] = sum(1 for t in township_targets if t not in given)
    f["opinion_deadline_passed"] = bool(opinion_deadline and step.on > opinion_deadline)
    f["dissents"] = sum(1 for o in opinions if o.stance == "dissent")
    f["dissents_unanswered"] = sum(1 for o in opinions if o.stance == "dissent" and not o.answer)
    if isinstance(request, AdmissionRequest):
        _admission_facts(f, index, calendar, request, step, targets, d)
    elif isinstance(request, AdjustmentRequest):
        _adjustment_facts(f, index, request, opinions)
    matter = policy.matters.get(request.matter)
    if matter is not None:
        f["matter_power_type"] = matter.power_type.value
        f["matter_delegation_only"] = matter.power_type in DELEGATION_ONLY
    return f


def _admission_facts(f: dict, index: Index, calendar: WorkCalendar, req: AdmissionRequest, step: StepInput,
                     targets: list[str], d: int) -> None:
    policy = index.policy
    f["term"] = req.term.value
    start = req.start or step.on
    f["has_end_date"] = req.end is not None
    f["term_months"] = months_between(start, req.end) if req.end else 0
    f["past_end_date"] = bool(req.end and step.on > req.end)
    entry = step.effective or req.start or step.on  # the date `enter` records (steps._effects)
    f["effective_after_end"] = bool(req.end and entry > req.end)
    f["resources_declared"] = req.resources.declared
    f["resources_none"] = req.resources.none_needed
    f["staff"], f["funds"] = req.resources.staff, req.resources.funds
    f["working_days_ahead"] = calendar.working_days_between(step.on, start) if req.start else 0
    basis = policy.bases.get(req.basis)
    if basis is not None:
        f.update(basis_registered=True, basis_level=basis.level.value, basis_level_rank=LEVEL_RANK[basis.level],
                 basis_kind=basis.kind.value, basis_in_force=basis.in_force(step.on), basis_published=basis.published)
    for t in targets:
        for block in index.blocks.get((t, req.matter), ()):
            if block.since <= d <= block.until:
                if block.kind == "returned":
                    f["target_returned"] = True
                elif block.kind == "negative":
                    f["target_negative"] = True
        for e in index.entries.get((t, req.matter), ()):
            if e.in_force(d):
                f["already_assignable"] = True


def _adjustment_facts(f: dict, index: Index, req: AdjustmentRequest, opinions: list) -> None:
    from ..compile.expand import township_entries

    f["change"], f["list_kind"] = req.change, req.list
    f["lead_given"], f["taken_by_given"] = bool(req.lead), bool(req.taken_by)
    lists = township_entries(index.policy, req.township)
    kinds = {k for k in ("basic", "cooperative", "returned") if any(e.matter == req.matter for e in getattr(lists, k))}
    f["matter_on_list"] = req.list in kinds
    f["matter_on_any_list"] = bool(kinds)
    answered = {o.unit for o in opinions}
    f["departments_missing"] = sum(1 for dpt in req.departments if dpt not in answered)


def _neutral(t: str):
    return {"bool": False, "int": 0, "str": "", "date": dt.date(1970, 1, 1)}[t]


_NEUTRAL = {name: _neutral(spec.type) for name, spec in FACTS.items()}  # immutable values
