"""Reading a published list out of a worksheet: merged cells filled in, the header row found
(also a two-row header such as 职责分工 over 上级部门职责 | 乡镇配合职责), columns mapped by
their Chinese headings, section rows (一、党的建设) and a merged 领域 column carried down onto
the rows they cover, title rows, spacer rows and notes skipped."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .kinds import Kind
from .problems import Problem
from .text import key, cell_text, clean_group, heading_key, heading_key_loose, is_note, is_section_text, ref

HEADER_SCAN_ROWS = 30
CN_ORDINAL = re.compile(r"\(?[一二三四五六七八九十百零〇]+\)?[、.]?")
TOTALS = frozenset({"合计", "小计", "总计", "共计"})


@dataclass
class Cell:
    text: str
    ref: str


@dataclass
class Row:
    row: int
    cells: dict[str, Cell]          # field -> cell (only non-empty cells)
    group: str | None = None
    group_ref: str | None = None

    def get(self, fld: str) -> str:
        c = self.cells.get(fld)
        return c.text if c else ""


@dataclass
class Table:
    sheet: str
    header_row: int
    columns: dict[int, str]         # column -> field
    rows: list[Row] = field(default_factory=list)
    first_cell: str = ""


class HeadingMap:
    """Heading text → field for one kind, with `--columns` overrides (field None: ignore)."""

    def __init__(self, kind: Kind, overrides: dict[str, str | None] | None = None):
        self.kind = kind
        self.exact: dict[str, str | None] = {}
        self.loose: dict[str, str | None] = {}
        for fld, headings in kind.headings().items():
            for h in headings:
                self.exact.setdefault(heading_key(h), fld)
                self.loose.setdefault(heading_key_loose(h), fld)
        for h, fld in (overrides or {}).items():
            self.exact[heading_key(h)] = fld
            self.loose[heading_key_loose(h)] = fld
        self.name_keys = {h for h, f in self.exact.items() if f == "name"}

    def lookup(self, text: str) -> tuple[bool, str | None]:
        """(known, field); a known heading may map to None (ignored column)."""
        k = heading_key(text)
        if k in self.exact:
            return True, self.exact[k]
        k = heading_key_loose(text)
        if k in self.loose:
            return True, self.loose[k]
        return False, None


def merged_ranges(ws) -> list[tuple[int, int, int, int]]:
    """(min_row, min_col, max_row, max_col) of every merged range of `ws`.  A read-only sheet
    does not expose them, so they are read from the sheet's XML (`<mergeCell ref="A1:E1"/>`)."""
    ranges = getattr(ws, "merged_cells", None)
    if ranges is not None:
        return [(r.min_row, r.min_col, r.max_row, r.max_col) for r in ranges.ranges]
    import zipfile

    from openpyxl.utils.cell import column_index_from_string

    source = getattr(ws.parent, "_archive", None)
    path = getattr(ws, "_worksheet_path", None)
    if source is None or path is None:  # pragma: no cover - openpyxl internals changed
        return []
    data = source.read(path) if isinstance(source, zipfile.ZipFile) else b""
    out = []
    for m in re.finditer(rb'<(?:\w+:)?mergeCell\s[^>]*?ref="\$?([A-Z]+)\$?(\d+):\$?([A-Z]+)\$?(\d+)"', data):
        c1, r1, c2, r2 = m.groups()
        out.append((int(r1), column_index_from_string(c1.decode()), int(r2), column_index_from_string(c2.decode())))
    return out


def grid(ws) -> tuple[list[list[str]], dict[tuple[int, int], tuple[int, int, int, int]]]:
    """The sheet's text, merged ranges filled with their top-left value; and for every merged
    cell its range (min_row, min_col, max_row, max_col)."""
    if hasattr(ws, "reset_dimensions"):  # read-only: do not trust the stored dimension
        ws.reset_dimensions()
    rows = [[cell_text(v) for v in r] for r in ws.iter_rows(values_only=True)]
    while rows and not any(rows[-1]):
        rows.pop()
    width = max((len(r) for r in rows), default=0)
    for r in rows:
        r.extend([""] * (width - len(r)))
    merged: dict[tuple[int, int], tuple[int, int, int, int]] = {}
    for b in merged_ranges(ws):
        if b[0] > len(rows):
            continue
        value = rows[b[0] - 1][b[1] - 1] if b[1] <= width else ""
        for r in range(b[0], min(b[2], len(rows)) + 1):
            for c in range(b[1], min(b[3], width) + 1):
                rows[r - 1][c - 1] = value
                merged[(r, c)] = b
    return rows, merged


def read_table(ws, kind: Kind, headings: HeadingMap, problems: list[Problem]) -> Table | None:
    sheet = ws.title
    rows, merged = grid(ws)
    hdr = None
    for i, r in enumerate(rows[:HEADER_SCAN_ROWS], 1):
        if any(t and heading_key(t) in headings.name_keys for t in r):
            hdr = i
            break
    if hdr is None:
        for i, r in enumerate(rows[:HEADER_SCAN_ROWS], 1):
            if any(t and headings.lookup(t)[1] == "seq" for t in r):
                hdr = i
                break
    if hdr is None:
        problems.append(Problem(
            "no-header", f"未找到表头行：前 {HEADER_SCAN_ROWS} 行中没有“{kind.name_headings[0]}”等列标题",
            sheet, ref(sheet, 1, 1),
            help="检查工作表是否选对（--sheet），或用 --columns 说明列标题对应的字段"))
        return None
    top = rows[hdr - 1]
    heads = {c: (hdr, t) for c, t in enumerate(top, 1) if t}
    data_start = hdr + 1
    # a second header row: sub-headings under a merged parent (职责分工 → 上级部门职责 | 乡镇配合职责)
    if hdr < len(rows):
        below = rows[hdr]
        subs = {}
        for c, t in enumerate(below, 1):
            if not t or t == top[c - 1] or not headings.lookup(t)[0]:
                continue
            b = merged.get((hdr, c))
            if (b is not None and b[3] > b[1]) or not top[c - 1] or not headings.lookup(top[c - 1])[0]:
                subs[c] = t
        if subs and not any(t.isdigit() for t in below):
            for c, t in subs.items():
                heads[c] = (hdr + 1, t)
            data_start = hdr + 2
    table = Table(sheet, hdr, {}, first_cell=ref(sheet, hdr, 1))
    seen: dict[str, str] = {}
    for c, (r, t) in sorted(heads.items()):
        known, fld = headings.lookup(t)
        if not known:
            problems.append(Problem(
                "unknown-column", f"未知的列标题“{t}”", sheet, ref(sheet, r, c),
                help=f"{kind.label}可用的列：{_columns_help(kind)}；或用 --columns 文件把它映射到字段（或 null 表示忽略）"))
            continue
        if fld is None or fld == "ignore":
            continue
        if fld in seen:
            if seen[fld] == t or (r, c) in merged:  # a heading merged across columns
                continue
            problems.append(Problem(
                "duplicate-column", f"列标题“{t}”与 {seen[fld]} 指同一字段（{fld}）", sheet, ref(sheet, r, c)))
            continue
        seen[fld] = ref(sheet, r, c)
        table.columns[c] = fld
    for fld in kind.required_cells:
        if fld not in table.columns.values():
            problems.append(Problem(
                "missing-column", f"缺少必需的列“{kind.headings()[fld][0]}”", sheet, table.first_cell,
                help=f"可用的列标题：{'、'.join(kind.headings()[fld])}"))
    group_col = next((c for c, f in table.columns.items() if f == "group"), None)
    current: tuple[str, str] | None = None
    width = len(top)
    for r_no in range(data_start, len(rows) + 1):
        r = rows[r_no - 1]
        texts = {t for t in r if t}
        if not texts:
            continue
        if len(texts) == 1:
            (only,) = texts
            c0 = next(c for c, t in enumerate(r, 1) if t)
            b = merged.get((r_no, c0))
            spans = b is not None and b[3] > b[1]
            if is_note(only) or key(only) in TOTALS:
                continue
            if spans or is_section_text(only) or (table.columns.get(c0) == "seq" and not only.isdigit()):
                current = (clean_group(only), ref(sheet, r_no, c0))
                continue
        cells = {fld: Cell(r[c - 1], ref(sheet, r_no, c)) for c, fld in table.columns.items() if c <= width and r[c - 1]}
        content = {f for f in cells if f not in ("seq", "group")}
        if not content:
            continue
        if content == {"name"} and "seq" in cells and CN_ORDINAL.fullmatch(key(cells["seq"].text)):
            current = (clean_group(cells["name"].text), cells["name"].ref)  # | 一 | 党的建设 |
            continue
        if key(cells.get("name", Cell("", "")).text) in TOTALS:
            continue
        row = Row(r_no, cells)
        if group_col is not None and "group" in cells:
            row.group, row.group_ref = clean_group(cells["group"].text), cells["group"].ref
        elif current is not None:
            row.group, row.group_ref = current
        table.rows.append(row)
    return table


def _columns_help(kind: Kind) -> str:
    h = kind.headings()
    return "、".join(h[f][0] for f in ("name", *[f for f in kind.fields if f not in ("name", "ignore")], "group"))
