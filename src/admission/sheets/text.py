"""Text helpers for spreadsheets: matching keys (NFKC, no whitespace), cell references,
section rows ("一、党的建设（20项）"), Chinese numerals, splitting lists of names."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from ..language.names import key  # noqa: F401  the one matching form, shared with the loader

_PARENS = re.compile(r"\([^)]*\)")


def heading_key(text: str) -> str:
    """A column heading's matching form: `key`, without the marks of required columns."""
    k = key(text).strip("*＊:：")
    k = re.sub(r"\((必填|选填|可选)\)$", "", k)
    return k


def heading_key_loose(text: str) -> str:
    """`heading_key` with parenthesised parts removed: 乡镇(街道)配合职责 → 乡镇配合职责."""
    return _PARENS.sub("", heading_key(text))


def cell_text(value) -> str:
    """A cell's value as text: integers without '.0', dates as YYYY-MM-DD, text stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def column_letter(col: int) -> str:
    """1 → A, 27 → AA."""
    out = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def ref(sheet: str, row: int, col: int) -> str:
    """Excel's name of a cell: 配合清单!C17 (the sheet name quoted when Excel would quote it)."""
    name = sheet
    if re.search(r"[^\w]", sheet):
        name = "'" + sheet.replace("'", "''") + "'"
    return f"{name}!{column_letter(col)}{row}"


CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 21 → 二十一, 105 → 一百零五 (section numbering)."""
    if n < 10:
        return CN_DIGITS[n]
    if n < 20:
        return "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return CN_DIGITS[n // 10] + "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    head = CN_DIGITS[n // 100] + "百"
    if rest == 0:
        return head
    if rest < 10:
        return head + "零" + CN_DIGITS[rest]
    return head + (CN_DIGITS[rest // 10] + "十" + (CN_DIGITS[rest % 10] if rest % 10 else ""))


_NUM = "一二三四五六七八九十百零〇两"
SECTION_PREFIX = re.compile(
    rf"^(?:第[{_NUM}\d]+(?:部分|类|章|节)[、.:]?|[{_NUM}]+[、.．:]|\([{_NUM}\d]+\)[、.]?|[{_NUM}]+\s)")
_COUNT_SUFFIX = re.compile(r"\((?:共|计)?\d+(?:个|项|条)(?:事项)?\)$|(?:共|计)\d+(?:个|项|条)$")
NOTE_PREFIX = re.compile(r"^(?:注|备注|说明|附注|填表说明|注释)\s*\d*\s*[:：]")


def is_section_text(text: str) -> bool:
    """Looks like a section heading: 一、党的建设 / （一）民生服务 / 第一部分 …"""
    return bool(SECTION_PREFIX.match(key(text)))


def clean_group(text: str) -> str:
    """一、党的建设（20项） → 党的建设."""
    k = key(text)
    k = SECTION_PREFIX.sub("", k, count=1)
    k = _COUNT_SUFFIX.sub("", k)
    return k.strip("、.:：")


def is_note(text: str) -> bool:
    return bool(NOTE_PREFIX.match(unicodedata.normalize("NFKC", text).strip()))


_SPLIT = re.compile(r"[、，,；;/\n]+|\s{2,}")


def split_names(text: str) -> list[str]:
    """`区民政局、区住建局` → two names (顿号, commas, semicolons, slashes, new lines)."""
    return [p.strip() for p in _SPLIT.split(text) if p.strip()]


def parse_int(text: str) -> int | None:
    k = key(text)
    if re.fullmatch(r"\d{1,6}", k):
        return int(k)
    return None


def parse_date(text: str) -> dt.date | None:
    """2024-07-01, 2024/7/1, 2024.7.1, 2024年7月1日."""
    k = key(text)
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", k)
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
