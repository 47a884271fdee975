"""A policy file and a whole loaded policy (every file of a tree, merged and indexed)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import Field

from .base import StrictModel
from .flow import Calendar, Flow
from .registers import (
    BoardRegister, CommunityEvaluations, DataRequest, DocumentCount, Form, Inspection, InspectionPlan, SealScope,
    SealUse, Secondment,
)
from .entities import (
    AdmissionRecord, Assignment, Basis, BurdenRule, Delegation, Exercise, UnitGroup, Matter, PowerList, TownshipList,
    TownshipTemplate, Unit, VillageList, VillageTemplate,
)

LANGUAGE_VERSION = 1


class PolicyFile(StrictModel):
    """一个策略文件：以下各节均可选，任意组织（通常一县一文件）。"""

    version: int = Field(default=LANGUAGE_VERSION, ge=1, le=LANGUAGE_VERSION, title="语言版本")
    title: str | None = Field(default=None, title="文件说明")
    units: list[Unit] = Field(default_factory=list, title="单位")
    bases: list[Basis] = Field(default_factory=list, title="依据")
    matters: list[Matter] = Field(default_factory=list, title="事项目录")
    power_lists: list[PowerList] = Field(default_factory=list, title="权责清单")
    township_templates: list[TownshipTemplate] = Field(default_factory=list, title="乡镇清单模板")
    township_lists: list[TownshipList] = Field(default_factory=list, title="乡镇(街道)履行职责事项清单")
    village_templates: list[VillageTemplate] = Field(default_factory=list, title="村(社区)清单模板")
    village_lists: list[VillageList] = Field(default_factory=list, title="村(社区)清单")
    delegations: list[Delegation] = Field(default_factory=list, title="赋权清单")
    admissions: list[AdmissionRecord] = Field(default_factory=list, title="准入记录（历史）")
    assignments: list[Assignment] = Field(default_factory=list, title="下派记录")
    burden_rules: list[BurdenRule] = Field(default_factory=list, title="减负规则（下派须有的依据层级）")
    unit_groups: list[UnitGroup] = Field(default_factory=list, title="接收单位集合（赋权、准入可整体引用）")
    exercises: list[Exercise] = Field(default_factory=list, title="职权行使记录")
    flows: list[Flow] = Field(default_factory=list, title="流程定义（准入、动态调整）")
    calendars: list[Calendar] = Field(default_factory=list, title="工作日历")
    inspection_plans: list[InspectionPlan] = Field(default_factory=list, title="督查检查考核计划")
    inspections: list[Inspection] = Field(default_factory=list, title="督查检查考核开展记录")
    document_counts: list[DocumentCount] = Field(default_factory=list, title="发文会议数量（与基准年比较）")
    secondments: list[Secondment] = Field(default_factory=list, title="借调乡镇(街道)人员")
    board_registers: list[BoardRegister] = Field(default_factory=list, title="机制牌子目录")
    seal_scopes: list[SealScope] = Field(default_factory=list, title="社区印章使用范围")
    seal_uses: list[SealUse] = Field(default_factory=list, title="用印记录")
    evaluation_items: list[CommunityEvaluations] = Field(default_factory=list, title="社区综合考核评比项目")
    forms: list[Form] = Field(default_factory=list, title="报表目录")
    data_requests: list[DataRequest] = Field(default_factory=list, title="填报要求记录")


#: The register sections (issue 20) whose records carry an `id`.
REGISTER_SECTIONS_BY_ID = ("inspection_plans", "inspections", "document_counts", "secondments", "seal_uses",
                           "forms", "data_requests")
#: Every register section, in file order.
REGISTER_SECTIONS = ("inspection_plans", "inspections", "document_counts", "secondments", "board_registers",
                     "seal_scopes", "seal_uses", "evaluation_items", "forms", "data_requests")


#: Sections whose records carry an id, with the attribute naming it; ids are unique per section.
ID_SECTIONS: dict[str, str] = {
    "units": "id", "bases": "id", "matters": "id", "township_templates": "id",
    "village_templates": "id", "delegations": "id", "admissions": "id", "assignments": "id",
    "township_lists": "township", "village_lists": "village", "flows": "id", "calendars": "id",
    "burden_rules": "id", "unit_groups": "id", "exercises": "id",
    **{section: "id" for section in REGISTER_SECTIONS_BY_ID},
    "board_registers": "unit", "seal_scopes": "community", "evaluation_items": "community",
}


@dataclass(frozen=True)
class Policy:
    """Every record of a policy tree, indexed by id.  Built by `admission.loader.load_policy`."""

    root: str
    revision: str
    files: tuple[str, ...]
    units: dict[str, Unit]
    bases: dict[str, Basis]
    matters: dict[str, Matter]
    power_lists: tuple[PowerList, ...]
    township_templates: dict[str, TownshipTemplate]
    township_lists: dict[str, TownshipList]
    village_templates: dict[str, VillageTemplate]
    village_lists: dict[str, VillageList]
    delegations: dict[str, Delegation]
    admissions: dict[str, AdmissionRecord]
    assignments: dict[str, Assignment]
    flows: dict[str, Flow] = field(default_factory=dict)
    calendars: dict[str, Calendar] = field(default_factory=dict)
    burden_rules: dict[str, BurdenRule] = field(default_factory=dict)
    unit_groups: dict[str, UnitGroup] = field(default_factory=dict)
    exercises: dict[str, Exercise] = field(default_factory=dict)
    inspection_plans: dict[str, InspectionPlan] = field(default_factory=dict)
    inspections: dict[str, Inspection] = field(default_factory=dict)
    document_counts: dict[str, DocumentCount] = field(default_factory=dict)
    secondments: dict[str, Secondment] = field(default_factory=dict)
    board_registers: dict[str, BoardRegister] = field(default_factory=dict)
    seal_scopes: dict[str, SealScope] = field(default_factory=dict)
    seal_uses: dict[str, SealUse] = field(default_factory=dict)
    evaluation_items: dict[str, CommunityEvaluations] = field(default_factory=dict)
    forms: dict[str, Form] = field(default_factory=dict)
    data_requests: dict[str, DataRequest] = field(default_factory=dict)
    stats: dict = field(default_factory=dict, compare=False)
