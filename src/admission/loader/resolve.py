"""Cross-file structure: duplicate ids (naming both places) and references to ids that do not
exist or name the wrong kind of thing.  Domain mistakes are left to the checks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pydantic import BaseModel

from ..diagnostics import Diagnostic
from ..language import entities as e
from ..language import registers as r
from ..language.enums import UnitKind as K
from ..language.names import name_table, resolve_name
from ..language.policy import ID_SECTIONS, PolicyFile

DEPT = frozenset({K.department, K.dispatched})
ACTOR = frozenset({K.department, K.dispatched, K.task_force, K.government, K.township})
PLACE = frozenset({K.township, K.village})

#: model -> field -> (section the id lives in, allowed unit kinds or None)
REFERENCES: dict[type[BaseModel], dict[str, tuple[str, frozenset | None]]] = {
    e.Unit: {"parent": ("units", None), "seat": ("units", frozenset({K.township}))},
    e.Basis: {"scope": ("units", frozenset({K.government, K.township, K.village}))},
    e.Matter: {"basis": ("bases", None)},
    e.PowerList: {"holder": ("units", frozenset({K.department, K.dispatched, K.township}))},
    e.PowerItem: {"matter": ("matters", None), "centralised_to": ("units", DEPT),
                  "retained_in": ("units", frozenset({K.township}))},
    e.BasicEntry: {"matter": ("matters", None), "rewords": ("matters", None)},
    e.CooperativeEntry: {"matter": ("matters", None), "rewords": ("matters", None), "lead": ("units", DEPT)},
    e.ReturnedEntry: {"matter": ("matters", None), "rewords": ("matters", None), "taken_by": ("units", DEPT)},
    e.TownshipTemplate: {"county": ("units", frozenset({K.government})), "parent": ("township_templates", None),
                         "remove": ("matters", None)},
    e.TownshipList: {"township": ("units", frozenset({K.township})),
                     "template": ("township_templates", None), "remove": ("matters", None)},
    e.VillageDuty: {"matter": ("matters", None), "rewords": ("matters", None)},
    e.AssistingEntry: {"matter": ("matters", None), "rewords": ("matters", None), "supervisor": ("units", DEPT)},
    e.NegativeEntry: {"matter": ("matters", None), "rewords": ("matters", None)},
    e.CertificationEntry: {"matter": ("matters", None), "rewords": ("matters", None), "basis": ("bases", None)},
    e.VillageTemplate: {"owner": ("units", frozenset({K.government, K.township})), "parent": ("village_templates", None),
                        "remove": ("matters", None)},
    e.VillageList: {"village": ("units", frozenset({K.village})),
                    "template": ("village_templates", None), "remove": ("matters", None)},
    e.Delegation: {"matter": ("matters", None), "department": ("units", DEPT | {K.township}),
                   "townships": ("units", PLACE), "basis": ("bases", None)},
    e.AdmissionRecord: {"matter": ("matters", None), "applicant": ("units", frozenset({K.department, K.dispatched, K.task_force})),
                        "targets": ("units", PLACE), "basis": ("bases", None)},
    e.Assignment: {"by": ("units", ACTOR), "to": ("units", PLACE), "matter": ("matters", None),
                   "basis": ("bases", None)},
    e.BurdenRule: {"basis": ("bases", None)},
    e.UnitGroup: {"county": ("units", frozenset({K.government})), "members": ("units", PLACE)},
    e.Exercise: {"unit": ("units", PLACE), "matter": ("matters", None)},
    r.Approval: {"by": ("units", frozenset({K.government}))},
    r.PlanItem: {"targets": ("units", PLACE)},
    r.OneOffItem: {"targets": ("units", PLACE)},
    r.InspectionPlan: {"department": ("units", ACTOR - {K.township})},
    r.Inspection: {"department": ("units", ACTOR - {K.township}), "target": ("units", PLACE)},
    r.DocumentCount: {"unit": ("units", ACTOR)},
    r.Secondment: {"township": ("units", frozenset({K.township})), "organ": ("units", ACTOR - {K.township})},
    r.BoardRegister: {"unit": ("units", PLACE)},
    r.SealScope: {"community": ("units", frozenset({K.village}))},
    r.SealUse: {"community": ("units", frozenset({K.village})), "requested_by": ("units", None)},
    r.CommunityEvaluations: {"community": ("units", frozenset({K.village}))},
    r.EvaluationItem: {"department": ("units", ACTOR - {K.township})},
    r.Form: {"department": ("units", ACTOR), "targets": ("units", PLACE)},
    r.DataRequest: {"department": ("units", ACTOR), "unit": ("units", PLACE)},
}

_SECTION_WORD = {
    "units": "单位", "bases": "依据", "matters": "事项", "township_templates": "乡镇清单模板",
    "village_templates": "村(社区)清单模板", "delegations": "赋权", "admissions": "准入记录",
    "assignments": "下派记录", "township_lists": "乡镇清单", "village_lists": "村(社区)清单",
    "flows": "流程", "calendars": "工作日历", "burden_rules": "减负规则", "unit_groups": "接收单位集合", "exercises": "职权行使记录",
    "inspection_plans": "督查检查考核计划", "inspections": "督查检查考核记录", "document_counts": "发文会议记录",
    "secondments": "借调记录", "board_registers": "机制牌子目录", "seal_scopes": "印章使用范围", "seal_uses": "用印记录",
    "evaluation_items": "考核评比项目", "forms": "报表", "data_requests": "填报要求记录",
}


def records(model: BaseModel) -> Iterator[BaseModel]:
    """Every nested record of `model` (itself included), depth first."""
    stack = [model]
    while stack:
        item = stack.pop()
        yield item
        for name in type(item).model_fields:
            value = getattr(item, name)
            if isinstance(value, BaseModel):
                stack.append(value)
            elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
                stack.extend(reversed(value))


def duplicates(files: Iterable[PolicyFile]) -> tuple[dict[str, dict], list[Diagnostic]]:
    """Index records by id per section; report each id defined twice with both places."""
    index: dict[str, dict] = {s: {} for s in ID_SECTIONS}
    diags: list[Diagnostic] = []
    for pf in files:
        for section, attr in ID_SECTIONS.items():
            table = index[section]
            for rec in getattr(pf, section):
                key = getattr(rec, attr)
                first = table.get(key)
                if first is None:
                    table[key] = rec
                    continue
                diags.append(Diagnostic(
                    "duplicate-id",
                    f"{_SECTION_WORD[section]} '{key}' 重复定义（另一处在 {first.span}）",
                    rec.span, related=(first.span,) if first.span else (), subject=key,
                    help="标识必须在整个策略目录中唯一：删去一处或改用新标识",
                    message_en=f"duplicate {section} id '{key}'"))
    return index, diags


def reference_needs(files: Iterable[PolicyFile]) -> list[tuple]:
    """Every reference the files make, as (record span, field, section, allowed unit kinds, id):
    all a reference check needs of a file, small enough to cache apart from the parsed file."""
    out: list[tuple] = []
    for pf in files:
        for rec in records(pf):
            spec = REFERENCES.get(type(rec))
            if not spec:
                continue
            for fname, (section, kinds) in spec.items():
                value = getattr(rec, fname)
                if value is None:
                    continue
                for ref in value if isinstance(value, list) else (value,):
                    out.append((rec.span, fname, section, kinds, ref))
    return out


#: fields that may name a `unit_groups` id instead of a unit
GROUP_FIELDS = frozenset({"townships", "targets"})


def check_references(needs: Iterable[tuple], index: dict[str, dict],
                     partial: dict[str, set[str]] | None = None) -> list[tuple[Diagnostic, str]]:
    """Every need (see `reference_needs`) naming a missing id or a unit of the wrong kind, with
    the field named.  Ids in `partial` (declared by files that failed validation) count as present."""
    partial = partial or {}
    diags: list[tuple[Diagnostic, str]] = []
    units = index["units"]
    tables: dict[str, dict[str, list[str]]] = {}  # section -> names, built on the first miss
    for span, fname, section, kinds, ref in needs:
        target = index[section].get(ref)
        if target is None and ref in partial.get(section, ()):
            continue
        if target is None and section == "units" and fname in GROUP_FIELDS and ref in index.get("unit_groups", ()):
            continue  # a group of receivers, expanded into units by the loader and the bundle build
        if target is None:
            if section not in tables:
                tables[section] = name_table(index[section])
            diags.append((_missing(span, fname, section, ref, index, tables[section]), fname))
        elif kinds is not None and section == "units" and units[ref].kind not in kinds:
            allowed = "、".join(k.label for k in kinds)
            diags.append((Diagnostic(
                "reference-kind",
                f"{fname} 引用的 '{ref}'（{units[ref].name}）是{units[ref].kind.label}，这里应为：{allowed}",
                span, subject=ref, message_en=f"'{fname}' must reference a unit of kind {sorted(k.value for k in kinds)}"), fname))
    return diags


def references(files: Iterable[PolicyFile], index: dict[str, dict],
               partial: dict[str, set[str]] | None = None) -> list[tuple[Diagnostic, str]]:
    """`check_references` of every reference the files make."""
    return check_references(reference_needs(files), index, partial)


def _missing(span, fname: str, section: str, ref: str, index: dict[str, dict],
             names: dict[str, list[str]] | None = None) -> Diagnostic:
    table = index[section]
    named, nearest = resolve_name(ref, table, names)  # an author may have written the name instead of the id
    if len(named) == 1:
        help_ = f"这是名称，不是标识：写成 '{named[0]}'（{_name(table[named[0]])}）"
    elif named:
        help_ = "这是名称，不是标识；同名的有：" + "、".join(f"'{i}'" for i in named)
    elif nearest:
        help_ = f"是否指 '{nearest[0]}'" + (f"（{_name(table[nearest[0]])}）" if _name(table[nearest[0]]) else "") + "？"
    else:
        help_ = f"先在 {section} 中定义它"
    if any(c in ref for c in "，、；"):
        help_ = "多个标识要写成列表，不要用中文逗号或顿号连接"
    return Diagnostic(
        "unknown-reference", f"{fname} 引用的{_SECTION_WORD.get(section, section)} '{ref}' 不存在",
        span, subject=ref, help=help_, message_en=f"'{fname}' references unknown {section} id '{ref}'")


def _name(record) -> str:
    return getattr(record, "name", None) or getattr(record, "title", None) or ""
