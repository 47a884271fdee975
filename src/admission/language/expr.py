"""Guard expressions of the admission workflow: a tiny typed condition language.

守卫条件（guard）由政策作者在 YAML 里写成一小段条件字符串，加载时做类型检查（出错时报告
文件:行:列），绝不 ``eval``，再编译成 durable-rules 的条件。

Grammar 语法
-------------

::

    condition := or_expr
    or_expr   := and_expr ("or" and_expr)*                     # 或
    and_expr  := cmp_expr ("and" cmp_expr)*                    # 且
    cmp_expr  := unary [ cmp_op unary                          # 比较（不能连写 a < b < c）
                       | "in" list | "not" "in" list ]
    unary     := "not" unary | primary                         # 非
    primary   := INT | STRING | "true" | "false" | DATE | FACT | "(" or_expr ")"
    list      := "[" literal ("," literal)* [","] "]"           # 只能写字面量，类型相同，不能为空
    literal   := INT | STRING | "true" | "false" | DATE
    cmp_op    := "==" | "!=" | "<" | "<=" | ">" | ">="
    INT       := ["-"] digit+                                   # 64 位有符号整数
    STRING    := '"' 任意字符（不含 " 和换行） '"' | "'" 任意字符（不含 ' 和换行） "'"   # 没有转义
    DATE      := "date" "(" STRING ")"                           # 如 date("2025-01-01")
    FACT      := [a-z_][a-z0-9_]*                                # 事实名（不能是关键字）

Keywords 关键字：``and or not in true false date``（都小写）。

Precedence 优先级（从高到低）：``not`` > 比较 (``== != < <= > >= in``) > ``and`` > ``or``。
注意 ``not`` 比比较结合得更紧：``not x == 1`` 是 ``(not x) == 1``；要否定比较请写
``not (x == 1)`` 或 ``x != 1``。

Types 类型：``bool``（布尔值）、``int``（整数）、``str``（文本）、``date``（日期）。

* ``==`` / ``!=``：两边类型相同（任何类型，包括两个布尔条件）；
* ``< <= > >=``：只用于整数和日期；
* ``and`` / ``or`` / ``not``：只用于布尔值；
* ``x in [...]`` / ``x not in [...]``：列表元素与 x 类型相同；
* 整个条件的结果必须是布尔值。

Authors typing with a Chinese IME get a targeted error for full-width characters
（全角括号、引号、等号、大于小于号、叹号、逗号……），telling them which ASCII character to
type instead. Source is at most 2000 characters and at most 32 levels of nesting
(parentheses and ``not``); violations are clean `ExprError`s, never `RecursionError`.

Compilation to durable-rules 2.0.28 编译
-----------------------------------------

`to_durable` returns the condition that goes under the alias, e.g. ``{'m': to_durable(node)}``:

* equality ``{field: value}``, ``$neq``, ``$lt $lte $gt $gte``, ``$and``, ``$or``; durable has no
  ``$not`` and no ``$ne``, so negation is pushed down (De Morgan, negated comparisons; ``not b`` for
  a bool fact is ``{b: False}``, a bare ``b`` is ``{b: True}``);
* ``x in [...]`` is an ``$or`` of equalities, ``x not in [...]`` an ``$and`` of ``$neq``;
* a comparison of two facts uses durable's same-message reference ``{'$gt': {'a': {'$m': 'b'}}}``
  (the alias form ``{'m': 'b'}`` does NOT work inside one alias: it always matches);
* date literals become ``date.toordinal()`` ints, matching `encode_value`;
* constants are folded; a condition that is constant true compiles to ``{'_always': 1}`` and
  constant false to ``{'_always': 0}``. **Callers must post a field ``_always: 1`` in every
  message** (`encode_message` does), so both forms are runnable;
* durable-rules limits: the condition of one alias may contain at most ``DURABLE_GROUP_LIMIT`` (15)
  ``$and``/``$or`` groups (each takes 2 of the 32 slots of rete.c's expression sequence; 16 fail
  with error 113 when the ruleset is registered; durable does not flatten nested ``$and``s).
  `to_durable` allows ``MAX_DURABLE_GROUPS`` = 14 after flattening, leaving one group for a caller
  that wraps the result, e.g. ``{'$and': [{'_transition': '3'}, cond]}``. We also cap a condition
  at ``MAX_DURABLE_LEAVES`` (128) comparisons: rete.c keeps the children of an alpha node in a
  512-slot hash set and ``create_ruleset`` loops forever once it is full (a single ``$or`` of 550
  distinct equalities hangs). That set is shared by all rules of a ruleset, so a ruleset should
  also stay well below ~500 distinct first comparisons in total. Violations raise `ExprError`
  (`check_condition` compiles once, so they show up at load time).

Posting to durable-rules (for callers):

* values must be typed exactly as declared (`encode_value` / `encode_message`): durable compares
  mixed types as strings (``'50' > 100`` is true, ``True == 1``);
* a field missing from the message never matches anything, not even ``$neq``: post every fact;
* an asserted *fact* that satisfies several ``$or`` branches fires the rule once per branch; a
  posted *event* is consumed once, by one rule only, so to evaluate many guards at once assert a
  fact;
* 2.0.28 segfaults in ``delete_state`` while no action has ever run in the ruleset (first message
  not handled, then eviction): give every ruleset a rule on ``{'_always': 1}`` so every message
  is handled.

API: `parse` → `typecheck` (or both via `check_condition`) → `to_durable` / `evaluate`
(pure Python, the reference semantics); `fact_names`, `unparse`, `encode_value`, `encode_message`.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Union

__all__ = [
    "ExprError", "FactSpec", "Node", "Lit", "Fact", "Not", "BoolOp", "Compare", "In",
    "parse", "typecheck", "check_condition", "evaluate", "to_durable", "fact_names",
    "encode_value", "encode_message", "unparse",
    "MAX_SOURCE_LENGTH", "MAX_DEPTH", "MAX_DURABLE_GROUPS", "DURABLE_GROUP_LIMIT", "MAX_DURABLE_LEAVES", "ALWAYS_FIELD",
    "RESERVED_NAMES", "TYPE_NAMES",
]

MAX_SOURCE_LENGTH = 2000
MAX_DEPTH = 32
DURABLE_GROUP_LIMIT = 15  # what durable-rules 2.0.28 accepts per alias condition
MAX_DURABLE_GROUPS = DURABLE_GROUP_LIMIT - 1  # one left for a caller's wrapping $and
MAX_DURABLE_LEAVES = 128
ALWAYS_FIELD = "_always"
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
#: names durable-rules (or this module) uses itself; a fact may not be called like this
RESERVED_NAMES = frozenset({"sid", "id", "label", "chart", ALWAYS_FIELD})
TYPE_NAMES = {"bool": "布尔值", "int": "整数", "str": "文本", "date": "日期"}
KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "date"})
_FACT_RE = re.compile(r"[a-z_][a-z0-9_]*\Z")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")

FactType = Literal["bool", "int", "str", "date"]


class ExprError(Exception):
    """A located error in a guard expression: Chinese message, 0-based char offset and length."""

    def __init__(self, message: str, offset: int = 0, length: int = 1):
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.length = length

    def __str__(self) -> str:
        return f"{self.message} (offset {self.offset})"


@dataclass(frozen=True, slots=True)
class FactSpec:
    """A fact guard expressions may read: its type and a Chinese description."""

    type: FactType
    description: str = ""

    def __post_init__(self):
        if self.type not in TYPE_NAMES:
            raise ValueError(f"unknown fact type {self.type!r}; expected one of {sorted(TYPE_NAMES)}")


# --------------------------------------------------------------------------- AST


@dataclass(frozen=True, slots=True)
class Lit:
    value: bool | int | str | _dt.date
    type: FactType
    offset: int
    length: int


@dataclass(frozen=True, slots=True)
class Fact:
    name: str
    offset: int
    length: int


@dataclass(frozen=True, slots=True)
class Not:
    operand: "Node"
    offset: int
    length: int


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: Literal["and", "or"]
    operands: tuple["Node", ...]
    offset: int
    length: int


@dataclass(frozen=True, slots=True)
class Compare:
    op: str
    left: "Node"
    right: "Node"
    offset: int
    length: int
    op_offset: int


@dataclass(frozen=True, slots=True)
class In:
    operand: "Node"
    items: tuple[Lit, ...]
    negated: bool
    offset: int
    length: int
    op_offset: int


Node = Union[Lit, Fact, Not, BoolOp, Compare, In]

# --------------------------------------------------------------------------- lexer


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # INT STR NAME KW OP ( ) [ ] , EOF
    text: str
    offset: int
    value: object = None


# full-width / Chinese punctuation -> what to type instead
_LOOKALIKE = {
    "（": "(", "）": ")", "【": "[", "】": "]", "［": "[", "］": "]",
    "“": '"', "”": '"', "„": '"', "「": '"', "」": '"', "『": '"', "』": '"', "＂": '"',
    "‘": "'", "’": "'", "＇": "'",
    "＝": "==", "＜": "<", "＞": ">", "《": "<", "》": ">", "〈": "<", "〉": ">",
    "！": "!= 或 not", "≠": "!=", "≤": "<=", "≥": ">=", "≦": "<=", "≧": ">=",
    "，": ",", "、": ",", "；": "and", "\u3000": "半角空格",
    "＆": "and", "｜": "or", "－": "-",
}
_LOOKALIKE_PAIRS = {"＝＝": "==", "！＝": "!=", "＜＝": "<=", "＞＝": ">=", "＞=": ">=", "＜=": "<=",
                    "!＝": "!=", "=＝": "==", "＝=": "==", "<＝": "<=", ">＝": ">=", "！=": "!="}


def _lookalike(ch: str) -> str | None:
    if ch in _LOOKALIKE:
        return _LOOKALIKE[ch]
    if "\uff01" <= ch <= "\uff5e":  # full-width ASCII block
        return chr(ord(ch) - 0xFEE0)
    return None


def _fullwidth_error(source: str, i: int) -> ExprError:
    ch = source[i]
    pair = source[i:i + 2]
    if pair in _LOOKALIKE_PAIRS:
        want, length = _LOOKALIKE_PAIRS[pair], 2
        shown = pair
    else:
        want, length, shown = _lookalike(ch), 1, ch
    if ch == "\u3000":
        return ExprError("这里是全角空格，请改用半角空格（full-width space: use an ASCII space）", i, 1)
    return ExprError(
        f"这里是全角或中文符号 “{shown}”，请改用半角（英文输入法下的）{want}"
        f"（full-width character {shown!r}: type {want!r} instead）",
        i, length)


class _Lexer:
    def __init__(self, source: str):
        self.s = source
        self.i = 0

    def tokens(self) -> list[_Tok]:
        out: list[_Tok] = []
        while True:
            tok = self._next()
            out.append(tok)
            if tok.kind == "EOF":
                return out

    def _next(self) -> _Tok:
        s, n = self.s, len(self.s)
        while self.i < n and s[self.i] in " \t\r\n":
            self.i += 1
        i = self.i
        if i >= n:
            return _Tok("EOF", "", n)
        c = s[i]
        if c.isascii() and c.isdigit() or (c == "-" and i + 1 < n and s[i + 1].isascii() and s[i + 1].isdigit()):
            return self._number(i)
        if c in "\"'":
            return self._string(i, c)
        if c == "_" or c.isalpha() or (c.isdigit() and not c.isascii()):
            return self._word(i)
        two = s[i:i + 2]
        if two in _LOOKALIKE_PAIRS:
            raise _fullwidth_error(s, i)
        if two in ("==", "!=", "<=", ">="):
            self.i += 2
            return _Tok("OP", two, i)
        if two == "<>":
            raise ExprError("“<>” 不是运算符，不等请写 !=（use != for “not equal”）", i, 2)
        if two in ("&&", "||"):
            word = "and" if two == "&&" else "or"
            raise ExprError(f"“{two}” 不是运算符，请写 {word}（use {word!r}）", i, 2)
        if c in "<>":
            self.i += 1
            return _Tok("OP", c, i)
        if c == "=":
            raise ExprError("相等比较请写 ==，单个 = 不是运算符（use == to compare）", i, 1)
        if c == "!":
            raise ExprError("单独的 ! 不是运算符：否定请写 not，不等请写 !=（use 'not' or '!='）", i, 1)
        if c in "&|":
            word = "and" if c == "&" else "or"
            raise ExprError(f"“{c}” 不是运算符，请写 {word}（use {word!r}）", i, 1)
        if c in "()[],":
            self.i += 1
            return _Tok(c, c, i)
        if c == "-":
            raise ExprError("不支持减号或算术运算；负数请把 - 紧挨数字写，如 -5（no arithmetic）", i, 1)
        if _lookalike(c) is not None or c.isspace():
            if _lookalike(c) is None:
                raise ExprError(f"这里有特殊空白字符 {c!r}，请改用普通空格（unusual whitespace）", i, 1)
            raise _fullwidth_error(s, i)
        raise ExprError(f"无法识别的字符 “{c}”（unexpected character {c!r}）", i, 1)

    def _number(self, i: int) -> _Tok:
        s, n = self.s, len(self.s)
        j = i + 1
        while j < n and s[j].isascii() and s[j].isdigit():
            j += 1
        if j < n and (s[j] == "_" or s[j].isalnum()):
            k = j
            while k < n and (s[k] == "_" or s[k].isalnum()):
                k += 1
            if "\uff10" <= s[j] <= "\uff19":
                raise _fullwidth_error(s, j)
            raise ExprError(f"“{s[i:k]}” 既不是整数也不是事实名：事实名不能以数字开头"
                            f"（names cannot start with a digit）", i, k - i)
        if j < n and s[j] == ".":
            k = j + 1
            while k < n and s[k].isascii() and s[k].isdigit():
                k += 1
            raise ExprError("只支持整数，不支持小数（only integers are supported）", i, k - i)
        text = s[i:j]
        value = int(text)
        if not INT_MIN <= value <= INT_MAX:
            raise ExprError(f"整数 {text} 超出范围（必须在 -2^63 到 2^63-1 之间）（integer out of 64-bit range）",
                            i, j - i)
        self.i = j
        return _Tok("INT", text, i, value)

    def _string(self, i: int, quote: str) -> _Tok:
        s = self.s
        j = i + 1
        while j < len(s) and s[j] != quote and s[j] != "\n":
            j += 1
        if j >= len(s) or s[j] == "\n":
            end = j
            body = s[i + 1:end]
            hint = ""
            if any(q in body for q in "“”‘’"):
                hint = f"；注意结尾的引号也要用半角 {quote}，不要用中文引号"
            raise ExprError(f"字符串没有结束，缺少结尾的 {quote}{hint}（unterminated string）", i, end - i)
        self.i = j + 1
        return _Tok("STR", s[i:j + 1], i, s[i + 1:j])

    def _word(self, i: int) -> _Tok:
        s, n = self.s, len(self.s)
        j = i
        while j < n and (s[j] == "_" or s[j].isalnum()):
            if "\uff01" <= s[j] <= "\uff5e":
                raise _fullwidth_error(s, j)
            j += 1
        word = s[i:j]
        self.i = j
        if word in KEYWORDS:
            return _Tok("KW", word, i)
        if _FACT_RE.match(word):
            return _Tok("NAME", word, i)
        low = word.lower()
        if low in KEYWORDS:
            raise ExprError(f"关键字要小写：请写 {low}，不要写 {word}（keywords are lower case: {low!r}）", i, j - i)
        if word.isascii():
            raise ExprError(f"事实名只能由小写字母、数字和下划线组成，请写 {low}（fact names are lower case: {low!r}）",
                            i, j - i)
        raise ExprError(f"“{word}” 不是合法的事实名：事实名只能用英文小写字母、数字和下划线，不能用中文"
                        f"（fact names are ASCII [a-z_][a-z0-9_]*）", i, j - i)


# --------------------------------------------------------------------------- parser


def _end(node: Node) -> int:
    return node.offset + node.length


class _Parser:
    def __init__(self, source: str):
        self.source = source
        self.toks = _Lexer(source).tokens()
        self.pos = 0
        self.depth = 0

    # token helpers
    def peek(self, k: int = 0) -> _Tok:
        return self.toks[min(self.pos + k, len(self.toks) - 1)]

    def advance(self) -> _Tok:
        tok = self.toks[self.pos]
        if tok.kind != "EOF":
            self.pos += 1
        return tok

    def is_kw(self, word: str, k: int = 0) -> bool:
        t = self.peek(k)
        return t.kind == "KW" and t.text == word

    def enter(self, tok: _Tok) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"嵌套太深：括号和 not 最多嵌套 {MAX_DEPTH} 层（nesting deeper than {MAX_DEPTH}）",
                            tok.offset, len(tok.text) or 1)

    # grammar
    def parse(self) -> Node:
        if self.peek().kind == "EOF":
            raise ExprError("条件是空的（empty condition）", 0, len(self.source))
        node = self.or_expr()
        tok = self.peek()
        if tok.kind != "EOF":
            if tok.kind == ")":
                raise ExprError("多余的右括号 “)”，前面没有与之配对的 “(”（unmatched ')'）", tok.offset, 1)
            raise ExprError(f"条件在这里应该结束了，多余的内容 “{tok.text}”；多个条件请用 and / or 连接"
                            f"（unexpected {tok.text!r} after a complete condition）", tok.offset, len(tok.text) or 1)
        return node

    def _bool_chain(self, op: str, sub) -> Node:
        first = sub()
        items = [first]
        while self.is_kw(op):
            self.advance()
            items.append(sub())
        if len(items) == 1:
            return first
        return BoolOp(op, tuple(items), first.offset, _end(items[-1]) - first.offset)  # type: ignore[arg-type]

    def or_expr(self) -> Node:
        return self._bool_chain("or", self.and_expr)

    def and_expr(self) -> Node:
        return self._bool_chain("and", self.cmp_expr)

    def cmp_expr(self) -> Node:
        left = self.unary()
        tok = self.peek()
        if tok.kind == "OP":
            self.advance()
            right = self.unary()
            node: Node = Compare(tok.text, left, right, left.offset, _end(right) - left.offset, tok.offset)
        elif self.is_kw("in") or (self.is_kw("not") and self.is_kw("in", 1)):
            negated = self.is_kw("not")
            if negated:
                self.advance()
            self.advance()
            items, end = self.list_literal()
            node = In(left, items, negated, left.offset, end - left.offset, tok.offset)
        else:
            return left
        nxt = self.peek()
        if nxt.kind == "OP" or self.is_kw("in") or (self.is_kw("not") and self.is_kw("in", 1)):
            raise ExprError(f"比较不能连写（如 a < b < c）；请用 and 连接两个比较，如 a < b and b < c"
                            f"（comparisons cannot be chained）", nxt.offset, len(nxt.text))
        return node

    def unary(self) -> Node:
        tok = self.peek()
        if self.is_kw("not"):
            self.advance()
            self.enter(tok)
            operand = self.unary()
            self.depth -= 1
            return Not(operand, tok.offset, _end(operand) - tok.offset)
        return self.primary()

    def literal(self, tok: _Tok) -> Lit | None:
        """Consume a literal starting at `tok` (already advanced past), or return None."""
        if tok.kind == "INT":
            return Lit(tok.value, "int", tok.offset, len(tok.text))  # type: ignore[arg-type]
        if tok.kind == "STR":
            return Lit(tok.value, "str", tok.offset, len(tok.text))  # type: ignore[arg-type]
        if tok.kind == "KW" and tok.text in ("true", "false"):
            return Lit(tok.text == "true", "bool", tok.offset, len(tok.text))
        if tok.kind == "KW" and tok.text == "date":
            return self.date_literal(tok)
        return None

    def date_literal(self, tok: _Tok) -> Lit:
        usage = '日期的写法是 date("2025-01-01")（write dates as date("YYYY-MM-DD")）'
        lp = self.advance()
        if lp.kind != "(":
            raise ExprError(usage, lp.offset if lp.kind != "EOF" else tok.offset, len(lp.text) or len(tok.text))
        st = self.advance()
        if st.kind != "STR":
            raise ExprError(usage, st.offset, len(st.text) or 1)
        rp = self.advance()
        if rp.kind != ")":
            raise ExprError(f"缺少右括号 “)”；{usage}", rp.offset, len(rp.text) or 1)
        text = st.value
        try:
            if not _DATE_RE.match(text):  # type: ignore[arg-type]
                raise ValueError
            value = _dt.date.fromisoformat(text)  # type: ignore[arg-type]
        except ValueError:
            raise ExprError(f"“{text}” 不是有效日期，应写成 年-月-日，如 \"2025-01-01\"（invalid date, use YYYY-MM-DD）",
                            st.offset, len(st.text)) from None
        return Lit(value, "date", tok.offset, rp.offset + 1 - tok.offset)

    def primary(self) -> Node:
        tok = self.advance()
        lit = self.literal(tok)
        if lit is not None:
            return lit
        if tok.kind == "NAME":
            return Fact(tok.text, tok.offset, len(tok.text))
        if tok.kind == "(":
            self.enter(tok)
            if self.peek().kind == ")":
                raise ExprError("括号里是空的（empty parentheses）", tok.offset, self.peek().offset + 1 - tok.offset)
            inner = self.or_expr()
            rp = self.peek()
            if rp.kind != ")":
                if rp.kind == "EOF":
                    raise ExprError(f"缺少右括号 “)”，与第 {tok.offset + 1} 个字符处的 “(” 配对"
                                    f"（missing ')' for the '(' at offset {tok.offset}）", rp.offset, 0)
                raise ExprError(f"这里应该是右括号 “)”（与第 {tok.offset + 1} 个字符处的 “(” 配对），而不是 “{rp.text}”"
                                f"（expected ')'）", rp.offset, len(rp.text) or 1)
            self.advance()
            self.depth -= 1
            return dataclasses.replace(inner, offset=tok.offset, length=rp.offset + 1 - tok.offset)
        raise self.expected_operand(tok)

    def expected_operand(self, tok: _Tok) -> ExprError:
        # `tok` was consumed unless it is EOF; the token before it:
        back = 2 if tok.kind != "EOF" else 1
        prev = self.toks[self.pos - back].text if self.pos >= back else None
        if tok.kind == "EOF":
            after = f"“{self.toks[self.pos - 1].text}” 后面" if self.pos > 0 else ""
            return ExprError(f"条件不完整：{after}缺少一个值或事实名（expected a value or fact name）", tok.offset, 0)
        if tok.kind == ")":
            return ExprError("这里缺少一个值或事实名，却遇到了右括号 “)”（expected a value before ')'）", tok.offset, 1)
        what = f"关键字 {tok.text}" if tok.kind == "KW" else f"“{tok.text}”"
        where = f"在 “{prev}” 之后" if prev else "在开头"
        return ExprError(f"{where}需要一个值或事实名，而不是{what}（expected a value or fact name, got {tok.text!r}）",
                         tok.offset, len(tok.text) or 1)

    def list_literal(self) -> tuple[tuple[Lit, ...], int]:
        lb = self.advance()
        if lb.kind != "[":
            raise ExprError('in 后面要写一个方括号列表，如 ["a", "b"]（expected a list after in）',
                            lb.offset, len(lb.text) or 0)
        items: list[Lit] = []
        while True:
            tok = self.advance()
            if tok.kind == "]":
                if not items:
                    raise ExprError("列表不能为空（empty list）", lb.offset, tok.offset + 1 - lb.offset)
                return tuple(items), tok.offset + 1
            lit = self.literal(tok)
            if lit is None:
                if tok.kind == "NAME":
                    raise ExprError(f"列表里只能写值（字面量），不能写事实名 “{tok.text}”；文本请加引号"
                                    f"（list items must be literals）", tok.offset, len(tok.text))
                if tok.kind == "EOF":
                    raise ExprError(f"列表没有结束，缺少 “]”（与第 {lb.offset + 1} 个字符处的 “[” 配对）"
                                    f"（missing ']'）", tok.offset, 0)
                raise ExprError(f"列表里这里需要一个值，而不是 “{tok.text}”（expected a literal in the list）",
                                tok.offset, len(tok.text) or 1)
            items.append(lit)
            sep = self.peek()
            if sep.kind == ",":
                self.advance()
            elif sep.kind != "]":
                if sep.kind == "EOF":
                    raise ExprError(f"列表没有结束，缺少 “]”（与第 {lb.offset + 1} 个字符处的 “[” 配对）"
                                    f"（missing ']'）", sep.offset, 0)
                raise ExprError(f"列表元素之间要用半角逗号 “,” 分隔，这里是 “{sep.text}”（expected ',' or ']'）",
                                sep.offset, len(sep.text) or 1)


def parse(source: str) -> Node:
    """Parse a guard expression; raises `ExprError` with a 0-based offset into `source`."""
    if not isinstance(source, str):
        raise ExprError(f"条件必须是文本，这里是 {type(source).__name__}（condition must be a string）", 0, 0)
    if len(source) > MAX_SOURCE_LENGTH:
        raise ExprError(f"条件太长：{len(source)} 个字符，最多 {MAX_SOURCE_LENGTH} 个（condition longer than "
                        f"{MAX_SOURCE_LENGTH} characters）", MAX_SOURCE_LENGTH, len(source) - MAX_SOURCE_LENGTH)
    return _Parser(source).parse()


# --------------------------------------------------------------------------- unparse


def _lit_text(lit: Lit) -> str:
    v = lit.value
    if lit.type == "bool":
        return "true" if v else "false"
    if lit.type == "date":
        return f'date("{v.isoformat()}")'  # type: ignore[union-attr]
    if lit.type == "str":
        if '"' not in v:  # type: ignore[operator]
            return f'"{v}"'
        if "'" not in v:  # type: ignore[operator]
            return f"'{v}'"
        raise ValueError(f"string {v!r} contains both quote characters and cannot be written as a literal")
    return str(v)


def unparse(node: Node) -> str:
    """Canonical source text of `node` (re-parses to the same tree, modulo offsets)."""

    def wrap(n: Node, compound: tuple) -> str:
        text = unparse(n)
        return f"({text})" if isinstance(n, compound) else text

    if isinstance(node, Lit):
        return _lit_text(node)
    if isinstance(node, Fact):
        return node.name
    if isinstance(node, Not):
        return "not " + wrap(node.operand, (BoolOp, Compare, In))
    if isinstance(node, BoolOp):
        return f" {node.op} ".join(wrap(o, (BoolOp,)) for o in node.operands)
    if isinstance(node, Compare):
        return f"{wrap(node.left, (BoolOp, Compare, In))} {node.op} {wrap(node.right, (BoolOp, Compare, In))}"
    if isinstance(node, In):
        items = ", ".join(_lit_text(i) for i in node.items)
        return f"{wrap(node.operand, (BoolOp, Compare, In))} {'not in' if node.negated else 'in'} [{items}]"
    raise TypeError(f"not an expression node: {node!r}")


# --------------------------------------------------------------------------- typecheck


def _snippet(node: Node) -> str:
    try:
        text = unparse(node)
    except ValueError:
        return "…"
    return text if len(text) <= 40 else text[:37] + "…"


def typecheck(node: Node, facts: Mapping[str, FactSpec]) -> str:
    """The type of `node` ("bool", "int", "str" or "date"); raises `ExprError` on unknown facts or type errors."""
    if isinstance(node, Lit):
        return node.type
    if isinstance(node, Fact):
        if node.name in RESERVED_NAMES:
            raise ExprError(f"“{node.name}” 是 durable-rules 保留的字段名，不能用作事实名（reserved name）",
                            node.offset, node.length)
        spec = facts.get(node.name)
        if spec is None:
            msg = f"未知的事实 “{node.name}”（unknown fact）"
            close = difflib.get_close_matches(node.name, list(facts), n=1, cutoff=0.6)
            if close:
                msg += f"；你是不是想写 “{close[0]}”？（did you mean {close[0]!r}?）"
            elif 0 < len(facts) <= 12:
                msg += "；可用的事实有：" + "、".join(sorted(facts))
            raise ExprError(msg, node.offset, node.length)
        return spec.type
    if isinstance(node, Not):
        t = typecheck(node.operand, facts)
        if t != "bool":
            raise ExprError(f"not 只能用于布尔值，这里 “{_snippet(node.operand)}” 是{TYPE_NAMES[t]}；not 比比较结合得更紧，"
                            f"要否定一个比较请加括号，如 not (x == 1)（'not' needs a bool, got {t}）",
                            node.operand.offset, node.operand.length)
        return "bool"
    if isinstance(node, BoolOp):
        for operand in node.operands:
            t = typecheck(operand, facts)
            if t != "bool":
                raise ExprError(f"{node.op} 两边必须是条件（布尔值），这里 “{_snippet(operand)}” 是{TYPE_NAMES[t]}；"
                                f"是不是少写了比较，如 x > 0？（'{node.op}' needs bool operands, got {t}）",
                                operand.offset, operand.length)
        return "bool"
    if isinstance(node, Compare):
        lt = typecheck(node.left, facts)
        rt = typecheck(node.right, facts)
        if lt != rt:
            hint = ""
            for side, other in ((node.left, rt), (node.right, lt)):
                if not isinstance(side, Lit):
                    continue
                if side.type == "str" and other == "date" and _DATE_RE.match(side.value):  # type: ignore[arg-type]
                    hint = f'；日期要写成 date("{side.value}")'
                elif side.type == "int" and other == "str":
                    hint = f'；文本要加引号，如 "{side.value}"'
                elif side.type == "str" and other == "bool" and side.value in ("true", "false"):
                    hint = f"；布尔值不加引号，写 {side.value}"
            raise ExprError(f"不能比较{TYPE_NAMES[lt]}和{TYPE_NAMES[rt]}：“{_snippet(node.left)}” 是{TYPE_NAMES[lt]}，"
                            f"“{_snippet(node.right)}” 是{TYPE_NAMES[rt]}{hint}（cannot compare {lt} with {rt}）",
                            node.offset, node.length)
        if node.op in ("<", "<=", ">", ">=") and lt not in ("int", "date"):
            raise ExprError(f"“{node.op}” 只能比较整数或日期，不能比较{TYPE_NAMES[lt]}；{TYPE_NAMES[lt]}只能用 == 或 !="
                            f"（{node.op!r} needs int or date operands, got {lt}）", node.op_offset, len(node.op))
        return "bool"
    if isinstance(node, In):
        t = typecheck(node.operand, facts)
        for item in node.items:
            if item.type != t:
                raise ExprError(f"列表元素应该是{TYPE_NAMES[t]}（与 “{_snippet(node.operand)}” 相同），"
                                f"这里 {_lit_text(item)} 是{TYPE_NAMES[item.type]}"
                                f"（list item must be {t}, got {item.type}）", item.offset, item.length)
        return "bool"
    raise TypeError(f"not an expression node: {node!r}")


def check_condition(source: str, facts: Mapping[str, FactSpec]) -> Node:
    """Parse, type-check (result must be bool) and trial-compile a guard; raises `ExprError`."""
    node = parse(source)
    t = typecheck(node, facts)
    if t != "bool":
        raise ExprError(f"条件的结果必须是真或假（布尔值），这里是{TYPE_NAMES[t]}；是不是少写了比较，如 x > 0？"
                        f"（a condition must be bool, got {t}）", node.offset, node.length)
    to_durable(node)
    return node


def fact_names(node: Node) -> set[str]:
    """The fact names `node` reads."""
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Fact):
            out.add(n.name)
        elif isinstance(n, Not):
            stack.append(n.operand)
        elif isinstance(n, BoolOp):
            stack.extend(n.operands)
        elif isinstance(n, Compare):
            stack.extend((n.left, n.right))
        elif isinstance(n, In):
            stack.append(n.operand)
    return out


# --------------------------------------------------------------------------- evaluate


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, str):
        return "str"
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return "date"
    return type(value).__name__


_CMP = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}


def evaluate(node: Node, values: Mapping[str, object]) -> object:
    """Evaluate a (type-checked) expression over Python values (dates as `datetime.date`)."""
    if isinstance(node, Lit):
        return node.value
    if isinstance(node, Fact):
        try:
            return values[node.name]
        except KeyError:
            raise ExprError(f"缺少事实 “{node.name}” 的值（no value for fact {node.name!r}）",
                            node.offset, node.length) from None
    if isinstance(node, Not):
        return not _as_bool(node.operand, evaluate(node.operand, values))
    if isinstance(node, BoolOp):
        if node.op == "and":
            return all(_as_bool(o, evaluate(o, values)) for o in node.operands)
        return any(_as_bool(o, evaluate(o, values)) for o in node.operands)
    if isinstance(node, Compare):
        a, b = evaluate(node.left, values), evaluate(node.right, values)
        ka, kb = _kind(a), _kind(b)
        if ka != kb or ka not in TYPE_NAMES:
            raise ExprError(f"无法比较 {ka} 和 {kb} 的值（cannot compare {ka} with {kb}）", node.offset, node.length)
        return _CMP[node.op](a, b)
    if isinstance(node, In):
        v = evaluate(node.operand, values)
        k = _kind(v)
        if any(item.type != k for item in node.items):
            raise ExprError(f"值的类型 {k} 与列表不符（value of type {k} does not match the list）",
                            node.offset, node.length)
        return any(v == item.value for item in node.items) != node.negated
    raise TypeError(f"not an expression node: {node!r}")


def _as_bool(node: Node, value: object) -> bool:
    if not isinstance(value, bool):
        raise ExprError(f"这里需要布尔值，实际是 {_kind(value)}（expected a bool value）", node.offset, node.length)
    return value


# --------------------------------------------------------------------------- durable-rules


def encode_value(spec_type: str | FactSpec, value: object) -> bool | int | str:
    """Coerce a fact value for posting to durable-rules, strictly by its declared type.

    bool→bool, int→int (64-bit, not bool), str→str, date→``date.toordinal()`` (a `datetime.date`
    or an ISO ``YYYY-MM-DD`` string; a `datetime` is refused). Raises TypeError / ValueError.
    """
    t = spec_type.type if isinstance(spec_type, FactSpec) else spec_type
    if t == "bool":
        if isinstance(value, bool):
            return value
    elif t == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            if not INT_MIN <= value <= INT_MAX:
                raise ValueError(f"integer {value} is outside the 64-bit range durable-rules supports")
            return int(value)
    elif t == "str":
        if isinstance(value, str):
            return str(value)
    elif t == "date":
        if isinstance(value, str) and _DATE_RE.match(value):
            return _dt.date.fromisoformat(value).toordinal()
        if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
            return value.toordinal()
    else:
        raise ValueError(f"unknown fact type {t!r}")
    raise TypeError(f"a {t} fact cannot take the value {value!r} ({type(value).__name__})")


def encode_message(facts: Mapping[str, FactSpec], values: Mapping[str, object]) -> dict:
    """All declared facts encoded with `encode_value`, plus ``_always: 1`` (add ``sid`` yourself)."""
    out: dict = {}
    for name, spec in facts.items():
        if name in RESERVED_NAMES:
            raise ValueError(f"fact name {name!r} is reserved")
        if name not in values:
            raise ValueError(f"no value for fact {name!r}; durable-rules never matches a missing field")
        out[name] = encode_value(spec.type, values[name])
    out[ALWAYS_FIELD] = 1
    return out


_NONCONST = object()
_NEGATE = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
_MIRROR = {"==": "==", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}
_DURABLE_OP = {"!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}


def _encode_literal(value: object) -> object:
    if isinstance(value, _dt.date):
        return value.toordinal()
    return value


class _Compiler:
    def __init__(self, root: Node):
        self.root = root
        self.leaves = 0
        self.consts: dict[int, object] = {}

    # constant folding (memoized by node identity; the tree is alive for the whole compile)
    def const(self, node: Node) -> object:
        key = id(node)
        if key not in self.consts:
            self.consts[key] = self._const(node)
        return self.consts[key]

    def _const(self, node: Node) -> object:
        if isinstance(node, Lit):
            return node.value
        if isinstance(node, Fact):
            return _NONCONST
        if isinstance(node, Not):
            v = self.const(node.operand)
            return _NONCONST if v is _NONCONST else not v
        if isinstance(node, BoolOp):
            absorbing = node.op == "or"  # True absorbs or, False absorbs and
            vals = [self.const(o) for o in node.operands]
            if any(v is not _NONCONST and bool(v) == absorbing for v in vals):
                return absorbing
            return (not absorbing) if all(v is not _NONCONST for v in vals) else _NONCONST
        if isinstance(node, Compare):
            a, b = self.const(node.left), self.const(node.right)
            if a is _NONCONST or b is _NONCONST:
                return _NONCONST
            return _CMP[node.op](a, b)
        if isinstance(node, In):
            v = self.const(node.operand)
            values = {i.value for i in node.items}
            if v is _NONCONST:
                if node.items and node.items[0].type == "bool" and values == {True, False}:
                    return not node.negated
                return _NONCONST
            return (v in values) != node.negated
        raise TypeError(f"not an expression node: {node!r}")

    def leaf(self, field: str, op: str, value: object) -> dict:
        # Work budget: == / != between compound conditions expands exponentially, so stop early.
        # Within a non-constant subtree nothing is discarded except duplicates, hence the slack.
        self.leaves += 1
        if self.leaves > _WORK_BUDGET:
            raise _too_many_leaves(self.root)
        if op == "==":
            return {field: value}
        return {_DURABLE_OP[op]: {field: value}}

    def combine(self, kind: str, parts: list) -> object:
        absorbing = kind == "or"
        conds: list[dict] = []
        seen: set[str] = set()
        for p in parts:
            if isinstance(p, bool):
                if p == absorbing:
                    return absorbing
                continue
            children = p[f"${kind}"] if set(p) == {f"${kind}"} else [p]
            for c in children:
                key = json.dumps(c, sort_keys=True, ensure_ascii=False)
                if key not in seen:
                    seen.add(key)
                    conds.append(c)
        if not conds:
            return not absorbing
        if len(conds) == 1:
            return conds[0]
        return {f"${kind}": conds}

    def compile(self, node: Node, neg: bool) -> object:
        """A durable condition dict, or a Python bool for a constant, of `node` (negated if `neg`)."""
        k = self.const(node)
        if k is not _NONCONST:
            return bool(k) != neg
        if isinstance(node, Fact):  # a bare bool fact
            return self.leaf(node.name, "==", not neg)
        if isinstance(node, Not):
            return self.compile(node.operand, not neg)
        if isinstance(node, BoolOp):
            kind = node.op if not neg else ("or" if node.op == "and" else "and")
            return self.combine(kind, [self.compile(o, neg) for o in node.operands])
        if isinstance(node, Compare):
            return self.compare(node, neg)
        if isinstance(node, In):
            want_in = node.negated == neg
            values: list = []
            for item in node.items:
                if item.value not in values:
                    values.append(item.value)
            x = node.operand
            if isinstance(x, Fact):
                op = "==" if want_in else "!="
                return self.combine("or" if want_in else "and",
                                    [self.leaf(x.name, op, _encode_literal(v)) for v in values])
            # a non-constant bool expression against [true] or [false] ({true, false} is constant)
            (v,) = values
            return self.compile(x, neg=(v != want_in))
        raise TypeError(f"not an expression node: {node!r}")

    def compare(self, node: Compare, neg: bool) -> object:
        left, right = node.left, node.right
        lk, rk = self.const(left), self.const(right)
        op = _NEGATE[node.op] if neg else node.op
        if isinstance(left, Fact) and isinstance(right, Fact):
            return self.leaf(left.name, op, {"$m": right.name})
        if isinstance(left, Fact) and rk is not _NONCONST:
            return self.leaf(left.name, op, _encode_literal(rk))
        if isinstance(right, Fact) and lk is not _NONCONST:
            return self.leaf(right.name, _MIRROR[op], _encode_literal(lk))
        # bool-typed comparison involving at least one compound condition
        eq = op == "=="
        if lk is not _NONCONST:
            return self.compile(right, neg=(eq != bool(lk)))
        if rk is not _NONCONST:
            return self.compile(left, neg=(eq != bool(rk)))
        both = self.combine("and", [self.compile(left, False), self.compile(right, not eq)])
        neither = self.combine("and", [self.compile(left, True), self.compile(right, eq)])
        return self.combine("or", [both, neither])


_WORK_BUDGET = 32 * MAX_DURABLE_LEAVES


def _too_many_leaves(node: Node) -> ExprError:
    return ExprError(f"条件太复杂：编译后超过 {MAX_DURABLE_LEAVES} 个比较；请缩短 in 列表、减少布尔条件之间的"
                     f" == / != 或拆分条件（more than {MAX_DURABLE_LEAVES} comparisons after compilation）",
                     node.offset, node.length)


def _size(cond: dict) -> tuple[int, int]:
    """(number of $and/$or groups, number of comparisons) of a compiled condition."""
    groups = leaves = 0
    stack = [cond]
    while stack:
        c = stack.pop()
        if len(c) == 1 and next(iter(c)) in ("$and", "$or"):
            groups += 1
            stack.extend(next(iter(c.values())))
        else:
            leaves += 1
    return groups, leaves


def to_durable(node: Node) -> dict:
    """Compile a type-checked bool expression to a durable-rules condition (the part under the alias).

    Constant true/false compile to ``{'_always': 1}`` / ``{'_always': 0}``: post ``_always: 1``
    with every message. Raises `ExprError` if the result exceeds durable-rules' limits.
    """
    result = _Compiler(node).compile(node, False)
    if isinstance(result, bool):
        return {ALWAYS_FIELD: 1 if result else 0}
    groups, leaves = _size(result)  # type: ignore[arg-type]
    if leaves > MAX_DURABLE_LEAVES:
        raise _too_many_leaves(node)
    if groups > MAX_DURABLE_GROUPS:
        raise ExprError(f"条件太复杂：编译后有 {groups} 组 and/or，最多允许 {MAX_DURABLE_GROUPS} 组（durable-rules 的上限）；"
                        f"请减少 and/or 交替、布尔条件之间的 == / != 或拆分条件"
                        f"（{groups} and/or groups after compilation, at most {MAX_DURABLE_GROUPS} allowed）",
                        node.offset, node.length)
    return result  # type: ignore[return-value]
