"""Township lists (乡镇履行职责事项清单): 基本履职事项, 配合履职事项 with the leading department and
both sides' duties, 上级部门收回事项 with the department that takes the matter back."""

from __future__ import annotations

from ..compile.expand import township_entries
from .list_rows import ListRows
from .reader import Row


class TownshipRows(ListRows):
    section, id_field = "township_lists", "township"
    attrs = ("basic", "cooperative", "returned")
    entries_of = staticmethod(township_entries)

    def kind_fields(self, row: Row, data: dict) -> None:
        if self.kind.key == "cooperative":
            data["lead"] = self.department(row, "lead")
            data["lead_duties"] = self.text(row, "lead_duties")
            data["township_duties"] = self.text(row, "township_duties")
        elif self.kind.key == "returned":
            data["taken_by"] = self.department(row, "taken_by")
            data["method"] = self.text(row, "method")
