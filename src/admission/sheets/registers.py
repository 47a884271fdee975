"""The registers (issue 20) in and out of workbooks, one sheet per register in the layout counties
publish them (Zaozhuang's "three catalogues" and "three community lists"): one row per record,
or for a register holding a list (a plan's items, a register's boards, a scope's purposes, a
community's evaluation items) one row per entry with the record's columns repeated.

`export_registers` writes a county's registers; `import_registers` reads such a workbook back
into YAML of the policy language (which the loader then validates, so a cell in error is
reported at its place in the YAML the import wrote).  A round trip gives back the same records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ..compile.index import Index
from ..language.enums import BoardKind, InspectionKind, Labelled
from ..language.policy import REGISTER_SECTIONS
from ..scale.routing import REGISTER_HOME
from .options import UsageError
from .yamlout import scalar

SEP = "、"
ENUMS: dict[str, type[Labelled]] = {"inspection": InspectionKind, "board": BoardKind}


@dataclass(frozen=True)
class Col:
    heading: str
    path: str  # dotted field path in the record (or, for item columns, in the entry)
    conv: str = "text"  # text | int | date | list | bool | enum:<key of ENUMS>


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: tuple[Col, ...]
    items: tuple[str, ...] = ()  # list fields whose entries are rows; the first is the default
    item_columns: tuple[Col, ...] = ()
    marker: Col | None = None  # for two item lists: 是 = the second list (临时申报)
    extra: tuple[str, ...] = field(default=())


def _approval(prefix: str, label: str) -> tuple[Col, ...]:
    return (Col(f"{label}机关", f"{prefix}.by"), Col(f"{label}日期", f"{prefix}.date", "date"),
            Col(f"{label}文号", f"{prefix}.document"))


DATED = (Col("施行日期", "since", "date"), Col("废止日期", "until", "date"))
SHEETS: dict[str, Sheet] = {
    "inspection_plans": Sheet("督查检查考核计划", (
        Col("计划编号", "id"), Col("报送部门", "department"), Col("年度", "year", "int"), Col("每年项数上限", "limit", "int"),
        *_approval("approval", "审定"), Col("基准年", "baseline.year", "int"), Col("基准年项数", "baseline.count", "int"),
        *DATED), ("items", "one_off"), (
        Col("项目编号", "id"), Col("项目名称", "name"), Col("类别", "kind", "enum:inspection"), Col("对象", "targets", "list"),
        *_approval("approval", "临时申报批准")), Col("临时申报", "", "bool")),
    "inspections": Sheet("督查检查考核开展记录", (
        Col("记录编号", "id"), Col("开展部门", "department"), Col("对象", "target"), Col("开展日期", "date", "date"),
        Col("项目编号", "item"), Col("名称", "name"), Col("类别", "kind", "enum:inspection"))),
    "document_counts": Sheet("发文会议数量", (
        Col("记录编号", "id"), Col("单位", "unit"), Col("年度", "year", "int"), Col("发文数", "documents", "int"),
        Col("会议数", "meetings", "int"), Col("白头文件", "substitutes.unheaded", "int"), Col("便签", "substitutes.notes", "int"),
        Col("发电", "substitutes.telegrams", "int"), Col("基准年", "baseline.year", "int"),
        Col("基准年发文数", "baseline.documents", "int"), Col("基准年会议数", "baseline.meetings", "int"))),
    "secondments": Sheet("借调乡镇(街道)人员", (
        Col("借调编号", "id"), Col("借出乡镇(街道)", "township"), Col("借调机关", "organ"), Col("人数", "count", "int"),
        *DATED, Col("依据", "basis"), *_approval("admission", "准入"), Col("归还日期", "returned", "date"))),
    "board_registers": Sheet("机制牌子目录", (
        Col("单位", "unit"), Col("实际悬挂", "present", "list"), Col("基准年", "baseline.year", "int"),
        Col("基准年牌子数", "baseline.count", "int")), ("boards",), (
        Col("牌子编号", "id"), Col("牌子名称", "name"), Col("类别", "kind", "enum:board"), Col("新设", "new", "bool"),
        *_approval("consent", "省级同意"), *DATED)),
    "seal_scopes": Sheet("社区印章使用范围", (Col("村(社区)", "community"), *DATED), ("purposes",), (
        Col("用途编号", "id"), Col("用途", "name"), Col("依据", "basis"))),
    "seal_uses": Sheet("用印记录", (
        Col("记录编号", "id"), Col("村(社区)", "community"), Col("用途", "purpose"), Col("用印日期", "date", "date"),
        Col("要求用印的单位", "requested_by"))),
    "evaluation_items": Sheet("社区综合考核评比项目", (Col("村(社区)", "community"), *DATED), ("items",), (
        Col("项目编号", "id"), Col("项目名称", "name"), Col("组织部门", "department"))),
    "forms": Sheet("报表目录", (
        Col("表格编号", "id"), Col("表格名称", "name"), Col("制表部门", "department"), Col("填报单位", "targets", "list"),
        Col("字段", "fields", "list"), Col("合并前表格数", "merged_from", "int"), Col("备注", "note"), *DATED)),
    "data_requests": Sheet("填报要求记录", (
        Col("记录编号", "id"), Col("要求部门", "department"), Col("填报单位", "unit"), Col("表格", "form"),
        Col("要求日期", "date", "date"))),
}


# --------------------------------------------------------------------------- export
def _get(data: dict, path: str):
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _cell(value, conv: str):
    if value is None:
        return None
    if conv == "list":
        return SEP.join(str(v) for v in value)
    if conv == "bool":
        return "是" if value else None
    if conv.startswith("enum:"):
        return ENUMS[conv[5:]](value).label
    return value if conv == "int" else str(value)


def register_rows(index: Index, county: str, section: str) -> list[list]:
    """The rows of one register of a county (its records whose home unit is in the county)."""
    sheet = SHEETS[section]
    rows = []
    for rec in getattr(index.policy, section).values():
        homes = [index.units[u].county for u in REGISTER_HOME[section](rec) if u in index.units]
        if county not in homes:
            continue
        data = rec.model_dump(mode="json", exclude_none=True)
        base = [_cell(_get(data, c.path), c.conv) for c in sheet.columns]
        entries = [(i, e) for i, name in enumerate(sheet.items) for e in data.get(name, [])]
        if not entries:
            rows.append(base + [None] * (len(sheet.item_columns) + bool(sheet.marker)))
        for i, e in entries:
            row = base + [_cell(_get(e, c.path), c.conv) for c in sheet.item_columns]
            if sheet.marker:
                row.append("是" if i else None)
            rows.append(row)
    return rows


def headings(sheet: Sheet) -> list[str]:
    return [c.heading for c in (*sheet.columns, *sheet.item_columns)] + ([sheet.marker.heading] if sheet.marker else [])


def export_registers(index: Index, county: str, path: Path) -> int:
    """Write the county's registers to an .xlsx, one sheet each (only registers with records); the count of rows."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    total = 0
    for section in REGISTER_SECTIONS:
        rows = register_rows(index, county, section)
        if not rows:
            continue
        ws = wb.create_sheet(SHEETS[section].title)
        ws.append(headings(SHEETS[section]))
        for r in rows:
            ws.append(r)
        total += len(rows)
    if not wb.sheetnames:
        raise UsageError(f"{county} 没有登记册记录")
    wb.save(path)
    return total


# --------------------------------------------------------------------------- import
def _parse(value, conv: str, where: str):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if conv == "int":
        if isinstance(value, bool) or not isinstance(value, (int, float)) and not str(value).strip().isdigit():
            raise UsageError(f"{where}：应为整数，实为“{value}”")
        return int(value)
    if conv == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise UsageError(f"{where}：应为日期 YYYY-MM-DD，实为“{value}”") from None
    if conv == "list":
        return [x.strip() for x in str(value).replace(",", SEP).replace("，", SEP).split(SEP) if x.strip()]
    if conv == "bool":
        return str(value).strip() in ("是", "true", "1", "√")
    if conv.startswith("enum:"):
        cls = ENUMS[conv[5:]]
        text = str(value).strip()
        found = cls.by_label(text) or next((m for m in cls if m.value == text), None)
        if found is None:
            raise UsageError(f"{where}：“{text}”不是{cls.describe()}之一")
        return found.value
    return str(value).strip()


def _put(data: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    for p in parents:
        data = data.setdefault(p, {})
    data[last] = value


def _read(sheet: Sheet, ws) -> list[dict]:
    rows = ws.iter_rows(values_only=True)
    head = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    want = headings(sheet)
    missing = [h for h in want[:1] if h not in head]
    if missing:
        raise UsageError(f"工作表“{ws.title}”缺少列：{SEP.join(missing)}")
    at = {h: head.index(h) for h in want if h in head}
    records: dict[str, dict] = {}
    for n, row in enumerate(rows, 2):
        def cell(c: Col):
            i = at.get(c.heading)
            return _parse(row[i] if i is not None and i < len(row) else None, c.conv, f"{ws.title} 第 {n} 行“{c.heading}”")
        key = cell(sheet.columns[0])
        if key is None:
            continue
        rec = records.get(key)
        if rec is None:
            rec = records[key] = {}
            for c in sheet.columns:
                v = cell(c)
                if v is not None:
                    _put(rec, c.path, v)
        if sheet.items:
            entry = {}
            for c in sheet.item_columns:
                v = cell(c)
                if v not in (None, False):
                    _put(entry, c.path, v)
            if entry:
                target = sheet.items[1] if sheet.marker and cell(sheet.marker) else sheet.items[0]
                rec.setdefault(target, []).append(entry)
    return list(records.values())


def _flow(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return scalar(value)


def import_registers(path: Path, title: str) -> tuple[str, int]:
    """The YAML of the registers in a workbook (sheets named as `SHEETS` titles them); the count of records."""
    from .workbook import open_workbook

    wb = open_workbook(path)
    lines = [f"title: {scalar(title)}"]
    count = 0
    for section in REGISTER_SECTIONS:
        sheet = SHEETS[section]
        if sheet.title not in wb.sheetnames:
            continue
        records = _read(sheet, wb[sheet.title])
        if records:
            lines.append(f"{section}:")
            lines += [f"  - {_flow(r)}" for r in records]
            count += len(records)
    if not count:
        raise UsageError(f"{path} 中没有登记册工作表（{SEP.join(s.title for s in SHEETS.values())}）")
    return "\n".join(lines) + "\n", count
