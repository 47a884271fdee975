"""Group receivers as published ("镇人民政府、街道办事处", "城关镇等8个乡镇"): a delegation's
`townships` and an admission record's `targets` may name a `unit_groups` id, which the loader
expands into its members before references are checked, so everything downstream sees units.
The span of the record is kept; a group that matches nothing, or an id that is both a unit and a
group, is reported where it is defined."""

from __future__ import annotations

from ..diagnostics import Diagnostic, Severity
from ..language.enums import PlaceForm, UnitKind
from ..language.policy import PolicyFile

_FIELDS = {"delegations": "townships", "admissions": "targets"}
_FORM_OF = {PlaceForm.township: "township", PlaceForm.street: "street"}


def members(group, units: dict) -> list[str]:
    """The units a group stands for, in policy order."""
    if group.members:
        return list(group.members)
    forms = set(group.forms)
    return [u.id for u in units.values()
            if u.kind == UnitKind.township and u.parent == group.county and (u.form or PlaceForm.township) in forms]


def expand_groups(files: list[PolicyFile], index: dict[str, dict]) -> tuple[list[PolicyFile], list[Diagnostic]]:
    groups = index.get("unit_groups") or {}
    if not groups:
        return files, []
    expanded, diags = group_members(groups.values(), index["units"])
    out = [expand_file(pf, expanded) for pf in files]
    for section in _FIELDS:  # the index holds the expanded records (the first of a duplicated id wins)
        table: dict = {}
        for pf in out:
            for r in getattr(pf, section):
                table.setdefault(r.id, r)
        index[section] = table
    return out, diags


def group_members(groups, units: dict) -> tuple[dict[str, list[str]], list[Diagnostic]]:
    """group id → its members, and the groups that stand for nothing or clash with a unit id."""
    groups = list(groups)
    expanded = {g.id: members(g, units) for g in groups}
    return expanded, [_problem(g, units) for g in groups if g.id in units or not expanded[g.id]]


def expand_file(pf: PolicyFile, expanded: dict[str, list[str]]) -> PolicyFile:
    """`pf` with every group named in a delegation's townships or an admission's targets replaced
    by its members (the same object when it names none)."""
    update = {}
    for section, fld in _FIELDS.items():
        records = getattr(pf, section)
        if any(x in expanded for r in records for x in getattr(r, fld)):
            update[section] = [_expand(r, fld, expanded) for r in records]
    return pf.model_copy(update=update) if update else pf


def _expand(record, fld: str, expanded: dict[str, list[str]]):
    values = getattr(record, fld)
    if not any(x in expanded for x in values):
        return record
    flat = list(dict.fromkeys(m for x in values for m in expanded.get(x, [x])))
    copy = record.model_copy(update={fld: flat})
    copy._span = record.span
    return copy


def _problem(group, units) -> Diagnostic:
    if group.id in units:
        return Diagnostic("duplicate-id", f"接收单位集合 '{group.id}' 与单位标识重名", group.span, severity=Severity.error,
                          subject=group.id, help="集合须用单位之外的标识，如 G-…", message_en="group id is a unit id")
    return Diagnostic("group-empty", f"接收单位集合“{group.name}”（{group.id}）没有成员", group.span,
                      severity=Severity.error, subject=group.id,
                      help="核对 county 与 forms（township、street），或逐个列出 members", message_en="group has no members")
