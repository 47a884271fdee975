"""The guard-expression parser (recursive descent over the lexer's tokens, with the source-length
and nesting limits) and `unparse`, its inverse."""

from __future__ import annotations

import dataclasses
import datetime as _dt

from .lexer import _Lexer, _Tok
from .nodes import _DATE_RE, BoolOp, Compare, ExprError, Fact, In, Lit, Node, Not

MAX_SOURCE_LENGTH = 2000
MAX_DEPTH = 32

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
