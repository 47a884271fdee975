"""Compilation of guard expressions to durable-rules 2.0.28 conditions (`to_durable`, with its
group and comparison limits) and the encoding of fact values for posting (`encode_value`,
`encode_message`)."""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping

from .evaluator import _CMP
from .nodes import (
    _DATE_RE, ALWAYS_FIELD, INT_MAX, INT_MIN, RESERVED_NAMES, BoolOp, Compare, ExprError, Fact, FactSpec, In, Lit,
    Node, Not,
)

DURABLE_GROUP_LIMIT = 15  # what durable-rules 2.0.28 accepts per alias condition
MAX_DURABLE_GROUPS = DURABLE_GROUP_LIMIT - 1  # one left for a caller's wrapping $and
MAX_DURABLE_LEAVES = 128

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
