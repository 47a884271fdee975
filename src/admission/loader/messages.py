"""Turn pydantic validation errors into located Chinese diagnostics with suggestions."""

from __future__ import annotations

import calendar
import difflib
import re
import typing
import unicodedata
from enum import Enum

from pydantic import BaseModel, ValidationError

from ..diagnostics import Diagnostic, Span
from ..language.enums import Labelled
from .yamlread import MapMeta, SpannedList, looks_like_date

_TYPE_WORDS = {
    "string_type": "文本", "int_type": "整数", "int_parsing": "整数", "bool_type": "true 或 false",
    "bool_parsing": "true 或 false", "list_type": "列表（每项以“- ”开头）", "dict_type": "映射（键: 值）",
    "model_type": "映射（键: 值）", "model_attributes_type": "映射（键: 值）", "float_type": "数字",
}


def _describe_value(value) -> str:
    if isinstance(value, dict):
        return "映射"
    if isinstance(value, list):
        return "列表"
    if value is None:
        return "空值"
    if isinstance(value, bool):
        return f"布尔值 {str(value).lower()}"
    text = str(value)
    if len(text) > 60:
        text = text[:57] + "…"
    return f"'{text}'"


def _field_model(model: type, loc: tuple) -> type | None:
    """The model class that owns the last key of `loc` (ints and union tags are skipped)."""
    current: typing.Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        current = _unwrap(current)
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            continue
        current = field.annotation
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(tp):
    for _ in range(5):
        origin = typing.get_origin(tp)
        if origin is None:
            return tp
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if origin is typing.Annotated:
            tp = args[0]
        elif args:
            tp = args[-1] if origin in (dict,) else args[0]
        else:
            return tp
    return tp


def _enum_of(model: type | None, key) -> type[Enum] | None:
    if model is None or not isinstance(key, str) or key not in model.model_fields:
        return None
    tp = _unwrap(model.model_fields[key].annotation)
    return tp if isinstance(tp, type) and issubclass(tp, Enum) else None


def suggest_key(model: type | None, key: str) -> str | None:
    """Nearest valid key: by spelling, or by the Chinese title an author may have typed."""
    if model is None:
        return None
    fields = {info.alias or name: info for name, info in model.model_fields.items()}
    norm = unicodedata.normalize("NFKC", key).strip()
    for name, info in fields.items():
        if info.title and (norm == info.title or norm in info.title.split("/")):
            return name
    if len(norm) >= 2 and not norm.isascii():
        for name, info in fields.items():
            if info.title and norm in info.title:
                return name
    if norm in fields:
        return norm
    close = difflib.get_close_matches(norm.lower(), list(fields), n=1, cutoff=0.6)
    return close[0] if close else None


_DATE_PARTS = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")


def date_fix(text: str) -> str | None:
    """The exact fix for a date written another way (`2026/1/5` → `改为 2026-01-05`), or why
    it cannot be one (`2026-02-30` → the month has only 28 days); None when it is no date."""
    norm = unicodedata.normalize("NFKC", text)
    m = _DATE_PARTS.match(norm)
    if not m:
        return None
    year, month, day = (int(g) for g in m.groups())
    if not 1 <= month <= 12:
        return f"该日期不存在：一年只有 1–12 月，没有 {month} 月"
    last = calendar.monthrange(year, month)[1] if year >= 1 else 31
    if not 1 <= day <= last:
        return f"该日期不存在：{year}年{month}月只有{last}天"
    fixed = f"{year:04d}-{month:02d}-{day:02d}"
    if fixed == text.strip():
        return None
    why = "日期中有全角数字或符号，要用半角" if norm != text else "日期写成 YYYY-MM-DD"
    return f"改为 {fixed}（{why}）"


#: the keys that name a list item in a path, first present wins
_NAME_KEYS = ("id", "township", "village", "matter")


def record_path(data, loc: tuple) -> str:
    """A pydantic `loc` as an author reads it: list items by their record's id
    (`delegations[YA-FQ-002].since`), or by their 1-based place when they have none
    (`tags[第2项]`); union member tags pydantic adds are left out."""
    out = ""
    node = data
    for i, part in enumerate(loc):
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            name = None
            if isinstance(item, dict):
                name = next((item[k] for k in _NAME_KEYS
                             if isinstance(item.get(k), (str, int)) and not isinstance(item.get(k), bool)), None)
            elif isinstance(item, str) and item.strip() and len(item) <= 60:
                name = item.strip()  # an entry written as a bare id
            out += f"[{str(name).strip()}]" if name is not None and str(name).strip() else f"[第{part + 1}项]"
            node = item
        elif isinstance(node, dict) and (part in node or i == len(loc) - 1):
            out += ("." if out else "") + str(part)
            node = node.get(part)
        elif not isinstance(node, (dict, list)) and i == len(loc) - 1 and not out:
            out = str(part)
        # other parts (union member tags, validator names) are pydantic's, not the author's
    return out or ".".join(str(p) for p in loc)


class Locator:
    """Finds the span of a value, key or mapping in read data from a pydantic `loc`."""

    def __init__(self, data, maps: dict[int, MapMeta], file_span: Span):
        self.data = data
        self.maps = maps
        self.file_span = file_span

    def find(self, loc: tuple, want: str = "value") -> Span:
        node = self.data
        span = self.file_span
        parent_span = span
        for i, part in enumerate(loc):
            last = i == len(loc) - 1
            if isinstance(node, dict) and isinstance(part, str):
                meta = self.maps.get(id(node))
                if meta is None or part not in meta.keys:
                    return meta.span if meta else span
                kspan, vspan = meta.keys[part]
                if last and want == "key":
                    return kspan
                parent_span, span, node = span, vspan, node.get(part)
            elif isinstance(node, SpannedList) and isinstance(part, int):
                if part >= len(node):
                    return node.span
                parent_span, span, node = span, node.spans[part], node[part]
            # other parts (union member tags, validator names) do not move
        if want == "parent":
            return parent_span
        return span


_GLUED = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:：|:(?! ))\s*(.*)$", re.S)


def _glued(key) -> tuple[str, str] | None:
    """`name：山东省` (or `name:山东省`) read as one key in a flow mapping {…}: (field, value)."""
    m = _GLUED.match(unicodedata.normalize("NFKC", key)) if isinstance(key, str) else None
    if m is None or ("：" not in key and ":" not in key):
        return None
    return m.group(1), m.group(2)


def translate(exc: ValidationError, root_model: type, locator: Locator) -> list[Diagnostic]:
    errors = exc.errors(include_url=False)
    glued = set()  # (parent loc, field) of keys written `field：value`: their field is not missing
    for err in errors:
        if err["type"] == "extra_forbidden" and err["loc"] and (g := _glued(err["loc"][-1])):
            model = _field_model(root_model, tuple(err["loc"]))
            if model is not None and g[0] in {i.alias or n for n, i in model.model_fields.items()}:
                glued.add((tuple(err["loc"][:-1]), g[0]))
    out = []
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] == "missing" and loc and (loc[:-1], loc[-1]) in glued:
            continue
        if err["type"] == "extra_forbidden" and loc and (loc[:-1], (_glued(loc[-1]) or ("",))[0]) in glued:
            field_, value = _glued(loc[-1])
            colon = "全角冒号“：”" if "：" in loc[-1] else "冒号后没有空格"
            out.append(Diagnostic(
                "unknown-key", f"键和值之间{'用了' if '：' in loc[-1] else ''}{colon}：'{loc[-1]}' 被读成了一个键",
                locator.find(loc, "key"), help=f"写成 '{field_}: {value}'（半角冒号加空格）",
                message_en=f"unknown key '{loc[-1]}' (a key and value joined by a full-width colon)",
                subject=record_path(locator.data, loc)))
            continue
        out.append(_one(err, root_model, locator))
    return out


def _one(err: dict, root_model: type, locator: Locator) -> Diagnostic:
    loc = tuple(err["loc"])
    etype = err["type"]
    value = err.get("input")
    key = loc[-1] if loc else None
    # an item of a list field (levels: [乡镇]) is described by the list's field
    field_loc = loc
    while field_loc and isinstance(field_loc[-1], int):
        field_loc = field_loc[:-1]
    if etype not in ("extra_forbidden", "missing"):
        key = field_loc[-1] if field_loc else key
    model = _field_model(root_model, field_loc) if field_loc else root_model
    title = ""
    if model is not None and isinstance(key, str) and key in model.model_fields:
        t = model.model_fields[key].title
        title = f"（{t}）" if t else ""
    where = record_path(locator.data, loc)

    if etype == "extra_forbidden":
        span = locator.find(loc, "key")
        guess = suggest_key(model, str(key))
        help_ = f"是否想写 '{guess}'？" if guess else None
        if guess is None and model is not None:
            help_ = "可用字段：" + "、".join(i.alias or n for n, i in model.model_fields.items())
        if any("\u4e00" <= ch <= "\u9fff" for ch in str(key)):
            help_ = (help_ or "") + "（字段名用英文，中文写在值里）"
        return Diagnostic("unknown-key", f"未知字段 '{key}'", span, help=help_,
                          message_en=f"unknown key '{key}'", subject=where)
    if etype == "missing":
        span = locator.find(loc[:-1])
        return Diagnostic("missing-field", f"缺少必填字段 '{key}'{title}", span,
                          message_en=f"missing field '{key}'", subject=where)
    span = locator.find(loc)
    if etype.startswith("date") or etype.startswith("datetime"):
        hint = "日期写成 YYYY-MM-DD，如 2024-07-01"
        fix = date_fix(value) if isinstance(value, str) else None
        if fix is not None:
            hint = fix
        elif isinstance(value, str) and looks_like_date(value):
            hint = f"把 '{value}' 改写成 YYYY-MM-DD 格式，如 2024-07-01"
        elif isinstance(value, str) and value != unicodedata.normalize("NFKC", value):
            hint = "日期中有全角数字或符号，请改成半角"
        return Diagnostic("bad-date", f"{where}{title} 不是有效日期：{_describe_value(value)}", span,
                          help=hint, message_en="invalid date", subject=where)
    if etype == "enum":
        enum = _enum_of(model, key)
        help_ = None
        allowed = err.get("ctx", {}).get("expected", "")
        if enum is not None and issubclass(enum, Labelled):
            allowed = enum.describe()
            member = enum.by_label(str(value)) if value is not None else None
            if member is not None:
                help_ = f"写成代码 '{member.value}'（{member.label}）"
        return Diagnostic("bad-value", f"{where}{title} 的取值 {_describe_value(value)} 无效，可选：{allowed}",
                          span, help=help_, message_en="invalid value", subject=where)
    if etype in _TYPE_WORDS and value is None:
        return Diagnostic("empty-value", f"{where}{title} 不能为空", span, help="在冒号后写上值，或删去这一行",
                          message_en="value must not be empty", subject=where)
    if etype in _TYPE_WORDS:
        help_ = None
        if isinstance(value, str) and ("：" in value or (":" in value and ": " not in value)):
            help_ = "这里像是把“键：值”写成了一段文本：键和值之间要用半角冒号加空格“: ”"
        return Diagnostic("wrong-type", f"{where}{title} 应为{_TYPE_WORDS[etype]}，实际是{_describe_value(value)}",
                          span, help=help_, message_en=f"wrong type ({etype})", subject=where)
    if etype == "string_pattern_mismatch":
        help_ = "标识只能包含字母、数字、汉字和 _ . -"
        if isinstance(value, str) and any(c in value for c in "，、；"):
            help_ = "多个标识要写成列表（[a, b] 或每行“- a”），不要用中文逗号或顿号连接"
        elif isinstance(value, str) and " " in value.strip():
            help_ = "标识中不能有空格"
        return Diagnostic("bad-id", f"{where}{title} 不是有效标识：{_describe_value(value)}", span,
                          help=help_, message_en="invalid id", subject=where)
    if etype in ("string_too_short", "too_short"):
        return Diagnostic("empty-value", f"{where}{title} 不能为空", span,
                          message_en="value must not be empty", subject=where)
    if etype == "value_error":
        msg = str(err.get("ctx", {}).get("error", err["msg"]))
        return Diagnostic("invalid-record", msg, locator.find(loc) if loc else locator.file_span,
                          message_en="invalid record", subject=where or None)
    if etype in ("string_too_long", "too_long"):
        limit = err.get("ctx", {}).get("max_length")
        return Diagnostic("invalid-value", f"{where}{title} 过长（最多 {limit} 个字符）：{_describe_value(value)}",
                          span, message_en=err["msg"], subject=where)
    if etype.startswith(("greater_than", "less_than")):
        ctx = err.get("ctx", {})
        bound = next(iter(ctx.values()), "")
        word = {"greater_than_equal": "不小于", "greater_than": "大于", "less_than_equal": "不大于",
                "less_than": "小于"}.get(etype, "")
        return Diagnostic("invalid-value", f"{where}{title} 应{word} {bound}：{_describe_value(value)}",
                          span, message_en=err["msg"], subject=where)
    return Diagnostic("invalid-value", f"{where}{title} 取值不符合要求（{_describe_value(value)}）：{err['msg']}",
                      span, message_en=err["msg"], subject=where)
