"""The guard-expression lexer: tokens, keywords, and the targeted errors for full-width (IME)
characters and other near misses."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .nodes import INT_MAX, INT_MIN, ExprError

KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "date"})
_FACT_RE = re.compile(r"[a-z_][a-z0-9_]*\Z")

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
