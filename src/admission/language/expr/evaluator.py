"""The guard-expression evaluator: `evaluate`, the pure-Python reference semantics."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping

from .nodes import TYPE_NAMES, BoolOp, Compare, ExprError, Fact, In, Lit, Node, Not

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
