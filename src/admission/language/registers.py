"""The other registers the reforms publish beside the duty lists (issue 20): the plan of
inspections, checks and evaluations (督查检查考核计划), documents and meetings counted against a
baseline year (文件会议只减不增), secondments of township staff (借调), the signboard and
mechanism register (机制牌子), the community seal's scope (社区印章使用范围), the community
evaluation items (社区综合考核评比项目) and the form register (报表目录).

Each register is policy, as Zaozhuang publishes its "three catalogues" and "three community
lists"; the records of what happened (an inspection run, a seal used, a form requested) sit
beside them so the checks can compare the two.  Breaking a register loads fine: the checks of
`evaluate/checks/registers.py` report it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field, WithJsonSchema, model_validator

from .base import ID_LIST_JSON_SCHEMA, Date, Dated, Id, Name, StrictModel, Text, one_or_many
from .enums import CONSENT_BOARD_KINDS, BoardKind, InspectionKind

IdList = Annotated[list[Id], BeforeValidator(one_or_many), WithJsonSchema(ID_LIST_JSON_SCHEMA)]
Count = Annotated[int, Field(ge=0, strict=True)]
Year = Annotated[int, Field(ge=1949, le=2199, strict=True)]


class Approval(StrictModel):
    """一次批准：批准机关、日期、文号。"""

    by: Id = Field(title="批准机关", description="党委政府单位标识")
    date: Date = Field(title="批准日期")
    document: Name | None = Field(default=None, title="文号")


class Baseline(StrictModel):
    """基准年及其数量（只减不增的比较对象）。"""

    year: Year = Field(title="基准年")
    count: Count = Field(title="基准年数量")


# --------------------------------------------------------------------------- inspections
class PlanItem(StrictModel):
    """计划内的一项督查检查考核。"""

    id: Id = Field(title="项目编号")
    name: Name = Field(title="项目名称")
    kind: InspectionKind = Field(default=InspectionKind.inspection, title="类别", description=InspectionKind.describe())
    targets: IdList = Field(default_factory=list, title="对象", description="乡镇(街道)或村(社区)；空表示本级全部")


class OneOffItem(PlanItem):
    """计划外的一项：临时申报、一事一议，经批准后方可开展。"""

    approval: Approval | None = Field(default=None, title="批准", description="未批准的不得开展")


class InspectionPlan(Dated):
    """一个部门一年的督查检查考核计划：年初报送，汇总初审，报党委政府审定；原则上每年一项。"""

    id: Id = Field(title="计划编号")
    department: Id = Field(title="报送部门")
    year: Year = Field(title="年度")
    limit: Count = Field(default=1, title="每年项数上限", description="原则上每个部门每年一项")
    approval: Approval | None = Field(default=None, title="审定", description="党委政府审定；未审定的计划不算数")
    items: list[PlanItem] = Field(default_factory=list, title="计划项目")
    one_off: list[OneOffItem] = Field(default_factory=list, title="临时申报项目（一事一议）")
    baseline: Baseline | None = Field(default=None, title="基准年", description="与基准年相比的项数")


class Inspection(StrictModel):
    """一次实际开展的督查检查考核（对一个乡镇或村）。"""

    id: Id = Field(title="记录编号")
    department: Id = Field(title="开展部门")
    target: Id = Field(title="对象", description="乡镇(街道)或村(社区)")
    date: Date = Field(title="开展日期")
    item: Id | None = Field(default=None, title="计划项目", description="计划或临时申报项目的编号；社区考核时为考核评比项目编号")
    name: Name | None = Field(default=None, title="名称")
    kind: InspectionKind = Field(default=InspectionKind.inspection, title="类别", description=InspectionKind.describe())


# --------------------------------------------------------------------------- documents and meetings
class Substitutes(StrictModel):
    """变相发文：白头文件、便签、发电，均计入发文数。"""

    unheaded: Count = Field(default=0, title="白头文件")
    notes: Count = Field(default=0, title="便签")
    telegrams: Count = Field(default=0, title="发电")

    @property
    def total(self) -> int:
        return self.unheaded + self.notes + self.telegrams


class DocumentBaseline(StrictModel):
    """基准年（通常 2019 年）的发文、会议数。"""

    year: Year = Field(default=2019, title="基准年")
    documents: Count = Field(title="基准年发文数")
    meetings: Count = Field(title="基准年会议数")


class DocumentCount(StrictModel):
    """一个单位一年的发文、会议数，与基准年比较（不得超过）。"""

    id: Id = Field(title="记录编号")
    unit: Id = Field(title="单位")
    year: Year = Field(title="年度")
    documents: Count = Field(title="发文数", description="正式文件数，不含变相发文")
    meetings: Count = Field(title="会议数")
    substitutes: Substitutes = Field(default_factory=Substitutes, title="变相发文")
    baseline: DocumentBaseline = Field(title="基准")

    @property
    def all_documents(self) -> int:
        return self.documents + self.substitutes.total


# --------------------------------------------------------------------------- secondments
class Secondment(Dated):
    """上级机关借调乡镇(街道)工作人员：借出、借入、人数、期限（since..until）、依据、县级准入。"""

    id: Id = Field(title="借调编号")
    township: Id = Field(title="借出乡镇(街道)")
    organ: Id = Field(title="借调机关")
    count: Annotated[int, Field(ge=1, strict=True)] = Field(title="人数")
    basis: Name | None = Field(default=None, title="依据", description="文号")
    admission: Approval | None = Field(default=None, title="借调准入", description="以县为单位的借调准入批准")
    returned: Date | None = Field(default=None, title="归还日期", description="人员返回乡镇之日")

    @model_validator(mode="after")
    def _term(self):
        if self.since is None or self.until is None:
            raise ValueError("借调须写明期限：起始 since 与结束 until")
        return self


# --------------------------------------------------------------------------- signboards
class Board(Dated):
    """目录内的一块牌子、一个机制或一个专岗。"""

    id: Id = Field(title="编号")
    name: Name = Field(title="名称")
    kind: BoardKind = Field(title="类别", description=BoardKind.describe())
    new: bool = Field(default=False, title="新设", description="新设牌子、机制、专岗须经省级同意")
    consent: Approval | None = Field(default=None, title="省级同意")

    @property
    def needs_consent(self) -> bool:
        return self.new or self.kind in CONSENT_BOARD_KINDS


class BoardRegister(Dated):
    """一个村(社区)或乡镇的机制牌子目录，及实际悬挂的牌子（按名称或编号）。"""

    unit: Id = Field(title="单位")
    boards: list[Board] = Field(default_factory=list, title="目录内的牌子与机制")
    present: list[Name] = Field(default_factory=list, title="实际悬挂", description="核查时悬挂的牌子：编号或名称")
    baseline: Baseline | None = Field(default=None, title="基准年", description="清理前的牌子数")


# --------------------------------------------------------------------------- seals
class SealPurpose(StrictModel):
    """社区印章可以使用的一类用途。"""

    id: Id = Field(title="用途编号")
    name: Name = Field(title="用途")
    basis: Name | None = Field(default=None, title="依据")


class SealScope(Dated):
    """社区印章使用范围：范围之外不得用印（治“万能章”）。"""

    community: Id = Field(title="村(社区)")
    purposes: list[SealPurpose] = Field(min_length=1, title="可用印事项")


class SealUse(StrictModel):
    """一次用印记录。"""

    id: Id = Field(title="记录编号")
    community: Id = Field(title="村(社区)")
    purpose: Name = Field(title="用途", description="用途编号或名称")
    date: Date = Field(title="用印日期")
    requested_by: Id | None = Field(default=None, title="要求用印的单位")


# --------------------------------------------------------------------------- evaluations
class EvaluationItem(StrictModel):
    """社区综合考核评比项目之一。"""

    id: Id = Field(title="项目编号")
    name: Name = Field(title="项目名称")
    department: Id | None = Field(default=None, title="组织部门")


class CommunityEvaluations(Dated):
    """社区综合考核评比项目：对社区只能开展这些考核评比。"""

    community: Id = Field(title="村(社区)")
    items: list[EvaluationItem] = Field(default_factory=list, title="考核评比项目")


# --------------------------------------------------------------------------- forms
class Form(Dated):
    """报表目录中的一张表：制表部门、填报单位、字段（一数一源，一次填报多方复用）。"""

    id: Id = Field(title="表格编号")
    name: Name = Field(title="表格名称")
    department: Id = Field(title="制表部门")
    targets: IdList = Field(min_length=1, title="填报单位", description="乡镇(街道)或村(社区)")
    fields: list[Name] = Field(min_length=1, title="字段")
    merged_from: Count | None = Field(default=None, title="合并前表格数", description="如 245 张表合并为 1 张")
    note: Text | None = Field(default=None, title="备注")


class DataRequest(StrictModel):
    """部门要求乡镇或村填报一张表的一次记录。"""

    id: Id = Field(title="记录编号")
    department: Id = Field(title="要求部门")
    unit: Id = Field(title="填报单位")
    form: Name = Field(title="表格", description="报表目录中的表格编号；目录外的表格写其名称")
    date: Date = Field(title="要求日期")
