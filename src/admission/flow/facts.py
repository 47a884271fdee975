"""The documented facts a guard condition may use, and how each is computed for one step.

Authors write conditions over these names only; the loader type-checks every condition against
`FACTS` and reports unknown names with a suggestion.  `docs/flows.md` lists them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..index import Index
from ..model.enums import DELEGATION_ONLY, LEVEL_RANK, UnitKind
from .calendar import WorkCalendar
from .expr import FactSpec
from .requests import AdjustmentRequest, AdmissionRequest

B, I, S, D = "bool", "int", "str", "date"

FACTS: dict[str, FactSpec] = {
    # the step
    "action": FactSpec(S, "当前步骤，如 review、approve"),
    "today": FactSpec(D, "办理日期"),
    "actor_level_rank": FactSpec(I, "办理单位层级：0中央 1省 2市 3县 4乡镇 5村"),
    "actor_is_applicant_unit": FactSpec(B, "办理单位就是申请单位"),
    "actor_is_reviewer_unit": FactSpec(B, "办理单位审核过本申请"),
    "actor_is_applicant_person": FactSpec(B, "经办人就是申请经办人"),
    "actor_is_reviewer_person": FactSpec(B, "经办人审核过本申请"),
    # the application (admission)
    "term": FactSpec(S, "期限类型 short / long"),
    "term_months": FactSpec(I, "短期准入的月数（长期为 0）"),
    "has_end_date": FactSpec(B, "写了结束日期"),
    "resources_declared": FactSpec(B, "写明了随事项下沉的人员、经费、装备，或声明无需"),
    "resources_none": FactSpec(B, "声明无需资源"),
    "staff": FactSpec(I, "随事项下沉的人员数"),
    "funds": FactSpec(I, "随事项下沉的经费（元）"),
    "targets_count": FactSpec(I, "准入单位数"),
    "has_township_target": FactSpec(B, "准入单位中有乡镇(街道)"),
    "has_village_target": FactSpec(B, "准入单位中有村(社区)"),
    "targets_outside_county": FactSpec(B, "有准入单位不在申请部门所在县（区）"),
    "working_days_ahead": FactSpec(I, "申请日到拟进入日的工作日数"),
    # the basis
    "basis_registered": FactSpec(B, "依据已在 bases 中登记"),
    "basis_level": FactSpec(S, "依据制发层级 central/province/city/county（未登记为 none）"),
    "basis_level_rank": FactSpec(I, "依据层级：0中央 1省 2市 3县（未登记为 9）"),
    "basis_kind": FactSpec(S, "依据类别 law/regulation/rule/decision/deployment/entrustment/notice/other"),
    "basis_in_force": FactSpec(B, "依据在办理日有效"),
    "basis_published": FactSpec(B, "依据已公开发布"),
    # the matter against the targets' lists
    "matter_power_type": FactSpec(S, "事项的权力类型 penalty/license/…"),
    "matter_delegation_only": FactSpec(B, "事项是处罚、许可或强制（应走赋权，不走准入）"),
    "target_returned": FactSpec(B, "有准入单位把该事项列在上级部门收回事项清单上"),
    "target_negative": FactSpec(B, "有准入村(社区)把该事项列在负面清单上"),
    "already_assignable": FactSpec(B, "该事项已可向某个准入单位下派（已在清单、已赋权或已准入）"),
    # review
    "opinions_missing": FactSpec(I, "尚未给出意见的乡镇(街道)数"),
    "opinion_deadline_passed": FactSpec(B, "征求意见期限已过"),
    "dissents": FactSpec(I, "不同意的乡镇数"),
    "dissents_unanswered": FactSpec(I, "审核机构尚未书面答复的不同意见数"),
    # approve / enter / exit / evaluate
    "document_given": FactSpec(B, "写明了文号"),
    "meeting_given": FactSpec(B, "写明了会议"),
    "effective": FactSpec(D, "进入日期"),
    "approved_on": FactSpec(D, "批准日期"),
    "effective_before_approval": FactSpec(B, "进入日期早于批准日期"),
    "evaluation_passed": FactSpec(B, "评估结论为通过"),
    "past_end_date": FactSpec(B, "已过短期准入结束日期"),
    # dynamic adjustment
    "change": FactSpec(S, "调整方式 add / remove"),
    "list_kind": FactSpec(S, "调整的清单 basic / cooperative / returned"),
    "matter_on_list": FactSpec(B, "该事项已在该乡镇的该清单上"),
    "matter_on_any_list": FactSpec(B, "该事项已在该乡镇的任一清单上"),
    "lead_given": FactSpec(B, "写明了牵头部门"),
    "taken_by_given": FactSpec(B, "写明了承接部门"),
    "departments_missing": FactSpec(I, "尚未会商意见的部门数"),
    # parameters of the flow (params:)
    "max_short_term_months": FactSpec(I, "参数：短期准入最长月数"),
    "long_term_needs_higher_approval": FactSpec(B, "参数：长期准入须上级审批"),
    "apply_ahead_working_days": FactSpec(I, "参数：须提前申请的工作日数"),
}

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
    from ..expand import township_entries

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
