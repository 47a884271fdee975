"""Unauthorized pushdown (属地管理 abused): every recorded assignment is judged by `decide`
with its own date, kind, role and basis; a denial becomes a finding under the denial's rule.
Plus the "new vest" warning (换马甲): a matter renamed to look unlike a returned item.

Fires (M9 is not on 永安镇's lists, not delegated, not admitted):

    assignments: [{id: A1, by: D1, to: "370402101", matter: M9, date: 2025-03-01}]   # pushdown-unlisted

Does not fire (M1 is a cooperative duty of 永安镇 led by D1):

    assignments: [{id: A2, by: D1, to: "370402101", matter: M1, date: 2025-03-01}]
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

from ..decide import Outcome
from ...diagnostics import Severity
from ...compile.expand import township_entries
from ...language.enums import UnitKind
from .registry import Context, Family, Rule, finding
from .overlap import _in_force

E, W = Severity.error, Severity.warning
FAMILY = Family("pushdown", "Unauthorized pushdown (recorded assignments are judged by `decide` with their own date, "
                            "kind, role and basis; a denial becomes a finding under the denial's rule id):",
                "assignment")


def _denial(id: str, title: str, title_en: str, fix: str, doc: str) -> Rule:
    """A rule whose id is a denial of `decide` (docs/semantics.md, the decision's steps)."""
    return FAMILY.rule(id, E, title, title_en, fix, doc, from_decide=True)


_denial("pushdown-unlisted", "下派清单之外的事项", "assignment of a matter not on the unit's lists, not delegated, not admitted",
        "按准入程序申请，或由部门自行履行（部门担责、乡镇免责）",
        "`decide` step 9: no assignable entry for the matter at the target on the assignment's date; the finding's "
        "help states the consequence, 部门担责、乡镇免责 (the department stays responsible, the unit is exempt).")
_denial("pushdown-no-standing", "下派单位无权下派该事项", "assigning unit has no standing for the entry",
        "由牵头部门、赋权部门、业务主管部门或准入申请部门下派",
        "`decide` step 10: assignable entries exist, but the assigning unit has standing for none of them.")
_denial("burden-basis-level", "下派缺少减负规则要求层级的依据", "assignment without a basis of the level a burden rule requires",
        "附上达到要求层级、在下派日有效的依据（如县级统一部署、省级同意的文件），或撤回该下派",
        "`decide` step 4b: a `burden_rules` entry in force on the assignment's date covers its kind, its target "
        "(village or township) and the assigning side (a department or a township), and the assignment's "
        "`basis` is missing, of a lower level than `min_basis_level`, or not in force that day.")
_denial("pushdown-returned", "下派已收回的事项", "assignment of a returned item", "收回事项由承接部门履行，撤回该下派",
        "`decide` step 5: the matter is on the target township's returned list.")
_denial("pushdown-negative", "把负面清单事项交给村(社区)", "negative-list matter given to a village", "撤回该下派",
        "`decide` step 6: the matter is on the target village's negative list.")
_denial("village-responsible", "把村(社区)列为执法、拆迁、招商引资或安全生产的责任主体",
        "village named responsible for enforcement, demolition, investment promotion or work safety",
        "责任主体应为部门或乡镇，村(社区)至多协助",
        "`decide` step 8: a village is named `responsible` for a matter tagged `enforcement`, `demolition`, "
        "`investment_promotion` or `work_safety`.")
_denial("certification-forbidden", "要求村(社区)出具不应出具的证明", "request for a must-not-issue certification",
        "撤回证明要求，改由部门核查或告知承诺",
        "`decide` step 7: a `certification_request` for a matter on the village's `must_not_certify` list.")
_denial("certification-unlisted", "要求村(社区)出具正面清单外的证明", "certification outside the positive list",
        "撤回证明要求",
        "`decide` step 9: a `certification_request` outside the positive list of a village that certifies only "
        "from it (`certify_only_listed`).")
_denial("level-skipping", "越级下派", "level-skipping assignment", "经县级部门和县级党委政府，不得越级直接下派",
        "`decide` step 2: the assigning unit (attributed) is above county level.")
_denial("other-county", "向外县（区）乡镇下派", "assignment to a unit of another county", "只能向本县（区）乡镇下派",
        "`decide` step 3: the assigning unit's county differs from the target's.")
_denial("village-bypass", "绕过乡镇直接向村(社区)派任务", "assignment to a village bypassing its township",
        "经乡镇(街道)安排，或附县级以上统一部署的依据",
        "`decide` step 4: a village is given work by a unit other than its township, without a `basis` of county "
        "level or above in force on the assignment's date.")
_denial("unit-inactive", "向已撤并或未设立的单位下派（或由其下派）", "assignment by or to a unit not in force on its date",
        "核对单位的撤并、更名情况",
        "`decide` step 1: the assigning unit or the target is not active on the assignment's date.")
_denial("lapse-after-exit", "准入期满或退出后仍在下派", "assignment after the admission exited or expired",
        "重新申请准入，或停止下派",
        "`decide` step 9: an admission of the matter for the target was in force once, and its last day is before "
        "the assignment's date (expired or exited).")
_denial("lapse-after-revocation", "赋权收回后仍在下派", "assignment after the delegation was revoked", "停止下派",
        "`decide` step 9: a delegation of the matter to the target was revoked on or before the assignment's date.")
DECISION_RULES = {rule.id: rule for rule in FAMILY.rules}
NEW_VEST = FAMILY.rule(
    "pushdown-new-vest", W, "疑似“换马甲”：名称与收回事项高度相近",
    "matter name close to a returned item's (new vest)", "核对该事项是否就是已收回的事项",
    "an assignment to a township of a matter that is not itself returned there on the assignment's "
    "date but whose name, after NFKC normalisation and removal of spaces and punctuation, equals or is "
    "at least 85 % similar to a returned item's name there (换马甲).")

SIMILARITY = 0.85


@lru_cache(maxsize=200_000)
def normalise(name: str) -> str:
    """NFKC, then drop white space, punctuation and symbols (so 换马甲 spelling tricks vanish)."""
    text = unicodedata.normalize("NFKC", name)
    return "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch)[0] in "PSZ"))


def similar(a: str, b: str) -> bool:
    if a == b:
        return True
    la, lb = len(a), len(b)
    if not la or not lb or 2 * min(la, lb) / (la + lb) < SIMILARITY:
        return False
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return sm.real_quick_ratio() >= SIMILARITY and sm.quick_ratio() >= SIMILARITY and sm.ratio() >= SIMILARITY


@FAMILY.checker
def check(ctx: Context) -> Iterator:
    returned_cache: dict[str, list] = {}
    for a in sorted(ctx.policy.assignments.values(), key=lambda x: x.id):
        dec = ctx.decider.decide(a.by, a.matter, a.to, a.date, a.kind, a.role, a.basis)
        els = (f"assignment:{a.id}", f"unit:{a.by}", f"unit:{a.to}", f"matter:{a.matter}")
        if dec.outcome is Outcome.deny:
            reason = dec.reasons[0]
            rule = DECISION_RULES[reason.code]
            help_ = dec.consequence or rule.fix
            yield finding(rule, a.id, f"下派 {a.id}（{a.date}，{ctx.name(a.by)} → {ctx.name(a.to)}）：{reason.message}",
                          (a.span, reason.span), els, help=help_)
        target = ctx.units.get(a.to)
        if target is not None and target.kind == UnitKind.township:
            yield from _new_vest(ctx, a, returned_cache, els)


def _new_vest(ctx: Context, a, cache: dict[str, list], els):
    """Judged on the assignment's own date, like the rest of the assignment."""
    returned = cache.get(a.to)
    if returned is None:
        returned = cache[a.to] = list(township_entries(ctx.policy, a.to).returned)
    day = a.date.toordinal()
    returned = [e for e in returned if _in_force(e, day)]
    if any(e.matter == a.matter for e in returned):
        return
    mine = normalise(ctx.matter_name(a.matter))
    for e in returned:
        theirs = ctx.matter_name(e.matter)
        if similar(mine, normalise(theirs)):
            yield finding(NEW_VEST, a.id,
                          f"下派 {a.id} 的事项“{ctx.matter_name(a.matter)}”与已收回事项“{theirs}”高度相近，疑似换马甲",
                          (a.span, e.span), (*els, f"matter:{e.matter}"))
            return
