"""The guard-expression type checker: `typecheck`, `check_condition` (parse, type-check and
trial-compile) and `fact_names`."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from .durable import to_durable
from .nodes import _DATE_RE, RESERVED_NAMES, TYPE_NAMES, BoolOp, Compare, ExprError, Fact, FactSpec, In, Lit, Node, Not
from .parser import _lit_text, parse, unparse

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
