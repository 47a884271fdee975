"""Closed vocabularies of the policy language; each value has a Chinese label shown in the
JSON Schema and used to tell authors who typed the Chinese word which code to write."""

from __future__ import annotations

from enum import Enum


class Labelled(str, Enum):
    """A str enum whose members carry a Chinese label."""

    label: str

    def __new__(cls, value: str, label: str):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label
        return obj

    @classmethod
    def by_label(cls, text: str) -> "Labelled | None":
        for member in cls:
            if text == member.label or text in member.label.split("/"):
                return member
        return None

    @classmethod
    def describe(cls) -> str:
        return "；".join(f"{m.value}={m.label}" for m in cls)


class Level(Labelled):
    central = ("central", "中央")
    province = ("province", "省")
    city = ("city", "市")
    county = ("county", "县/区")
    township = ("township", "乡镇/街道")
    village = ("village", "村/社区")


LEVEL_RANK = {Level.central: 0, Level.province: 1, Level.city: 2, Level.county: 3,
              Level.township: 4, Level.village: 5}


class UnitKind(Labelled):
    government = ("government", "党委政府")
    department = ("department", "职能部门")
    township = ("township", "乡镇政府/街道办事处")
    village = ("village", "村委会/居委会")
    dispatched = ("dispatched", "派出机构")
    task_force = ("task_force", "议事协调机构/工作专班")


class PlaceForm(Labelled):
    township = ("township", "乡镇")
    street = ("street", "街道")
    village = ("village", "村")
    community = ("community", "社区")


class PowerType(Labelled):
    penalty = ("penalty", "行政处罚")
    license = ("license", "行政许可")
    inspection = ("inspection", "行政检查")
    coercion = ("coercion", "行政强制")
    confirmation = ("confirmation", "行政确认")
    levy = ("levy", "行政征收")
    payment = ("payment", "行政给付")
    reward = ("reward", "行政奖励")
    adjudication = ("adjudication", "行政裁决")
    certification = ("certification", "证明事项")
    service = ("service", "公共服务")
    other = ("other", "其他")


#: Power types that go by delegation, never by admission (issue 4's review rule).
DELEGATION_ONLY = frozenset({PowerType.penalty, PowerType.license, PowerType.coercion})


class MatterTag(Labelled):
    enforcement = ("enforcement", "执法")
    demolition = ("demolition", "拆迁/拆违")
    investment_promotion = ("investment_promotion", "招商引资")
    work_safety = ("work_safety", "安全生产")


#: Tags of matters for which a village must never be named the responsible subject.
VILLAGE_FORBIDDEN_TAGS = frozenset(MatterTag)


class BasisKind(Labelled):
    law = ("law", "法律")
    regulation = ("regulation", "行政法规/地方性法规")
    rule = ("rule", "规章")
    decision = ("decision", "决定")
    deployment = ("deployment", "党委政府部署")
    entrustment = ("entrustment", "委托书")
    notice = ("notice", "通知/文件")
    other = ("other", "其他")


class DelegationMode(Labelled):
    grant = ("grant", "赋权")
    entrust = ("entrust", "委托")


class Term(Labelled):
    short = ("short", "短期准入")
    long = ("long", "长期准入")


class AdmissionState(Labelled):
    entered = ("entered", "已进入")
    exited = ("exited", "已退出")


class AssignmentKind(Labelled):
    task = ("task", "工作任务")
    responsibility_letter = ("responsibility_letter", "责任状")
    certification_request = ("certification_request", "证明请求")
    office_or_signboard = ("office_or_signboard", "设立机构/挂牌")
    assessment = ("assessment", "考核评比")
    forms_request = ("forms_request", "要求填报表格、提供材料")
    mechanism_or_post = ("mechanism_or_post", "新设工作机制、专人专岗")


class AssignmentRole(Labelled):
    responsible = ("responsible", "责任主体")
    execute = ("execute", "承办")
    assist = ("assist", "协助")


class ExerciseKind(Labelled):
    penalty = ("penalty", "作出行政处罚决定")
    inspection = ("inspection", "行政检查")
    enforcement_measure = ("enforcement_measure", "行政强制措施")
    license = ("license", "行政许可")
    other = ("other", "其他执法行为")


class InspectionKind(Labelled):
    """督查检查考核的类别（计划管理的对象）。"""

    inspection = ("inspection", "督查")
    check = ("check", "检查")
    evaluation = ("evaluation", "考核/评比")


class BoardKind(Labelled):
    """村(社区)牌子的七类规范，及须经省级同意的机制与专岗。"""

    outer_sign = ("outer_sign", "外挂牌子（按标准规范）")
    inner_sign = ("inner_sign", "室内牌子（清理）")
    rule_board = ("rule_board", "制度上墙牌（撤除）")
    honour_board = ("honour_board", "荣誉牌匾（集中展示）")
    publicity_board = ("publicity_board", "宣传牌（精简）")
    functional_area = ("functional_area", "功能区标识（规范）")
    service_desk = ("service_desk", "服务台")
    mechanism = ("mechanism", "工作机制/议事协调机构")
    post = ("post", "专人专岗")


#: boards and mechanisms that need a province's consent however they are written (新设机制、专岗)
CONSENT_BOARD_KINDS = frozenset({BoardKind.mechanism, BoardKind.post})
