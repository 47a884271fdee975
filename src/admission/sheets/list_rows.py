"""What township and village lists share: a row becomes one entry of the unit's list record, a
repeated (matter, 范围) is refused, and the output holds the unit's whole record — the imported
list beside the other lists kept from the existing output file — replacing the record the policy
has for the unit."""

from __future__ import annotations

from ..language.entities import (
    AssistingEntry, BasicEntry, CertificationEntry, CooperativeEntry, Matter, NegativeEntry, ReturnedEntry,
    VillageDuty,
)
from .kinds import KINDS
from .problems import Problem
from .reader import Row
from .rows import NAME_MAX, RowReader
from .yamlout import comment, dump, flow

ENTRY_MODEL = {
    "basic": BasicEntry, "cooperative": CooperativeEntry, "returned": ReturnedEntry,
    "duties": VillageDuty, "assisting": AssistingEntry, "negative": NegativeEntry,
    "may_certify": CertificationEntry, "must_not_certify": CertificationEntry,
}

#: list attribute -> its label (配合履职事项), for the comments and notes of the output
LIST_LABELS = {k.attr: k.label for k in KINDS.values()}


class ListRows(RowReader):
    """Rows of one list of a unit's list record (`section` of the policy, keyed by `id_field`,
    with the lists `attrs`); `entries_of` expands the unit's record as the policy has it."""

    section: str
    id_field: str
    attrs: tuple[str, ...]

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.written_attrs: list[str] = []     # lists with entries in the output, once written

    @staticmethod
    def entries_of(policy, unit: str):
        raise NotImplementedError

    def kind_fields(self, row: Row, data: dict) -> None:
        """The columns of this list kind only (牵头部门, 承接部门, 业务主管部门, …)."""
        raise NotImplementedError

    def record_lines(self, rec) -> list[str]:
        """Lines of the record besides its lists (`rec`: the record in the existing output)."""
        return []

    def current_matters(self) -> frozenset[str]:
        return frozenset(e.matter for e in getattr(self.entries_of(self.policy, self.unit), self.kind.attr))

    def finish(self, row: Row, name: str, data: dict, before: int) -> None:
        note = self.text(row, "note")
        if note:
            data["note"] = note
        rewords = self.text(row, "rewords", NAME_MAX)
        if rewords:
            data["rewords"] = rewords
        self.kind_fields(row, data)
        mid, scope = data["matter"], data.get("scope")
        if self.error_count() > before or mid is None:
            return
        if not self.first_time(row, (mid, scope), f"事项“{name}”{'（' + scope + '）' if scope else ''}",
                               "删去重复的一行；同一事项按环节拆分时写明“范围”"):
            return
        model = ENTRY_MODEL[self.kind.attr]
        clean = {f: v for f, v in data.items() if v is not None and v != []}
        self.entries.append((model.model_validate(clean), name))

    # -- the output
    def body_lines(self, existing, matters: list[Matter]) -> list[str]:
        rec = self._output_record(existing)
        lists = self._lists(rec, matters)
        lines = [f"{self.section}:",
                 f"  - {self.id_field}: {flow(self.unit)}{comment(self.policy.units[self.unit].name)}",
                 *self.record_lines(rec)]
        self.written_attrs = [a for a, items in lists.items() if items]
        for attr, items in lists.items():
            lines.append(f"    {attr}:{comment(f'{LIST_LABELS[attr]}（{len(items)}项）')}")
            lines += [f"      - {flow(dump(e))}{comment(name)}" for e, name in items]
        return lines

    def _output_record(self, existing):
        """The unit's record in the existing output file, if any."""
        if existing is None:
            return None
        return next((r for r in getattr(existing, self.section) if getattr(r, self.id_field) == self.unit), None)

    def _lists(self, rec, matters: list[Matter]) -> dict[str, list[tuple]]:
        """attr -> (entry, matter name): the imported list, and the others kept from `rec`."""
        names = {**{m.id: m.name for m in self.policy.matters.values()}, **{m.id: m.name for m in matters}}
        lists = {}
        for attr in self.attrs:
            if attr == self.kind.attr:
                lists[attr] = [(e, name) for e, name in self.entries]
            elif rec is not None and getattr(rec, attr):
                lists[attr] = [(e, names.get(e.matter, "")) for e in getattr(rec, attr)]
        return lists

    def release(self, index: dict[str, dict]):
        return index[self.section].pop(self.unit, None)

    def replacement_notes(self, released, display: str) -> list[Problem]:
        """The policy's own record of the unit is replaced: say so, and which of its lists the
        output does not hold yet."""
        if released is None:
            return []
        current = self.entries_of(self.policy, self.unit)
        missing = [LIST_LABELS[a] for a in LIST_LABELS if hasattr(current, a) and getattr(current, a)
                   and a not in self.written_attrs]
        return [Problem(
            "replaces-list", f"{self.policy.units[self.unit].name} 在 {released.span or '策略中'} 已有清单记录，导入结果应替换该记录"
            + (f"；替换前还需导入：{'、'.join(missing)}" if missing else ""), None, display, severity="info")]
