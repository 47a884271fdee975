"""The registers beside the lists (issue 20): inspections outside the approved plan, plans over
their limit, documents and meetings above the baseline year, secondments without admission or
past their term, boards outside the register or without a province's consent, the community seal
used outside its scope, evaluations not among a community's items, forms that ask one unit for
the same fields twice, and forms not in the register.  Recorded acts are judged by the questions
of `evaluate/registers.py` on their own dates.

Fires (no approved plan lists item I1):

    inspections: [{id: X1, department: D1, target: T1, date: 2025-05-01, item: I1}]

Does not fire:

    inspection_plans: [{id: P1, department: D1, year: 2025, approval: {by: G, date: 2025-01-20},
                        items: [{id: I1, name: 安全生产检查}]}]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ...diagnostics import Severity
from .. import registers as q
from ..decide import Outcome
from .registry import Context, Family, finding

FAMILY = Family("registers", "Registers beside the lists (inspection plans, documents and meetings, secondments, "
                "boards, the community seal, evaluation items, forms); a subject is the unit the finding burdens "
                "and the record:", "unit/record")
OUTSIDE_PLAN = FAMILY.rule(
    q.OUTSIDE_PLAN, Severity.error, "督查检查考核未列入年度计划，也未经临时申报批准", "inspection outside the approved plan",
    "列入部门年度计划并报党委政府审定，或临时申报、一事一议经批准后再开展；否则取消",
    "an inspection record whose item is in no approved plan of its department for the year (covering its "
    "target) and no approved one-off item (`may_inspect` denies).")
OVER_LIMIT = FAMILY.rule(
    "inspection-plan-over-limit", Severity.error, "部门年度督查检查考核计划超过项数上限", "inspection plan over its limit",
    "合并计划项目，使项数不超过上限（原则上每个部门每年一项）",
    "an inspection plan lists more items than its `limit` (1 unless written).")
DOCUMENTS = FAMILY.rule(
    "documents-above-baseline", Severity.error, "发文数超过基准年", "documents above the baseline year",
    "压减发文（白头文件、便签、发电计入发文），不超过基准年数量",
    "a document count whose documents plus substitutes (unheaded documents, notes, telegrams) exceed the "
    "baseline year's documents.")
MEETINGS = FAMILY.rule(
    "meetings-above-baseline", Severity.error, "会议数超过基准年", "meetings above the baseline year",
    "合并、精简会议，不超过基准年数量", "a document count whose meetings exceed the baseline year's meetings.")
NO_ADMISSION = FAMILY.rule(
    q.SECONDMENT_NO_ADMISSION, Severity.error, "借调乡镇(街道)人员未经县级借调准入", "secondment without admission",
    "经县级借调准入（流程 secondment）批准后再借调，否则人员立即返回乡镇",
    "a secondment record without an admission.")
OVERDUE = FAMILY.rule(
    "secondment-overdue", Severity.error, "借调期满人员未返回乡镇(街道)", "secondment past its term",
    "期满即让人员返回乡镇；确需延长的重新经借调准入",
    "a secondment whose term ended before the check date and whose staff were not returned by its end.")
BOARD_OUTSIDE = FAMILY.rule(
    q.BOARD_OUTSIDE, Severity.error, "悬挂了机制牌子目录之外的牌子", "board outside the register",
    "摘除该牌子，或按程序列入机制牌子目录",
    "a board present at a unit (its register's `present`) that is no board of the register in force.")
BOARD_CONSENT = FAMILY.rule(
    q.BOARD_NO_CONSENT, Severity.error, "新设机制、专岗或牌子未经省级同意", "board or mechanism without provincial consent",
    "报省级党委政府同意；未同意的撤销",
    "a board of a register in force that is new, a mechanism or a dedicated post, without a consent given "
    "by a provincial government.")
SEAL = FAMILY.rule(
    q.SEAL_OUTSIDE, Severity.error, "社区印章用于使用范围之外", "community seal used outside its scope",
    "拒绝在范围之外用印；确需的列入社区印章使用范围", "a seal-use record whose purpose is not in the community's "
    "seal scope in force on its date (`may_seal` denies).")
EVALUATION = FAMILY.rule(
    q.EVALUATION_NOT_LISTED, Severity.error, "对社区开展了综合考核评比项目之外的考核评比",
    "evaluation not among the community's items", "取消该考核评比，或列入社区综合考核评比项目",
    "an evaluation record on a community whose item is not among the community's evaluation items.")
DUPLICATE_FIELDS = FAMILY.rule(
    "form-duplicate-fields", Severity.warning, "两张报表向同一单位要相同字段", "two forms ask one unit for the same fields",
    "合并报表或删去重复字段，一数一源、一次填报多方复用",
    "two forms in force that ask a common unit for one or more identical fields; the subject names the "
    "first common unit and both forms (`<unit>/<form>+<form>`), the message the fields.")
NOT_REGISTERED = FAMILY.rule(
    q.FORM_NOT_REGISTERED, Severity.error, "要求填报报表目录之外的表格", "form not in the register",
    "撤回该填报要求，或将表格列入报表目录", "a data request whose form is not in the register in force, is "
    "another department's, or does not name the unit (`may_request_form` denies).")


@FAMILY.checker
def check(ctx: Context) -> Iterator:
    dec = q.RegisterDecider(ctx.index)
    yield from _inspections(ctx, dec)
    yield from _counts(ctx)
    yield from _secondments(ctx)
    yield from _boards(ctx, dec)
    for use in ctx.policy.seal_uses.values():
        d = dec.may_seal(use.community, use.purpose, use.date)
        if d.outcome is Outcome.deny:
            yield finding(SEAL, f"{use.community}/{use.id}", f"用印记录 {use.id}（{use.date}）：{d.reasons[0].message}",
                          (use.span, d.reasons[0].span), (f"unit:{use.community}",))
    yield from _forms(ctx, dec)


def _inspections(ctx: Context, dec: q.RegisterDecider) -> Iterator:
    for x in ctx.policy.inspections.values():
        d = dec.may_inspect(x.department, x.item or x.name or x.id, x.target, x.date, x.kind)
        if d.outcome is not Outcome.deny:
            continue
        rule = EVALUATION if d.code == q.EVALUATION_NOT_LISTED else OUTSIDE_PLAN
        yield finding(rule, f"{x.target}/{x.id}", f"记录 {x.id}（{x.date}）：{d.reasons[0].message}",
                      (x.span, d.reasons[0].span), (f"unit:{x.target}", f"unit:{x.department}"))
    for plan in ctx.policy.inspection_plans.values():
        if len(plan.items) > plan.limit:
            yield finding(OVER_LIMIT, f"{plan.department}/{plan.id}",
                          f"{ctx.name(plan.department)} {plan.year} 年计划 {len(plan.items)} 项，超过上限 {plan.limit} 项",
                          (plan.span,), (f"unit:{plan.department}",))


def _counts(ctx: Context) -> Iterator:
    for c in ctx.policy.document_counts.values():
        base = c.baseline
        if c.all_documents > base.documents:
            extra = f"（其中变相发文 {c.substitutes.total}）" if c.substitutes.total else ""
            yield finding(DOCUMENTS, f"{c.unit}/{c.id}", f"{ctx.name(c.unit)} {c.year} 年发文 {c.all_documents} 件{extra}，"
                          f"超过 {base.year} 年的 {base.documents} 件", (c.span,), (f"unit:{c.unit}",))
        if c.meetings > base.meetings:
            yield finding(MEETINGS, f"{c.unit}/{c.id}", f"{ctx.name(c.unit)} {c.year} 年开会 {c.meetings} 个，"
                          f"超过 {base.year} 年的 {base.meetings} 个", (c.span,), (f"unit:{c.unit}",))


def _secondments(ctx: Context) -> Iterator:
    for s in ctx.policy.secondments.values():
        who = f"{ctx.name(s.organ)}借调{ctx.name(s.township)} {s.count} 人（{s.since} 至 {s.until}）"
        if s.admission is None:
            yield finding(NO_ADMISSION, f"{s.township}/{s.id}", f"借调 {s.id}：{who}，没有县级借调准入",
                          (s.span,), (f"unit:{s.township}", f"unit:{s.organ}"))
        if s.until < ctx.on and (s.returned is None or s.returned > s.until):
            late = f"{s.returned} 才返回" if s.returned else "至今未返回"
            yield finding(OVERDUE, f"{s.township}/{s.id}", f"借调 {s.id}：{who}，期满{late}",
                          (s.span,), (f"unit:{s.township}", f"unit:{s.organ}"))


def _boards(ctx: Context, dec: q.RegisterDecider) -> Iterator:
    for uid, reg in ctx.policy.board_registers.items():
        if not reg.in_force(ctx.on):
            continue
        for b in reg.boards:
            if b.in_force(ctx.on) and b.needs_consent and not q.approved_by_province(b.consent, ctx.index):
                yield finding(BOARD_CONSENT, f"{uid}/{b.id}", f"{ctx.name(uid)}：“{b.name}”（{b.kind.label}）须经省级同意，"
                              "没有省级同意的记录", (b.span, reg.span), (f"unit:{uid}",))
        for name in reg.present:
            if dec.board(uid, name, ctx.on) is None:
                yield finding(BOARD_OUTSIDE, f"{uid}/{name}", f"{ctx.name(uid)}悬挂的“{name}”不在机制牌子目录中",
                              (reg.span,), (f"unit:{uid}",))


def _forms(ctx: Context, dec: q.RegisterDecider) -> Iterator:
    for r in ctx.policy.data_requests.values():
        d = dec.may_request_form(r.department, r.unit, r.form, r.date)
        if d.outcome is Outcome.deny:
            yield finding(NOT_REGISTERED, f"{r.unit}/{r.id}", f"填报要求 {r.id}（{r.date}）：{d.reasons[0].message}",
                          (r.span, d.reasons[0].span), (f"unit:{r.unit}", f"unit:{r.department}"))
    for (a, b), fields, unit in duplicate_fields(ctx.policy.forms.values(), ctx.on):
        yield finding(DUPLICATE_FIELDS, f"{unit}/{a.id}+{b.id}",
                      f"“{a.name}”与“{b.name}”都向{ctx.name(unit)}等单位要：{'、'.join(fields)}",
                      (a.span, b.span), (f"unit:{unit}", f"unit:{a.department}", f"unit:{b.department}"))


def duplicate_fields(forms, on) -> list[tuple[tuple, list[str], str]]:
    """Pairs of forms in force on `on` asking a common unit for the same fields: ((a, b), the
    fields in a's order, the first common unit), a before b by id.  Pairs are formed per unit
    asked, so a county's one form for all its townships costs no pairs with other counties'."""
    live = sorted((f for f in forms if f.in_force(on)), key=lambda f: f.id)
    by_unit: dict[str, list[int]] = defaultdict(list)
    for i, f in enumerate(live):
        for unit in dict.fromkeys(f.targets):
            by_unit[unit].append(i)
    first: dict[tuple[int, int], str] = {}
    for unit in sorted(by_unit):
        holders = by_unit[unit]
        for x, i in enumerate(holders):
            for j in holders[x + 1:]:
                first.setdefault((i, j), unit)
    out = []
    for (i, j), unit in sorted(first.items()):
        a, b = live[i], live[j]
        theirs = set(b.fields)
        shared = [name for name in dict.fromkeys(a.fields) if name in theirs]
        if shared:
            out.append(((a, b), shared, unit))
    return out
