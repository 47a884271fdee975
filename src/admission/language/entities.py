"""The records of the policy language: units, legal bases, matters, power lists, duty lists,
delegations, admission records and assignments.

Keys are English; names, descriptions and messages Chinese.  Every dated record is in force
from `since` to `until` inclusive.  Domain mistakes (a cooperative item without a lead
department, a lead department from another county) load fine: the checks report them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema, model_validator

from .base import (
    ID_LIST_JSON_SCHEMA, Date, Dated, Id, Name, StrictModel, Text, one_or_many, plain_mapping, shorthand,
)
from .enums import (
    ExerciseKind,
    AdmissionState, AssignmentKind, AssignmentRole, BasisKind, DelegationMode, Level, MatterTag,
    PlaceForm, PowerType, Term, UnitKind,
)

IdList = Annotated[list[Id], BeforeValidator(one_or_many), WithJsonSchema(ID_LIST_JSON_SCHEMA)]


# --------------------------------------------------------------------------- units
class Unit(Dated):
    """单位：党委政府、职能部门、乡镇(街道)、村(社区)、派出机构、议事协调机构/工作专班。

    `parent` is the unit above: a government's upper government, a department's government,
    a township's county government, a village's township, and for a dispatched office or a
    task force the department it acts for (to which it is attributed).
    """

    id: Id = Field(title="单位标识", description="行政区划代码（地方）或统一社会信用代码（部门）")
    name: Name = Field(title="名称")
    kind: UnitKind = Field(title="类型", description=UnitKind.describe())
    level: Level | None = Field(
        default=None, title="层级",
        description="党委政府与职能部门必填（province/city/county）；乡镇、村及派出机构由上级推出")
    form: PlaceForm | None = Field(default=None, title="乡镇/街道、村/社区", description=PlaceForm.describe())
    parent: Id | None = Field(default=None, title="上级单位")
    seat: Id | None = Field(default=None, title="驻地乡镇", description="派出机构所在乡镇(街道)")
    former_names: list[Name] = Field(default_factory=list, title="曾用名", description="撤并、更名前的名称")
    flow_roles: list[Name] = Field(
        default_factory=list, title="流程角色",
        description="在准入流程中承担的角色，如 reviewer（审核机构，通常为县委编办）")

    @model_validator(mode="after")
    def _shape(self):
        if self.kind in (UnitKind.government, UnitKind.department) and self.level is None:
            raise ValueError("党委政府和职能部门必须写明层级 level（province/city/county）")
        if self.kind in (UnitKind.township, UnitKind.village) and self.level not in (None, self.own_level):
            raise ValueError(f"{self.kind.label}的层级只能是 {self.own_level.value}")
        if self.kind not in (UnitKind.government,) and self.parent is None:
            raise ValueError(f"{self.kind.label}必须写明上级单位 parent")
        if self.kind in (UnitKind.dispatched, UnitKind.task_force) and self.level is not None:
            raise ValueError("派出机构和议事协调机构的层级由其所属部门决定，不要写 level")
        return self

    @property
    def own_level(self) -> Level | None:
        if self.kind == UnitKind.township:
            return Level.township
        if self.kind == UnitKind.village:
            return Level.village
        return self.level


# --------------------------------------------------------------------------- bases
class Basis(StrictModel):
    """法律法规和文件依据：文号、制发机关、层级、日期、适用范围、失效日期。"""

    id: Id = Field(title="依据标识")
    number: Name = Field(title="文号", description="如 鲁政发〔2024〕5号")
    title: Name = Field(title="文件名称")
    issuer: Name = Field(title="制发机关")
    level: Level = Field(title="制发层级", description="central/province/city/county")
    kind: BasisKind = Field(title="类别", description=BasisKind.describe())
    issued: Date | None = Field(default=None, title="发布日期",
                                description="确切日期不详时不写，并写 undated: true（如只引用法律条文而不知其施行日期）")
    undated: bool = Field(default=False, title="发布日期不详",
                          description="true：不知确切发布日期；视为一直有效，检查以 basis-undated 提示补充日期")
    published: bool = Field(default=True, title="已公开发布")
    scope: IdList = Field(default_factory=list, title="适用范围", description="适用的地区（党委政府或乡镇单位）；空表示制发机关辖区")
    expires: Date | None = Field(default=None, title="失效日期（含当日有效）")

    @model_validator(mode="after")
    def _levels(self):
        if self.level in (Level.township, Level.village):
            raise ValueError("依据的制发层级只能是 central/province/city/county")
        if self.issued is None and not self.undated:
            raise ValueError("须写发布日期 issued；确实不知日期时写 undated: true，不要编造日期")
        if self.issued is not None and self.undated:
            raise ValueError("写了发布日期 issued 就不要再写 undated: true")
        if self.expires and self.issued and self.expires < self.issued:
            raise ValueError(f"失效日期 {self.expires} 早于发布日期 {self.issued}")
        return self

    def in_force(self, on: dt.date) -> bool:
        """In force on `on`; an undated basis counts as in force until it expires (the check says
        its date is missing rather than guess one)."""
        return (self.issued is None or self.issued <= on) and (self.expires is None or on <= self.expires)


# --------------------------------------------------------------------------- matters
class Matter(StrictModel):
    """事项：目录中的一项工作或一项权力。"""

    id: Id = Field(title="事项编码")
    name: Name = Field(title="事项名称")
    domain: Name = Field(title="领域", description="如 党的建设、民生服务、市场监管、生态环境")
    power_type: PowerType = Field(default=PowerType.other, title="权力类型", description=PowerType.describe())
    basis: Id | None = Field(default=None, title="设定依据")
    levels: list[Level] = Field(default_factory=list, title="适用层级")
    major_penalty: bool = Field(default=False, title="重大处罚", description="吊销许可证、责令停产停业、较大数额罚款等")
    needs_specialist: bool = Field(default=False, title="需专业设备或鉴定")
    tags: list[MatterTag] = Field(default_factory=list, title="标签", description=MatterTag.describe())
    forms: list[PlaceForm] = Field(
        default_factory=list, title="适用的乡镇形态",
        description="只适用于乡镇（township）或街道（street）时写明；空表示都适用（影响 missing-owner 检查）")


# --------------------------------------------------------------------------- power lists
class PowerItem(Dated):
    """权责清单中的一项权力。`centralised_to` 记录已集中到市级行使（本单位不再持有）。"""

    matter: Id = Field(title="事项编码")
    centralised_to: Id | None = Field(default=None, title="集中行使单位", description="已集中到该（市级）部门行使")
    retained_in: IdList = Field(
        default_factory=list, title="保留行使的乡镇",
        description="赋权后部门仍在这些乡镇行使（与赋权并存即多头执法）")

    _short = shorthand("matter")
    shorthand_field = "matter"

    @property
    def held(self) -> bool:
        return self.centralised_to is None


class PowerList(Dated):
    """权责清单：一个部门（或乡镇的法定职权）持有的权力。"""

    holder: Id = Field(title="持有单位")
    items: list[PowerItem] = Field(title="权力事项")


# --------------------------------------------------------------------------- published counts
class PublishedCount(StrictModel):
    """公布的清单数量：一类清单的总数，及（可选）按领域（事项的 domain）分列的数量。

    Written as a county office publishes it, e.g.
    `returned: {total: 112, by_domain: {综合执法: 108, 卫生健康: 2, 应急管理: 2}, basis: SD-…, as_of: 2025-01-01}`.
    The check `published-count-mismatch` compares it with the effective list.
    """

    total: int = Field(ge=0, strict=True, title="总数", description="公布的条目总数")
    by_domain: Annotated[dict[Name, Annotated[int, Field(ge=0, strict=True)]], BeforeValidator(plain_mapping)] = Field(
        default_factory=dict, title="分领域数量",
        description="领域（事项的 domain）→ 条目数；未列出的领域不核对，合计不得超过总数")
    basis: Name | None = Field(default=None, title="公布依据", description="公布这些数量的文件：依据标识或文号")
    as_of: Date | None = Field(default=None, title="截至日期", description="数量所指的日期；不写则按检查日期核对")

    @model_validator(mode="after")
    def _sums(self):
        listed = sum(self.by_domain.values())
        if listed > self.total:
            raise ValueError(f"分领域数量合计 {listed} 超过总数 {self.total}")
        return self


class PublishedTownship(StrictModel):
    """乡镇(街道)清单公布的各类数量。"""

    basic: PublishedCount | None = Field(default=None, title="基本履职事项数量")
    cooperative: PublishedCount | None = Field(default=None, title="配合履职事项数量")
    returned: PublishedCount | None = Field(default=None, title="上级部门收回事项数量")


class PublishedVillage(StrictModel):
    """村(社区)清单公布的各类数量。"""

    duties: PublishedCount | None = Field(default=None, title="依法履职事项数量")
    assisting: PublishedCount | None = Field(default=None, title="协助政府工作事项数量")
    negative: PublishedCount | None = Field(default=None, title="负面清单数量")
    may_certify: PublishedCount | None = Field(default=None, title="可出具证明事项数量")
    must_not_certify: PublishedCount | None = Field(default=None, title="不应出具证明事项数量")


# --------------------------------------------------------------------------- township lists
class ListEntry(Dated):
    """清单条目的共同部分：事项、可选的范围（同一事项拆分时写明）与序号。"""

    matter: Id = Field(title="事项编码")
    scope: Name | None = Field(default=None, title="范围", description="同一事项按环节拆分时写明，如 日常巡查")
    seq: int | None = Field(default=None, title="序号")
    note: Text | None = Field(default=None, title="备注")
    rewords: Id | None = Field(default=None, title="改写自",
                               description="上级清单（模板的 parent 或所套用的模板）中被本条改写措辞的事项编码；本条取代该事项的条目，并保留与原表述的联系")


class BasicEntry(ListEntry):
    """基本履职事项：乡镇必须为、负全责。"""

    _short = shorthand("matter")
    shorthand_field = "matter"


class CooperativeEntry(ListEntry):
    """配合履职事项：牵头部门负主体责任，乡镇负配合责任。"""

    lead: IdList = Field(default_factory=list, title="牵头部门", description="对应上级部门；应当恰好一个")
    lead_duties: Text | None = Field(default=None, title="上级部门职责")
    township_duties: Text | None = Field(default=None, title="乡镇配合职责")


class ReturnedEntry(ListEntry):
    """上级部门收回事项：由承接部门履行。"""

    taken_by: IdList = Field(default_factory=list, title="承接部门", description="收回后履职的部门；应当恰好一个")
    method: Text | None = Field(default=None, title="工作方式")


class TownshipLists(StrictModel):
    basic: list[BasicEntry] = Field(default_factory=list, title="基本履职事项清单")
    cooperative: list[CooperativeEntry] = Field(default_factory=list, title="配合履职事项清单")
    returned: list[ReturnedEntry] = Field(default_factory=list, title="上级部门收回事项清单")


class TownshipTemplate(TownshipLists):
    """县级标准清单模板，供多个乡镇套用，再按乡镇增删。"""

    id: Id = Field(title="模板标识")
    name: Name = Field(title="模板名称")
    county: Id = Field(title="制定的县级党委政府")
    parent: Id | None = Field(default=None, title="上级清单",
                              description="由另一个模板派生（如 全国清单 → 省级清单）：上级的条目 − remove − 被改写的 + 本模板的条目")
    remove: IdList = Field(default_factory=list, title="从上级清单删减的事项")
    published: PublishedTownship | None = Field(
        default=None, title="公布的数量", description="模板（如全国、省级清单）公布的各类总数及分领域数量，检查时与模板派生后的条目核对")


class TownshipList(TownshipLists):
    """一个乡镇(街道)的履行职责事项清单：模板 + 增补 − 删减。"""

    township: Id = Field(title="乡镇(街道)")
    template: Id | None = Field(default=None, title="套用模板")
    remove: IdList = Field(default_factory=list, title="从模板删减的事项", description="删去模板中这些事项的所有条目")
    published: PublishedTownship | None = Field(
        default=None, title="公布的数量", description="公布的各类清单总数及分领域数量，检查时与实际条目核对")


# --------------------------------------------------------------------------- village lists
_VILLAGE_ROLE = ("村(社区)在该事项中的角色：" + AssignmentRole.describe()
                 + "；执法、拆迁拆违、招商引资、安全生产类事项不得写 responsible（见 village-list-responsible）")


class VillageDuty(ListEntry):
    """依法履职事项。"""

    role: AssignmentRole | None = Field(default=None, title="角色", description=_VILLAGE_ROLE)

    _short = shorthand("matter")
    shorthand_field = "matter"


class AssistingEntry(ListEntry):
    """协助政府工作事项（准入清单）：写明业务主管部门。"""

    supervisor: Id | None = Field(default=None, title="业务主管部门")
    category: Name | None = Field(default=None, title="类别")
    role: AssignmentRole | None = Field(default=None, title="角色", description=_VILLAGE_ROLE)


class NegativeEntry(ListEntry):
    """负面清单：不得交由村(社区)承担的工作。"""

    _short = shorthand("matter")
    shorthand_field = "matter"


class CertificationEntry(ListEntry):
    """证明事项：可出具（写明设定依据、用途、流程）或不应出具。"""

    basis: Id | None = Field(default=None, title="设定依据")
    purpose: Text | None = Field(default=None, title="办理用途")
    procedure: Text | None = Field(default=None, title="具体流程")

    _short = shorthand("matter")
    shorthand_field = "matter"


class CatchAllCertification(Dated):
    """证明正面清单的兜底条款，如“其他法律法规规定的证明”：附有所列类别依据的证明请求可以出具。"""

    name: Name = Field(title="条款表述", description="如 其他法律、法规规定需要村(社区)出具的证明")
    basis_kinds: list[BasisKind] = Field(min_length=1, title="依据类别", description=BasisKind.describe())


class VillageLists(StrictModel):
    duties: list[VillageDuty] = Field(default_factory=list, title="依法履职事项")
    assisting: list[AssistingEntry] = Field(default_factory=list, title="协助政府工作事项")
    negative: list[NegativeEntry] = Field(default_factory=list, title="负面清单")
    may_certify: list[CertificationEntry] = Field(default_factory=list, title="可出具证明事项")
    must_not_certify: list[CertificationEntry] = Field(default_factory=list, title="不应出具证明事项")
    certify_catch_all: list[CatchAllCertification] = Field(
        default_factory=list, title="证明兜底条款",
        description="正面清单末尾的兜底条款：证明请求所附依据（basis）属于所列类别且在当日有效时，可以出具")
    certify_only_listed: bool | None = Field(
        default=None, title="证明实行正面清单",
        description="true：只能出具 may_certify 中的证明（部分省份的做法）")


class VillageTemplate(VillageLists):
    """县级或乡镇级的村(社区)标准清单模板。"""

    id: Id = Field(title="模板标识")
    name: Name = Field(title="模板名称")
    owner: Id = Field(title="制定单位")
    parent: Id | None = Field(default=None, title="上级清单",
                              description="由另一个模板派生：上级的条目 − remove − 被改写的 + 本模板的条目")
    remove: IdList = Field(default_factory=list, title="从上级清单删减的事项")
    published: PublishedVillage | None = Field(
        default=None, title="公布的数量", description="模板公布的各类总数及分领域数量，检查时与模板派生后的条目核对")


class VillageList(VillageLists):
    """一个村(社区)的清单：模板 + 增补 − 删减。"""

    village: Id = Field(title="村(社区)")
    template: Id | None = Field(default=None, title="套用模板")
    remove: IdList = Field(default_factory=list, title="从模板删减的事项")
    published: PublishedVillage | None = Field(
        default=None, title="公布的数量", description="公布的各类清单总数及分领域数量，检查时与实际条目核对")


# --------------------------------------------------------------------------- delegations
class Evaluation(StrictModel):
    every_months: int = Field(ge=1, le=120, title="评估周期（月）")
    last: Date | None = Field(default=None, title="上次评估日期")


class Revocation(StrictModel):
    date: Date = Field(title="收回日期", description="该日起不再授权")
    reason: Text = Field(title="收回理由")


class Delegation(Dated):
    """赋权清单条目：原实施主体把一项权力交给承接乡镇，以赋权或委托方式。"""

    id: Id = Field(title="赋权标识")
    matter: Id = Field(title="赋权事项")
    department: Id = Field(title="原实施主体")
    townships: IdList = Field(min_length=1, title="承接主体")
    mode: DelegationMode = Field(title="方式", description=DelegationMode.describe())
    basis: Id | None = Field(default=None, title="依据", description="赋权处罚权须为省级公开决定；委托须为公开的委托书")
    scope: Name | None = Field(default=None, title="赋权范围")
    evaluation: Evaluation | None = Field(default=None, title="评估安排")
    revoked: Revocation | None = Field(default=None, title="收回")

    def active(self, on: dt.date) -> bool:
        return self.in_force(on) and (self.revoked is None or on < self.revoked.date)


# --------------------------------------------------------------------------- admissions
class Exit(StrictModel):
    date: Date = Field(title="退出日期", description="当日仍有效，次日起不再授权")
    reason: Text = Field(title="退出理由")


class AdmissionRecord(Dated):
    """已准入事项的历史记录（导入，只读）。工作流创建的申请编号以 WF- 开头，此处不可使用。"""

    id: Id = Field(title="准入标识")
    matter: Id = Field(title="事项")
    applicant: Id = Field(title="申请部门")
    targets: IdList = Field(min_length=1, title="准入单位")
    term: Term = Field(title="期限类型", description=Term.describe())
    basis: Id = Field(title="依据")
    state: AdmissionState = Field(default=AdmissionState.entered, title="状态")
    document: Name | None = Field(default=None, title="批准文号")
    exit: Exit | None = Field(default=None, title="退出")

    @model_validator(mode="after")
    def _term(self):
        if self.id.upper().startswith("WF-"):
            raise ValueError("WF- 开头的编号留给准入工作流，导入记录请换用其他编号")
        if self.since is None:
            raise ValueError("准入记录必须写明进入日期 since")
        if self.term == Term.short and self.until is None:
            raise ValueError("短期准入必须写明结束日期 until")
        if self.state == AdmissionState.exited and self.exit is None:
            raise ValueError("已退出的准入必须写明 exit（日期与理由）")
        if self.state == AdmissionState.entered and self.exit is not None:
            raise ValueError("写了 exit 的准入，状态应为 exited")
        if self.exit is not None and self.exit.date < self.since:
            raise ValueError(f"退出日期 {self.exit.date} 早于进入日期 {self.since}")
        return self

    def active(self, on: dt.date) -> bool:
        return self.in_force(on) and (self.exit is None or on <= self.exit.date)


# --------------------------------------------------------------------------- unit groups
class UnitGroup(StrictModel):
    """接收单位的集合，照公布的写法：“镇人民政府、街道办事处”（一县的全部镇和街道）或“城关镇等8个乡镇”（列名）。
    赋权的 townships 与准入记录的 targets 可以写集合的标识，载入时展开为其成员。"""

    id: Id = Field(title="集合标识")
    name: Name = Field(title="名称", description="如 城关镇等8个乡镇")
    county: Id | None = Field(default=None, title="县级党委政府", description="与 forms 一起：该县全部这些形态的乡镇(街道)")
    forms: list[PlaceForm] = Field(default_factory=list, title="形态", description="township（镇、乡）、street（街道）")
    members: IdList = Field(default_factory=list, title="成员", description="逐个列出的乡镇(街道)或村(社区)")

    @model_validator(mode="after")
    def _one_way(self):
        if bool(self.members) == bool(self.county or self.forms):
            raise ValueError("集合要么逐个列出 members，要么写 county 与 forms（该县全部这些形态的乡镇(街道)），二者选一")
        if (self.county is None) != (not self.forms):
            raise ValueError("county 与 forms 须同时写")
        return self


# --------------------------------------------------------------------------- burden rules
class BurdenRule(Dated):
    """减负规则：某几类下派须有不低于某层级的依据，无论由部门还是乡镇(街道)下派。
    如“向村(社区)要表格材料须有县级统一部署”“在村(社区)新设机制、专人专岗、挂牌须经省级同意”。"""

    id: Id = Field(title="规则标识")
    name: Name = Field(title="规则名称")
    kinds: list[AssignmentKind] = Field(min_length=1, title="下派类型", description=AssignmentKind.describe())
    to: list[Literal["village", "township"]] = Field(default_factory=lambda: ["village"], min_length=1,
                                                     title="接收单位", description="village、township")
    by: list[Literal["department", "township"]] = Field(
        default_factory=lambda: ["department", "township"], min_length=1, title="下派单位",
        description="department：部门、县级党委政府等乡镇以上单位；township：乡镇(街道)")
    min_basis_level: Level = Field(
        title="依据的最低层级", description="central/province/city/county：下派须附依据（basis），其制发层级不低于此，且在下派日有效")
    basis: Id | None = Field(default=None, title="规定此规则的文件")

    @model_validator(mode="after")
    def _basis_level(self):
        if self.min_basis_level in (Level.township, Level.village):
            raise ValueError("依据的最低层级只能是 central/province/city/county（依据由县级以上制发）")
        return self


# --------------------------------------------------------------------------- assignments
class Assignment(StrictModel):
    """派单系统导出的一次下派：谁、给谁、什么事项、哪天、文号、类型。"""

    id: Id = Field(title="下派标识")
    by: Id = Field(title="下派单位", description="部门，或归属于部门的专班/派出机构")
    to: Id = Field(title="接收单位")
    matter: Id = Field(title="事项")
    date: Date = Field(title="下派日期")
    document: Name | None = Field(default=None, title="文号")
    kind: AssignmentKind = Field(default=AssignmentKind.task, title="类型", description=AssignmentKind.describe())
    role: AssignmentRole = Field(default=AssignmentRole.execute, title="角色", description=AssignmentRole.describe())
    basis: Id | None = Field(default=None, title="依据", description="直达村(社区)时须为县级以上统一部署")


# --------------------------------------------------------------------------- exercises
class Exercise(StrictModel):
    """乡镇(街道)或村(社区)实际行使一项职权的一次记录（如作出处罚决定、开展检查），如县级执法台账所载。"""

    id: Id = Field(title="行使记录标识")
    unit: Id = Field(title="行使单位", description="实际行使职权的乡镇(街道)或村(社区)")
    matter: Id = Field(title="职权事项")
    date: Date = Field(title="行使日期")
    document: Name | None = Field(default=None, title="文书号", description="如行政处罚决定书号、检查记录编号")
    kind: ExerciseKind | None = Field(default=None, title="类型", description=ExerciseKind.describe())
    note: Text | None = Field(default=None, title="备注")
