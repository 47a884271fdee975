"""Opening the workbook an import reads and choosing its sheet: by `--sheet`, the only one, or the
one whose name carries the kind's keywords (and the unit's name, when several do)."""

from __future__ import annotations

from pathlib import Path

from .kinds import Kind
from .options import UsageError
from .text import key


def open_workbook(path: Path):
    from zipfile import BadZipFile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.is_file():
        raise UsageError(f"工作簿 {path} 不存在")
    try:
        return openpyxl.load_workbook(path, data_only=True, read_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UsageError(f"无法读取工作簿 {path}（应为 .xlsx）：{exc}") from None


def pick_sheet(wb, kind: Kind, unit_name: str, wanted: str | None):
    names = wb.sheetnames
    if wanted is not None:
        return _named_sheet(wb, wanted)
    if len(names) == 1:
        return wb[names[0]]
    cands = [n for n in names if any(w in key(n) for w in kind.keywords)]
    if len(cands) > 1:
        mine = [n for n in cands if key(unit_name) in key(n)]
        cands = mine or cands
    if len(cands) == 1:
        return wb[cands[0]]
    listed = "、".join(names[:12]) + (f" 等 {len(names)} 个" if len(names) > 12 else "")
    raise UsageError(f"无法确定读取哪个工作表（{kind.label}）：现有 {listed}；请用 --sheet 指定")


def _named_sheet(wb, wanted: str):
    """The `--sheet` the user named, exactly or by NFKC text when that is unique."""
    names = wb.sheetnames
    if wanted in names:
        return wb[wanted]
    k = key(wanted)
    hits = [n for n in names if key(n) == k]
    if len(hits) == 1:
        return wb[hits[0]]
    raise UsageError(f"工作簿中没有工作表“{wanted}”；现有：{'、'.join(names)}")
