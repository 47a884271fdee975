"""A problem found in a workbook, located as Excel names a cell (配合清单!C17)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    sheet: str | None = None
    where: str | None = None        # 配合清单!C17, or file:line:column for the written YAML
    help: str | None = None
    severity: str = "error"         # error | warning | info
    subject: str | None = None      # the name that did not resolve

    def format(self) -> str:
        text = f"{self.where + ': ' if self.where else ''}{self.severity}[{self.code}] {self.message}"
        if self.help:
            text += f"\n    提示 help: {self.help}"
        return text

    def to_dict(self) -> dict:
        out = {"code": self.code, "severity": self.severity, "message": self.message}
        if self.where:
            out["where"] = self.where
        if self.sheet:
            out["sheet"] = self.sheet
        if self.help:
            out["help"] = self.help
        if self.subject:
            out["subject"] = self.subject
        return out


UNRESOLVED = {"unknown-department": "部门", "ambiguous-department": "部门", "unknown-matter": "事项",
              "ambiguous-matter": "事项", "unknown-basis": "依据", "ambiguous-basis": "依据",
              "unknown-township": "乡镇(街道)"}


def unresolved(problems: list[Problem]) -> list[str]:
    """The names that did not resolve, each once with its count, first cell and candidates."""
    seen: dict[tuple[str, str], list[Problem]] = {}
    for p in problems:
        if p.code in UNRESOLVED and p.subject:
            seen.setdefault((UNRESOLVED[p.code], p.subject), []).append(p)
    lines = []
    for (what, name), ps in seen.items():
        more = f" ×{len(ps)}" if len(ps) > 1 else ""
        hint = f"；{ps[0].help}" if ps[0].help else ""
        lines.append(f"{what}“{name}”{more}（{ps[0].where}）{hint}")
    return lines
