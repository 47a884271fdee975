"""Read one YAML policy file into plain data, keeping the source span of every value.

Built on the libyaml event stream rather than PyYAML's composer so that nesting depth,
aliases, duplicate keys and size are checked while reading, iteratively, with no recursion:
hostile input fails fast with a located error instead of a crash.  Scalars are resolved by
YAML 1.2 core rules (only `true`/`false` are booleans, no octal or sexagesimal numbers) plus
ISO dates, so `on:` and `NO` stay text.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import yaml

from ..diagnostics import Diagnostic, Span
from ..language.base import SPAN_KEY

try:  # libyaml is in every PyYAML wheel; fall back to the pure parser if it is missing
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a hostile or broken file from exhausting the machine."""

    max_bytes: int = 32 * 1024 * 1024
    max_depth: int = 48
    max_nodes: int = 2_000_000


@dataclass
class MapMeta:
    span: Span
    node: dict
    keys: dict[str, tuple[Span, Span]] = field(default_factory=dict)


class SpannedList(list):
    """A list that remembers the span of each item (and of itself)."""

    __slots__ = ("span", "spans")


@dataclass
class ReadResult:
    data: object
    maps: dict[int, MapMeta]
    diagnostics: list[Diagnostic]
    #: ids declared in parts blanked out after a syntax error (section -> ids), so that other
    #: files' references to them are not reported as missing
    blanked: dict[str, set[str]] = field(default_factory=dict)


_INT = re.compile(r"^[-+]?[0-9]+$|^0o[0-7]+$|^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATEISH = re.compile(r"^\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?$")
_STD_TAGS = {
    None, "!", "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq", "tag:yaml.org,2002:timestamp",
}


def _resolve_plain(value: str):
    """Resolve an unquoted scalar the way YAML 1.2's core schema does, plus ISO dates."""
    if value in ("", "~", "null", "Null", "NULL"):
        return None
    if value in ("true", "True", "TRUE"):
        return True
    if value in ("false", "False", "FALSE"):
        return False
    first = value[0]
    if first.isdigit() or first in "+-.":
        if _DATE.match(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                return value  # "2024-02-30": left as text; the model reports a bad date
        if _INT.match(value):
            if len(value) > 1 and value.lstrip("+-")[0] == "0" and value.lstrip("+-").isdigit():
                return value  # leading zero: keep as text (codes such as 0101)
            try:
                return int(value, 0)
            except ValueError:  # beyond Python's digit limit: keep as text, the model reports it
                return value
        if _FLOAT.match(value):
            return float(value)
    return value


def _span(path: str, start, end) -> Span:
    line, col = start.line + 1, start.column + 1
    end_line, end_col = end.line + 1, max(end.column, 1)
    if (end_line, end_col) < (line, col):  # an empty value ends where it starts
        end_line, end_col = line, col
    return Span(path, line, col, end_line, end_col)


def _prescan(path: str, text: str) -> list[Diagnostic]:
    """Indentation mistakes that YAML reports confusingly: tabs and full-width spaces."""
    out = []
    for no, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if stripped[:1] == "\t":
            out.append(Diagnostic(
                "yaml-indent-tab", "缩进中有制表符 Tab，YAML 只能用半角空格缩进",
                Span(path, no, indent + 1, no, indent + 1),
                help="把行首的 Tab 换成空格（通常两个）", message_en="tab character in indentation"))
        elif stripped[:1] == "\u3000":
            out.append(Diagnostic(
                "yaml-indent-fullwidth", "缩进中有全角空格（　），YAML 只能用半角空格缩进",
                Span(path, no, indent + 1, no, indent + 1),
                help="关闭输入法的全角模式，把行首的全角空格换成半角空格",
                message_en="full-width space in indentation"))
    return out


def _syntax_hint(text: str, line: int) -> str | None:
    lines = text.splitlines()
    src = "\n".join(lines[max(line - 2, 0): line])
    if "：" in src:
        return "这一行有全角冒号“：”，键和值之间要用半角冒号加空格“: ”"
    if re.search(r"[“”‘’]", src):
        return "这一行有中文引号，YAML 的引号要用半角 \" 或 '"
    if "，" in src and "[" in src:
        return "方括号列表中的项要用半角逗号“,”分隔"
    return None


def _fullwidth_colon(text: str, line: int) -> tuple[int, int] | None:
    """Line and column of the full-width colon libyaml stumbled over: on its line or the one before."""
    lines = text.splitlines()
    for no in (line, line - 1):
        if 1 <= no <= len(lines) and "：" in lines[no - 1]:
            return no, lines[no - 1].index("：") + 1
    return None


_PROBLEMS_ZH = {
    "could not find expected ':'": "找不到键后面的冒号“:”",
    "did not find expected ',' or '}'": "花括号 {…} 中缺少半角逗号“,”或右花括号“}”",
    "did not find expected ',' or ']'": "方括号 […] 中缺少半角逗号“,”或右方括号“]”",
    "mapping values are not allowed here": "这里不能写“键: 值”（检查缩进，或值中的冒号要加引号）",
    "mapping values are not allowed in this context": "这里不能写“键: 值”（检查缩进，或值中的冒号要加引号）",
    "did not find expected key": "缩进不对齐，找不到下一个键",
    "did not find expected '-' indicator": "列表项缩进不对齐，找不到“- ”",
    "found unexpected end of stream": "文件意外结束（引号或括号没有闭合）",
    "found character that cannot start any token": "这里有不能开始一个值的字符（如 @ ` 或 Tab）",
    "found undefined tag handle": "未定义的标签前缀",
    "expected <block end>, but found '<block mapping start>'": "缩进不对齐",
    "found unknown escape character": "双引号文本中有未知的转义字符 \\",
}


def _problem_zh(problem: str) -> str:
    """libyaml's problem in Chinese where it is a common one (the English stays in message_en)."""
    for en, zh in _PROBLEMS_ZH.items():
        if problem.startswith(en):
            return f"{zh}（{problem}）"
    return problem


def read_yaml(path: str, raw: bytes, limits: Limits = Limits()) -> ReadResult:
    """Parse `raw` (the bytes of `path`) into data plus spans, or return located diagnostics."""
    whole = Span(path, 1, 1, 1, 1)
    if len(raw) > limits.max_bytes:
        return ReadResult(None, {}, [Diagnostic(
            "file-too-large", f"文件 {len(raw)} 字节，超过上限 {limits.max_bytes} 字节", whole,
            help="把文件按县拆分，或调高 --max-file-bytes", message_en="file exceeds the size limit")])
    if b"\x00" in raw[:65536] or _binaryish(raw[:4096]):
        return ReadResult(None, {}, [Diagnostic(
            "file-binary", "这不是文本文件（含二进制内容），策略文件必须是 UTF-8 文本的 YAML", whole,
            message_en="binary content")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        col = len(raw[line_start: exc.start].decode("utf-8", errors="replace")) + 1
        return ReadResult(None, {}, [Diagnostic(
            "file-not-utf8", f"第 {line} 行不是合法的 UTF-8 编码（字节 0x{raw[exc.start]:02x}）",
            Span(path, line, col, line, col),
            help="用 UTF-8 编码另存该文件（GBK/GB2312 编码的文件需要转换）", message_en="file is not UTF-8")])
    pre = _prescan(path, text)
    if pre:
        return ReadResult(None, {}, pre)
    first = _read_text(path, text, limits)
    if first.data is not None or len(first.diagnostics) != 1 or first.diagnostics[0].code != "yaml-syntax" \
            or len(raw) > _RECOVER_MAX_BYTES or first.diagnostics[0].span.line == 1 and "\n" not in text.strip():
        return first
    return _recover(path, text, limits, first)


#: recovery re-parses the file once per syntax error: bounded in rounds and in file size
_RECOVER_MAX_ROUNDS = 20
_RECOVER_MAX_BYTES = 1024 * 1024
_RECOVER_BUDGET_CHARS = 4 * 1024 * 1024  # text re-read in all, whatever the rounds
_TOP = re.compile(r"^[^\s#-]")
_DECLARED = re.compile(r"(?:^|[{,\s])(id|township|village)\s*[:：]\s*[\"']?([^\s,\"'{}\[\]]+)")


def _recover(path: str, text: str, limits: Limits, first: ReadResult) -> ReadResult:
    """After a syntax error, blank out the broken list item (or, failing that, the broken
    top-level section) and read again, so one run shows all of the file's problems.  Blanked
    lines stay as empty lines: every later span is unchanged."""
    lines = text.split("\n")
    diags = list(first.diagnostics)
    blanked: dict[str, set[str]] = {}
    tried: set[tuple[int, int]] = set()
    budget = _RECOVER_BUDGET_CHARS
    for _ in range(_RECOVER_MAX_ROUNDS):
        budget -= len(text)
        if budget < 0:
            return _partial(first, diags)
        bad = diags[-1].span.line - 1
        region = _broken_region(lines, bad, tried)
        if region is None:
            return _partial(first, diags)
        start, end, section = region
        tried.add((start, end))
        for i in range(start, end):
            for m in _DECLARED.finditer(lines[i]):
                if section is not None and (m.group(1) == "id" or section.endswith(m.group(1) + "_lists")):
                    blanked.setdefault(section, set()).add(m.group(2))
            lines[i] = ""
        again = _read_text(path, "\n".join(lines), limits)
        if again.data is not None:
            again.diagnostics[:0] = diags
            again.blanked = blanked
            return again
        if len(again.diagnostics) != 1 or again.diagnostics[0].code != "yaml-syntax":
            return first  # a hostile-input limit: the first error alone
        d = again.diagnostics[0]
        if (d.span.line, d.span.column) != (diags[-1].span.line, diags[-1].span.column):
            diags.append(d)
    return _partial(first, diags)


def _partial(first: ReadResult, diags: list[Diagnostic]) -> ReadResult:
    """Recovery gave up: every syntax error found so far, and no data."""
    return ReadResult(None, {}, diags) if len(diags) > 1 else first


def _broken_region(lines: list[str], bad: int, tried: set) -> tuple[int, int, str | None] | None:
    """Lines [start, end) of the top-level list item holding line `bad` (0-based), or of its
    whole top-level section when that item was tried already; None when nothing is left."""
    bad = min(max(bad, 0), len(lines) - 1)
    top = next((i for i in range(bad, -1, -1) if _TOP.match(lines[i])), None)
    if top is None:
        return None
    end = next((i for i in range(bad + 1, len(lines)) if _TOP.match(lines[i])), len(lines))
    key = lines[top].split(":", 1)[0].split("：", 1)[0].strip()
    section = key if key.isidentifier() else None
    items = [i for i in range(top + 1, end) if lines[i].lstrip().startswith("-")]
    if items and bad > top:
        indent = len(lines[items[0]]) - len(lines[items[0]].lstrip())
        heads = [i for i in items if len(lines[i]) - len(lines[i].lstrip()) == indent]
        mine = [i for i in heads if i <= bad]
        if mine:
            start = mine[-1]
            stop = next((i for i in heads if i > start), end)
            if (start, stop) not in tried and any(h not in range(start, stop) for h in heads):
                return start, stop, section
    if (top, end) in tried:
        return None
    return top, end, section


def _read_text(path: str, text: str, limits: Limits) -> ReadResult:
    whole = Span(path, 1, 1, 1, 1)
    try:
        return _build(path, text, limits)
    except _Abort as stop:
        return ReadResult(None, {}, [stop.diag])
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if mark is not None and _LIBYAML_DEPTH in (exc.problem or ""):
            return ReadResult(None, {}, [_too_deep_for_libyaml(path, text, mark, limits)])
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "语法错误"
        hint = _syntax_hint(text, line)
        colon = _fullwidth_colon(text, line) if hint and "全角冒号" in hint else None
        if colon is not None:  # libyaml notices on the next line: point at the colon itself
            line, col = colon
            said = "键和值之间用了全角冒号“：”"
        else:
            said = _problem_zh(problem)
        return ReadResult(None, {}, [Diagnostic(
            "yaml-syntax", f"YAML 语法错误：{said}", Span(path, line, col, line, col),
            help=hint, message_en=f"YAML syntax error: {problem}")])
    except yaml.YAMLError as exc:  # reader errors (control characters) carry a position, not a mark
        where = whole
        pos = getattr(exc, "position", None)
        if isinstance(pos, int) and pos >= 0:
            pos = len(text.encode("utf-8")[:pos].decode("utf-8", errors="ignore"))  # libyaml counts bytes
            line = text.count("\n", 0, pos) + 1
            col = pos - (text.rfind("\n", 0, pos) + 1) + 1
            where = Span(path, line, col, line, col)
        char = getattr(exc, "character", None)
        what = f"不允许的控制字符 {char!r}" if char is not None else str(exc)
        return ReadResult(None, {}, [Diagnostic(
            "yaml-syntax", f"YAML 读取错误：{what}", where, help="删除文件中的不可见控制字符",
            message_en="YAML reader error")])


_LIBYAML_DEPTH = "maximum nesting depth"  # libyaml >= 0.2.6 (PyYAML 6.0.2+ wheels) stops at 1000 levels


def _too_deep_for_libyaml(path: str, text: str, mark, limits: Limits) -> Diagnostic:
    """Place libyaml's own depth-limit error where the project's limit is crossed.

    libyaml's scanner looks ahead past every possible simple key, so on `[[[[…` it reaches its
    own limit before the parser has emitted the event at our depth.  Reading the text only up to
    libyaml's mark stays under its limit, so the event reader stops at our limit, at the
    right place, whatever libyaml version the wheel bundles.
    """
    lines = text.split("\n")
    cut = sum(len(line) + 1 for line in lines[: mark.line]) + mark.column
    try:
        _build(path, text[:cut], limits)
    except _Abort as stop:
        if stop.diag.code == "yaml-too-deep":
            return stop.diag
    except yaml.YAMLError:
        pass
    return Diagnostic(  # our limit is above libyaml's: report libyaml's at its own mark
        "yaml-too-deep", "嵌套层数超过 YAML 解析器（libyaml）的上限 1000",
        Span(path, mark.line + 1, mark.column + 1, mark.line + 1, mark.column + 1),
        message_en="nesting deeper than libyaml allows")


def _binaryish(head: bytes) -> bool:
    if not head:
        return False
    ctrl = sum(1 for b in head if b < 9 or 13 < b < 32)
    return ctrl * 10 > len(head)


class _Abort(Exception):
    """Stops reading a file with one located diagnostic."""

    def __init__(self, diag: Diagnostic):
        self.diag = diag


def _build(path: str, text: str, limits: Limits) -> ReadResult:
    maps: dict[int, MapMeta] = {}
    diags: list[Diagnostic] = []
    # stack items: [container, pending_key, key_span, start_mark]
    stack: list[list] = []
    root = None
    docs = 0
    nodes = 0

    def add(value, vspan: Span):
        nonlocal root
        if not stack:
            root = value
            return
        top = stack[-1]
        cont = top[0]
        if isinstance(cont, list):
            cont.append(value)
            cont.spans.append(vspan)
            return
        key = top[1]
        if key is _NOKEY:
            if not isinstance(value, str):
                if isinstance(value, (int, float, bool, dt.date)):
                    value = str(value).lower() if isinstance(value, bool) else str(value)
                else:
                    raise _Abort(Diagnostic("yaml-key-type", "键必须是文本，不能是映射或列表", vspan,
                                            message_en="keys must be scalars"))
            top[1], top[2] = value, vspan
            return
        meta = maps[id(cont)]
        if key in meta.keys:
            first = meta.keys[key][0]
            diags.append(Diagnostic(
                "yaml-duplicate-key", f"同一映射中键 '{key}' 重复出现（第一次在第 {first.line} 行），后写的会覆盖先写的",
                top[2], related=(first,), help="删去重复的键，或把它们合并",
                message_en=f"duplicate key '{key}'"))
        else:
            cont[key] = value
            meta.keys[key] = (top[2], vspan)
        top[1] = _NOKEY

    for event in yaml.parse(text, Loader=_Loader):
        nodes += 1
        if nodes > limits.max_nodes:
            raise _Abort(Diagnostic("yaml-too-many-nodes", f"节点数超过上限 {limits.max_nodes}",
                                    _span(path, event.start_mark, event.end_mark), message_en="too many nodes"))
        kind = type(event)
        if kind is yaml.ScalarEvent:
            _check_tag(path, event)
            plain = event.implicit[0] and not event.style and event.tag in (None, "!")
            value = _resolve_plain(event.value) if plain else event.value
            add(value, _span(path, event.start_mark, event.end_mark))
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            _check_tag(path, event)
            if len(stack) >= limits.max_depth:
                raise _Abort(Diagnostic(
                    "yaml-too-deep", f"嵌套层数超过上限 {limits.max_depth}",
                    _span(path, event.start_mark, event.end_mark), message_en="nesting too deep"))
            if kind is yaml.MappingStartEvent:
                cont: object = {}
            else:
                cont = SpannedList()
                cont.spans = []
            stack.append([cont, _NOKEY, None, event.start_mark])
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            cont, _, _, start = stack.pop()
            vspan = _span(path, start, event.end_mark)
            if isinstance(cont, dict):
                cont[SPAN_KEY] = vspan
                maps[id(cont)].span = vspan
            else:
                cont.span = vspan
            add(cont, vspan)
        elif kind is yaml.AliasEvent:
            raise _Abort(Diagnostic(
                "yaml-alias", f"不支持 YAML 锚点与别名（*{event.anchor}）",
                _span(path, event.start_mark, event.end_mark),
                help="重复的内容请改用清单模板（township_templates / village_templates）",
                message_en="YAML aliases are not supported"))
        elif kind is yaml.DocumentStartEvent:
            docs += 1
            if docs > 1:
                raise _Abort(Diagnostic(
                    "yaml-multiple-documents", "一个文件只能有一个 YAML 文档（不要用 --- 分隔多个文档）",
                    _span(path, event.start_mark, event.end_mark), message_en="more than one document"))
        # register the map meta as soon as a mapping starts so keys can be recorded
        if kind is yaml.MappingStartEvent:
            top = stack[-1][0]
            maps[id(top)] = MapMeta(_span(path, event.start_mark, event.end_mark), top)
    return ReadResult(root, maps, diags)


_NOKEY = object()


def _check_tag(path: str, event) -> None:
    tag = getattr(event, "tag", None)
    if tag not in _STD_TAGS:
        raise _Abort(Diagnostic(
            "yaml-tag", f"不允许的 YAML 标签 {tag}：策略文件只用普通的映射、列表和文本",
            _span(path, event.start_mark, event.end_mark), message_en=f"tag {tag} is not allowed"))


def looks_like_date(text: str) -> bool:
    """True for dates written the Chinese way or with slashes (2024年7月1日, 2024/7/1)."""
    return bool(_DATEISH.match(text.strip()))
