"""The five questions of the registers (issue 20), answered like a pushdown — an outcome with its
reasons, each naming the register entry that allows or the rule that denies:

- may department D run inspection I on township or village T on day Y (`may_inspect`)?
- may organ O second N staff from township T (`may_second`)?
- may village V hang board B (`may_hang`)?
- may the community seal of C be used for purpose P (`may_seal`)?
- may department D ask village V to fill form F (`may_request_form`)?

The checks of `checks/registers.py` judge each recorded act with the same function, so a check
and a question cannot disagree.  Deny wins and the default is deny; unknown ids are an error.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from ..compile.index import Index
from ..language.enums import InspectionKind, UnitKind
from ..language.registers import Approval, Board, InspectionPlan
from .decide import Authority, Decision, Outcome, Reason, unknown_ids

# rule ids a denial carries (the checks register them with these ids)
OUTSIDE_PLAN = "inspection-outside-plan"
EVALUATION_NOT_LISTED = "evaluation-not-listed"
SECONDMENT_NO_ADMISSION = "secondment-without-admission"
BOARD_OUTSIDE = "board-outside-register"
BOARD_NO_CONSENT = "board-without-consent"
SEAL_OUTSIDE = "seal-use-outside-scope"
FORM_NOT_REGISTERED = "form-not-registered"


def approved_by_province(approval: Approval | None, index: Index) -> bool:
    """A consent given by a provincial party committee or government."""
    if approval is None:
        return False
    unit = index.units.get(approval.by)
    return unit is not None and unit.kind is UnitKind.government and unit.rank <= 1


class RegisterDecider:
    """Answers the register questions against one `Index` (its policy's registers)."""

    def __init__(self, index: Index):
        self.index = index
        self.policy = policy = index.policy
        self.units = index.units
        self.plans: dict[tuple[str, int], list[InspectionPlan]] = defaultdict(list)
        for plan in policy.inspection_plans.values():
            self.plans[(plan.department, plan.year)].append(plan)

    # ------------------------------------------------------------------ helpers
    def _answer(self, outcome, actor, what, target, on, reasons, authority=None) -> Decision:
        return Decision(outcome, actor, what, target, on, tuple(reasons), authority, self.index.revision,
                        self.index.admission_seq)

    def _deny(self, code, message, actor, what, target, on, span=None) -> Decision:
        return self._answer(Outcome.deny, actor, what, target, on, [Reason(code, message, span)])

    def _allow(self, code, message, actor, what, target, on, label, record, span, basis=None) -> Decision:
        return self._answer(Outcome.allow, actor, what, target, on, [Reason(code, message, span)],
                            Authority("register", label, record, span, basis))

    def _unknown(self, actor, what, target, on, ids: list[str]) -> Decision | None:
        missing = unknown_ids(actor, None, target, self.units, {})
        missing += [i for i in ids if i]
        if not missing:
            return None
        return self._answer(Outcome.error, actor or "", what, target or "", on,
                            [Reason("unknown-id", "未知的标识：" + "、".join(missing))])

    def name(self, uid: str) -> str:
        u = self.units.get(uid)
        return u.name if u else uid

    # ------------------------------------------------------------------ inspections
    def may_inspect(self, department: str, item: str, target: str, on: dt.date,
                    kind: InspectionKind = InspectionKind.inspection) -> Decision:
        """In the department's approved plan for the year (or an approved one-off item) covering
        the target; an evaluation of a community must also be one of its evaluation items."""
        err = self._unknown(department, item, target, on, [])
        if err:
            return err
        t = self.units[target]
        if kind is InspectionKind.evaluation and t.kind is UnitKind.village:
            listed = self.policy.evaluation_items.get(target)
            if listed is None or not listed.in_force(on) or not any(i.id == item or i.name == item for i in listed.items):
                return self._deny(EVALUATION_NOT_LISTED,
                                  f"“{item}”不在{t.name}的社区综合考核评比项目中：对社区只能开展所列的考核评比",
                                  department, item, target, on, listed.span if listed else None)
        approved = [p for p in self.plans.get((department, on.year), ()) if p.approval and p.approval.date <= on]
        for plan in approved:
            for entry in plan.items:
                if entry.id == item and (not entry.targets or target in entry.targets):
                    return self._allow("in-plan", f"列入{self.name(department)} {plan.year} 年度计划（{plan.id}），"
                                       f"经{self.name(plan.approval.by)}审定", department, item, target, on,
                                       "督查检查考核计划", plan.id, entry.span or plan.span, plan.approval.document)
        for plan in self.plans.get((department, on.year), ()):
            for entry in plan.one_off:
                ok = entry.approval is not None and entry.approval.date <= on
                if ok and entry.id == item and (not entry.targets or target in entry.targets):
                    return self._allow("one-off-approved", f"临时申报、一事一议，经{self.name(entry.approval.by)}"
                                       f"于 {entry.approval.date} 批准", department, item, target, on,
                                       "临时申报项目", plan.id, entry.span, entry.approval.document)
        why = ("没有经审定的年度计划" if not approved else "不在经审定的年度计划内") + "，也没有经批准的临时申报（一事一议）"
        span = approved[0].span if approved else None
        return self._deny(OUTSIDE_PLAN, f"{self.name(department)}对{t.name}开展“{item}”：{on.year} 年{why}",
                          department, item, target, on, span)

    # ------------------------------------------------------------------ secondments
    def may_second(self, organ: str, township: str, count: int, on: dt.date) -> Decision:
        """Only through the county's secondment admission: an admitted secondment from the
        township to the organ, in its term on `on`, for at least `count` staff."""
        err = self._unknown(organ, str(count), township, on, [])
        if err:
            return err
        admitted = [s for s in (*self.policy.secondments.values(), *self.index.workflow_secondments.values())
                    if s.township == township and s.organ == organ and s.admission is not None and s.in_force(on)
                    and s.admission.date <= on]
        room = sum(s.count for s in admitted)
        if admitted and room >= count:
            s = admitted[0]
            return self._allow("secondment-admitted", f"经{self.name(s.admission.by)}借调准入（{s.id}），"
                               f"期限至 {s.until}，准入 {room} 人", organ, str(count), township, on,
                               "借调准入", s.id, s.span, s.admission.document)
        msg = (f"{self.name(organ)}借调{self.name(township)} {count} 人：" +
               (f"准入只有 {room} 人" if admitted else "没有在期限内的借调准入") + "；须经县级借调准入（流程 secondment）")
        return self._deny(SECONDMENT_NO_ADMISSION, msg, organ, str(count), township, on,
                          admitted[0].span if admitted else None)

    # ------------------------------------------------------------------ boards
    def board(self, unit: str, board: str, on: dt.date) -> Board | None:
        register = self.policy.board_registers.get(unit)
        if register is None or not register.in_force(on):
            return None
        return next((b for b in register.boards if (b.id == board or b.name == board) and b.in_force(on)), None)

    def may_hang(self, unit: str, board: str, on: dt.date) -> Decision:
        """In the unit's board register in force; a new board, a mechanism or a dedicated post
        only with a province's consent."""
        err = self._unknown(None, board, unit, on, [])
        if err:
            return err
        found = self.board(unit, board, on)
        register = self.policy.board_registers.get(unit)
        if found is None:
            return self._deny(BOARD_OUTSIDE, f"“{board}”不在{self.name(unit)}的机制牌子目录中：只能悬挂目录内的牌子",
                              "", board, unit, on, register.span if register else None)
        if found.needs_consent and not approved_by_province(found.consent, self.index):
            return self._deny(BOARD_NO_CONSENT, f"“{found.name}”（{found.kind.label}）须经省级同意，没有省级同意的记录",
                              "", board, unit, on, found.span)
        return self._allow("board-registered", f"列入{self.name(unit)}的机制牌子目录（{found.kind.label}）", "",
                           board, unit, on, "机制牌子目录", found.id, found.span,
                           found.consent.document if found.consent else None)

    # ------------------------------------------------------------------ seals
    def may_seal(self, community: str, purpose: str, on: dt.date) -> Decision:
        """Only for a purpose in the community's seal-use scope in force."""
        err = self._unknown(None, purpose, community, on, [])
        if err:
            return err
        scope = self.policy.seal_scopes.get(community)
        if scope is not None and scope.in_force(on):
            for p in scope.purposes:
                if purpose in (p.id, p.name):
                    return self._allow("seal-in-scope", f"属于{self.name(community)}印章使用范围：{p.name}", "",
                                       purpose, community, on, "社区印章使用范围", p.id, p.span or scope.span, p.basis)
        return self._deny(SEAL_OUTSIDE, f"“{purpose}”不在{self.name(community)}的社区印章使用范围内（不得当“万能章”使用）",
                          "", purpose, community, on, scope.span if scope else None)

    # ------------------------------------------------------------------ forms
    def may_request_form(self, department: str, unit: str, form: str, on: dt.date) -> Decision:
        """Only a form of the register in force, made by the department, that names the unit."""
        err = self._unknown(department, form, unit, on, [])
        if err:
            return err
        f = self.policy.forms.get(form)
        if f is None or not f.in_force(on):
            why = "不在报表目录中" if f is None else "不在有效期内"
        elif self.index.units[department].attributed != self.index.units.get(f.department, self.units[department]).attributed:
            why = f"是{self.name(f.department)}的表格，不是{self.name(department)}的"
        elif unit not in f.targets:
            why = f"的填报单位不含{self.name(unit)}"
        else:
            return self._allow("form-registered", f"报表目录内的“{f.name}”（{len(f.fields)} 个字段）", department, form,
                               unit, on, "报表目录", f.id, f.span)
        return self._deny(FORM_NOT_REGISTERED, f"{self.name(department)}要求{self.name(unit)}填报“{form}”：该表格{why}",
                          department, form, unit, on, f.span if f else None)
