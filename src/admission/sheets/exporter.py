"""`admission export xlsx|csv|html`: a township's (or a county's, or a village's) lists in the
layout counties publish (公示): a title row, the effective date, 序号, rows grouped by domain
(领域) — as section rows (一、党的建设（20项）) or as a 领域 column — and the columns of each
list.  CSV carries a UTF-8 BOM so that Excel shows the Chinese; HTML is one self-contained page
with a print stylesheet (A4 landscape, header rows repeated, one list per page)."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..compile.expand import township_entries, village_entries
from ..language import Policy
from ..language.enums import BasisKind, Level, UnitKind
from .options import UsageError, find_unit
from .kinds import KINDS, TOWNSHIP_KINDS, VILLAGE_KINDS, Kind
from .resolve import county_of
from .text import cn_date, cn_number

FORMATS = ("xlsx", "csv", "html")
GROUPINGS = ("sections", "column")


@dataclass
class Section:
    """One published table."""

    unit: str
    kind: Kind
    sheet: str
    title: str
    subtitle: str
    fields: list[str]                       # columns after 序号 (and the group column)
    headings: list[str]
    groups: list[tuple[str | None, list[list[str]]]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(rows) for _, rows in self.groups)


# --------------------------------------------------------------------------- content
class _Names:
    def __init__(self, policy: Policy):
        self.p = policy
        bases = policy.bases
        self.basis_text: dict[str, str] = {}
        counts = Counter()
        for b in bases.values():
            counts[b.number] += 1
            counts[f"《{b.title}》"] += 1
        for bid, b in bases.items():
            if b.kind in (BasisKind.law, BasisKind.regulation, BasisKind.rule) and counts[f"《{b.title}》"] == 1:
                self.basis_text[bid] = f"《{b.title}》"
            elif counts[b.number] == 1 and counts.get(f"《{b.number}》", 0) == 0:
                self.basis_text[bid] = b.number
            else:
                self.basis_text[bid] = f"{b.title}（{b.number}）"

    def unit(self, uid: str | None) -> str:
        if not uid:
            return ""
        u = self.p.units.get(uid)
        return u.name if u else uid

    def units(self, ids) -> str:
        return "、".join(self.unit(i) for i in ids)

    def basis(self, bid: str | None) -> str:
        return self.basis_text.get(bid, bid or "") if bid else ""

    def matter(self, mid: str) -> str:
        m = self.p.matters.get(mid)
        return m.name if m else mid


def _value(names: _Names, kind: Kind, fld: str, e) -> str:
    p = names.p
    m = p.matters.get(e.matter)
    if fld == "name":
        return names.matter(e.matter)
    if fld in ("lead", "taken_by", "townships"):
        return names.units(getattr(e, fld))
    if fld in ("supervisor", "department"):
        return names.unit(getattr(e, fld))
    if fld == "power_type":
        return m.power_type.label if m else ""
    if fld == "legal_basis":
        return names.basis(m.basis) if m else ""
    if fld == "decision":
        return names.basis(e.basis)
    if fld == "basis":
        return names.basis(e.basis)
    if fld == "mode":
        return e.mode.label
    if fld == "role":
        return e.role.label if e.role else ""
    if fld == "since":
        return e.since.isoformat() if e.since else ""
    v = getattr(e, fld, None)
    return "" if v is None else str(v)


def _entries(policy: Policy, unit: str, kind: Kind, on: dt.date) -> list:
    if kind.target == "township":
        items = getattr(township_entries(policy, unit), kind.attr)
        return [e for e in items if e.in_force(on)]
    if kind.target == "village":
        items = getattr(village_entries(policy, unit), kind.attr)
        return [e for e in items if e.in_force(on)]
    return [d for d in policy.delegations.values() if unit in d.townships and d.active(on)]


def _group(policy: Policy, kind: Kind, e) -> str | None:
    if kind.group_field == "category":
        return getattr(e, "category", None)
    m = policy.matters.get(e.matter)
    return m.domain if m else None


def section(policy: Policy, unit: str, kind: Kind, on: dt.date, sheet: str, names: _Names | None = None) -> Section:
    names = names or _Names(policy)
    entries = _entries(policy, unit, kind, on)
    order = sorted(range(len(entries)), key=lambda i: (getattr(entries[i], "seq", None) is None,
                                                       getattr(entries[i], "seq", None) or 0, i))
    entries = [entries[i] for i in order]
    fields = list(kind.export)
    for opt in kind.optional_export:
        if any(_value(names, kind, opt, e) for e in entries):
            fields.append(opt)
    groups: dict[str | None, list[list[str]]] = {}
    for e in entries:
        groups.setdefault(_group(policy, kind, e), []).append([_value(names, kind, f, e) for f in fields])
    ordered = [(None, groups.pop(None))] if None in groups else []
    ordered += list(groups.items())
    uname = policy.units[unit].name
    return Section(unit, kind, sheet, kind.title.format(unit=uname),
                   f"有效日期：{cn_date(on)}　共{len(entries)}项", fields,
                   [kind.export_heading(f) for f in fields], ordered)


def sections(policy: Policy, unit_text: str, on: dt.date, kinds: list[str] | None = None) -> list[Section]:
    """The published tables of a township, a county (each of its townships) or a village."""
    unit = find_unit(policy, unit_text)
    u = policy.units[unit]
    names = _Names(policy)
    if kinds:
        bad = [k for k in kinds if k not in KINDS]
        if bad:
            raise UsageError(f"未知的清单类型 {'、'.join(bad)}；可选：{'、'.join(KINDS)}")
    if u.kind == UnitKind.township:
        towns, county = [unit], False
    elif u.kind == UnitKind.government and u.level == Level.county:
        towns = sorted(uid for uid, t in policy.units.items()
                       if t.kind == UnitKind.township and county_of(policy, uid) == unit)
        county = True
        if not towns:
            raise UsageError(f"{u.name} 下没有乡镇(街道)")
    elif u.kind == UnitKind.village:
        wanted = kinds or [k for k in VILLAGE_KINDS if _entries(policy, unit, KINDS[k], on)] or list(VILLAGE_KINDS)
        wrong = [k for k in wanted if k not in VILLAGE_KINDS]
        if wrong:
            raise UsageError(f"{u.name} 是村(社区)，没有 {'、'.join(wrong)} 清单")
        return [section(policy, unit, KINDS[k], on, _sheet_name(KINDS[k].label), names) for k in wanted]
    else:
        raise UsageError(f"{u.name}（{unit}）是{u.kind.label}：请导出乡镇(街道)、县或村(社区)的清单")
    wrong = [k for k in kinds or [] if k not in (*TOWNSHIP_KINDS, "delegated")]
    if wrong:
        raise UsageError(f"乡镇(街道)没有 {'、'.join(wrong)} 清单（村(社区)清单请按村导出）")
    out = []
    for t in towns:
        wanted = kinds or [*TOWNSHIP_KINDS,
                           *(["delegated"] if _entries(policy, t, KINDS["delegated"], on) else [])]
        for k in wanted:
            kind = KINDS[k]
            sheet = f"{policy.units[t].name}-{kind.short}" if county else kind.label
            out.append(section(policy, t, kind, on, _sheet_name(sheet), names))
    seen: Counter = Counter()
    for s in out:  # unique sheet names
        seen[s.sheet] += 1
        if seen[s.sheet] > 1:
            s.sheet = _sheet_name(f"{s.sheet[:27]}{seen[s.sheet]}")
    return out


def _sheet_name(name: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", "_", name)[:31]


# --------------------------------------------------------------------------- writers
def _rows(s: Section, grouping: str) -> tuple[list[str], list[tuple[str, list[str] | str]]]:
    """Header and body: ("group", label) section rows or ("row", cells) data rows."""
    header = ["序号", *([s.kind.group_heading] if grouping == "column" else []), *s.headings]
    body: list = []
    n = 0
    gi = 0
    for g, rows in s.groups:
        if grouping == "sections" and g is not None:
            gi += 1
            body.append(("group", f"{cn_number(gi)}、{g}（{len(rows)}项）"))
        for r in rows:
            n += 1
            body.append(("row", [str(n), *([g or ""] if grouping == "column" else []), *r]))
    return header, body


WIDTHS = {"序号": 6, "领域": 12, "类别": 12, "事项名称": 44, "赋权事项": 44, "事项内容": 44, "证明事项名称": 36,
          "权力类型": 10, "赋权方式": 9, "实施日期": 12}


def write_xlsx(secs: list[Section], path: Path, grouping: str = "sections") -> None:
    from copy import copy

    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.merge import MergedCellRange

    def merge(ws, r1, c1, r2, c2):
        """A merged range without openpyxl's per-cell border formatting (slow); every cell of
        the range is styled already, only the top-left keeps a value."""
        ws.merged_cells.add(MergedCellRange(ws, f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}"))
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                if (r, c) != (r1, c1) and (r, c) in ws._cells:
                    ws._cells[(r, c)].value = None

    wb = Workbook()
    wb.remove(wb.active)
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    #: style name -> (font, fill, border, alignment); applied once, then copied (fast)
    specs = {
        "title": (Font(bold=True, size=16), None, None, Alignment(horizontal="center", vertical="center")),
        "subtitle": (None, None, None, Alignment(horizontal="right")),
        "header": (Font(bold=True), PatternFill("solid", fgColor="D9D9D9"), border,
                   Alignment(horizontal="center", vertical="center", wrap_text=True)),
        "group": (Font(bold=True), PatternFill("solid", fgColor="F2F2F2"), border, Alignment(vertical="center")),
        "center": (None, None, border, Alignment(horizontal="center", vertical="center", wrap_text=True)),
        "text": (None, None, border, Alignment(vertical="center", wrap_text=True)),
    }
    made: dict = {}

    def put(ws, r, c, value, style):
        cell = ws.cell(row=r, column=c)
        if value is not None:
            value = ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value
            cell.value = value
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # text, never a formula
        if style in made:
            cell._style = copy(made[style])
        else:
            font, fill, brd, align = specs[style]
            if font is not None:
                cell.font = font
            if fill is not None:
                cell.fill = fill
            if brd is not None:
                cell.border = brd
            if align is not None:
                cell.alignment = align
            made[style] = copy(cell._style)
        return cell

    for s in secs:
        ws = wb.create_sheet(s.sheet)
        header, body = _rows(s, grouping)
        width = len(header)
        put(ws, 1, 1, s.title, "title")
        merge(ws, 1, 1, 1, width)
        ws.row_dimensions[1].height = 32
        put(ws, 2, 1, s.subtitle, "subtitle")
        merge(ws, 2, 1, 2, width)
        for c, h in enumerate(header, 1):
            put(ws, 3, c, h, "header")
            ws.column_dimensions[get_column_letter(c)].width = WIDTHS.get(h, 28 if width > 4 else 40)
        centred = 2 if grouping == "column" else 1
        r = 4
        for what, content in body:
            if what == "group":
                put(ws, r, 1, content, "group")
                for c in range(2, width + 1):
                    put(ws, r, c, None, "group")
                merge(ws, r, 1, r, width)
            else:
                put(ws, r, 1, int(content[0]), "center")  # 序号 as a number
                for c, v in enumerate(content[1:], 2):
                    put(ws, r, c, v, "center" if c <= centred else "text")
            r += 1
        if grouping == "column":  # merge the 领域 column over each group's rows
            r0 = 4
            for _, rows in s.groups:
                if len(rows) > 1:
                    merge(ws, r0, 2, r0 + len(rows) - 1, 2)
                r0 += len(rows)
        ws.freeze_panes = "A4"
        ws.print_title_rows = "3:3"
        ws.page_setup.orientation = "landscape" if width > 3 else "portrait"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.horizontalCentered = True
        ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    if not secs:
        wb.create_sheet("清单")
    _atomic(path, lambda tmp: wb.save(tmp))


def render_csv(secs: list[Section], grouping: str = "column") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for i, s in enumerate(secs):
        if i:
            w.writerow([])
        header, body = _rows(s, grouping)
        w.writerow([s.title])
        w.writerow([s.subtitle])
        w.writerow(header)
        for what, content in body:
            w.writerow([content] if what == "group" else content)
    return buf.getvalue()


def write_csv(secs: list[Section], path: Path, grouping: str = "column") -> None:
    text = render_csv(secs, grouping)
    _atomic(path, lambda tmp: Path(tmp).write_bytes(text.encode("utf-8-sig")))


CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "SimSun", sans-serif;
       margin: 24px; color: #000; }
section { margin-bottom: 40px; }
h1 { font-size: 20px; text-align: center; margin: 0 0 6px; }
p.date { text-align: right; margin: 0 0 6px; font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border: 1px solid #000; padding: 4px 6px; vertical-align: middle; }
thead th { background: #d9d9d9; }
td.seq, td.grp { text-align: center; white-space: nowrap; }
tr.group th { background: #f2f2f2; text-align: left; }
@page { size: A4 landscape; margin: 15mm 12mm; }
@media print {
  body { margin: 0; }
  section { page-break-after: always; break-after: page; margin: 0; }
  section:last-child { page-break-after: auto; break-after: auto; }
  thead { display: table-header-group; }
  tr { page-break-inside: avoid; break-inside: avoid; }
  th, td { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def render_html(secs: list[Section], grouping: str = "sections", title: str | None = None) -> str:
    e = html.escape
    title = title or (secs[0].title if len(secs) == 1 else "履行职责事项清单")
    out = ["<!DOCTYPE html>", '<html lang="zh-CN">', "<head>", '<meta charset="utf-8">',
           f"<title>{e(title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>"]
    for s in secs:
        header, body = _rows(s, grouping)
        out.append(f'<section id="{e(s.sheet)}">')
        out.append(f"<h1>{e(s.title)}</h1>")
        out.append(f'<p class="date">{e(s.subtitle)}</p>')
        out.append("<table>")
        out.append("<thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr></thead>")
        out.append("<tbody>")
        spans = iter([len(rows) for _, rows in s.groups])
        left = 0
        for what, content in body:
            if what == "group":
                out.append(f'<tr class="group"><th colspan="{len(header)}">{e(content)}</th></tr>')
                continue
            cells = [f'<td class="seq">{e(content[0])}</td>']
            rest = content[1:]
            if grouping == "column":
                if left == 0:
                    left = next(spans)
                    cells.append(f'<td class="grp" rowspan="{left}">{e(rest[0])}</td>')
                left -= 1
                rest = rest[1:]
            cells += [f"<td>{e(v)}</td>" for v in rest]
            out.append("<tr>" + "".join(cells) + "</tr>")
        out.append("</tbody></table></section>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def write_html(secs: list[Section], path: Path, grouping: str = "sections") -> None:
    text = render_html(secs, grouping)
    _atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def _atomic(path: Path, write) -> None:
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(str(tmp))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def export(policy: Policy, unit: str, on: dt.date, fmt: str, out: Path, kinds: list[str] | None = None,
           grouping: str | None = None) -> list[Section]:
    if fmt not in FORMATS:
        raise UsageError(f"未知的格式 {fmt}；可选：{'、'.join(FORMATS)}")
    grouping = grouping or ("column" if fmt == "csv" else "sections")
    if grouping not in GROUPINGS:
        raise UsageError(f"未知的分组方式 {grouping}；可选：sections（分节行）、column（领域列）")
    secs = sections(policy, unit, on, kinds)
    {"xlsx": write_xlsx, "csv": write_csv, "html": write_html}[fmt](secs, Path(out), grouping)
    return secs
