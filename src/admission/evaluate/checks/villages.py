"""What a village may be put down for on its own lists (村级组织工作事项): a province's rule that
a village is never the responsible subject (责任主体) for enforcement, demolition, investment
promotion or work safety holds for the lists as it does for assignments (`village-responsible`).

Fires (M-AQ is tagged `work_safety`):

    village_lists: [{village: "370402101201", assisting: [{matter: M-AQ, role: responsible}]}]

Does not fire (the village assists):

    village_lists: [{village: "370402101201", assisting: [{matter: M-AQ, role: assist}]}]
"""

from __future__ import annotations

from collections.abc import Iterator

from ...compile.expand import village_entries
from ...diagnostics import Severity
from ...language.enums import VILLAGE_FORBIDDEN_TAGS, AssignmentRole
from .overlap import _in_force
from .registry import Context, Family, finding

FAMILY = Family("villages", "Village lists (what a village may be put down for on its own lists):", "village/matter")
LIST_RESPONSIBLE = FAMILY.rule(
    "village-list-responsible", Severity.error, "村(社区)清单把村列为执法、拆迁、招商引资或安全生产的责任主体",
    "village list names the village responsible for enforcement, demolition, investment promotion or work safety",
    "把 role 改为 assist（协助）或删去 role，由部门或乡镇(街道)担任责任主体",
    "an entry of a village's `duties` or `assisting` list (its template's included) in force on the check date "
    "has `role: responsible` for a matter tagged `enforcement`, `demolition`, `investment_promotion` or "
    "`work_safety`.")
_PARTS = {"duties": "依法履职事项", "assisting": "协助政府工作事项"}


@FAMILY.checker
def check(ctx: Context) -> Iterator:
    for vid in ctx.policy.village_lists:
        lists = village_entries(ctx.policy, vid)
        for part, label in _PARTS.items():
            for e in getattr(lists, part):
                if e.role != AssignmentRole.responsible or not _in_force(e, ctx.day):
                    continue
                matter = ctx.policy.matters.get(e.matter)
                tags = [t for t in (matter.tags if matter else ()) if t in VILLAGE_FORBIDDEN_TAGS]
                if tags:
                    yield finding(LIST_RESPONSIBLE, f"{vid}/{e.matter}",
                                  f"{ctx.name(vid)}：{label}“{ctx.matter_name(e.matter)}”把村(社区)列为责任主体"
                                  f"（{'、'.join(t.label for t in tags)}类事项）",
                                  (e.span,), (f"unit:{vid}", f"matter:{e.matter}"))
