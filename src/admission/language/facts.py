"""The documented facts a guard condition may use: each name with its type and Chinese meaning.

Part of the flow language: the loader type-checks every guard condition against `FACTS` and
reports unknown names with a suggestion; `flow/facts.py` computes them for one step.
`docs/flows.md` lists them between the markers below (`admission flow facts --markdown`), and a
test fails when that list drifts from `FACTS`.
"""

from __future__ import annotations

from .expr import FactSpec

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
    "effective_after_end": FactSpec(B, "进入日期晚于短期准入结束日期（批准的期限已过）"),
    "effective_days_ahead": FactSpec(I, "进入日期晚于办理日的天数（不晚于办理日为 0）"),
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


BEGIN = "<!-- BEGIN GENERATED: facts — edit src/admission/language/facts.py, then run " \
        "`admission flow facts --write-docs docs/flows.md` -->"
END = "<!-- END GENERATED: facts -->"


def facts_markdown(facts: dict[str, FactSpec] = FACTS) -> str:
    """The table of facts for docs/flows.md: name, type, meaning, in the order of `FACTS`."""
    rows = ["| 事实 fact | 类型 type | 含义 meaning |", "|---|---|---|"]
    rows += [f"| `{name}` | {spec.type} | {spec.description} |" for name, spec in facts.items()]
    return "\n".join(rows) + "\n"
