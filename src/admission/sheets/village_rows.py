"""Village lists (村(社区)工作事项清单): 依法履职事项, 协助政府工作事项 with its supervising
department and category, 负面清单, and the certification lists (可出具 / 不应出具证明事项) with
their basis, purpose and procedure."""

from __future__ import annotations

from ..compile.expand import village_entries
from ..language.enums import AssignmentRole
from .list_rows import ListRows
from .reader import Row
from .rows import NAME_MAX
from .text import key


class VillageRows(ListRows):
    section, id_field = "village_lists", "village"
    attrs = ("duties", "assisting", "negative", "may_certify", "must_not_certify")
    entries_of = staticmethod(village_entries)

    def kind_fields(self, row: Row, data: dict) -> None:
        if self.kind.key in ("village-duties", "village-assisting"):
            role = self._role(row)
            if role is not None:
                data["role"] = role.value
        if self.kind.key == "village-assisting":
            supervisor = self.department(row, "supervisor", many=False)
            data["supervisor"] = supervisor[0] if supervisor else None
            if row.group:
                data["category"] = row.group[:NAME_MAX]
        elif self.kind.key in ("may-certify", "must-not-certify"):
            data["basis"] = self.basis(row, "basis")[1]
            data["purpose"] = self.text(row, "purpose")
            data["procedure"] = self.text(row, "procedure")

    def _role(self, row: Row) -> AssignmentRole | None:
        """责任主体 / 承办 / 协助 (or responsible / execute / assist) from the 角色 cell."""
        text = row.get("role")
        if not text:
            return None
        k = key(text)
        role = next((r for r in AssignmentRole if k in (r.value, r.label)), None)
        if role is None:
            self.err("bad-value", f"角色“{text}”无效，应为“责任主体”“承办”或“协助”", self.where(row, "role"))
        return role

    def record_lines(self, rec) -> list[str]:
        """A positive certification list (certify_only_listed) is kept as it was."""
        only = rec.certify_only_listed if rec is not None else \
            village_entries(self.policy, self.unit).certify_only_listed
        return ["    certify_only_listed: true  # 证明事项实行正面清单（沿用原清单）"] if only else []
