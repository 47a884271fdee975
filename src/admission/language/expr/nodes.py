"""The guard-expression AST: node dataclasses, `ExprError`, `FactSpec`, the value types and the
names and ranges shared by the lexer, type checker and durable-rules encoder."""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Literal, Union

ALWAYS_FIELD = "_always"
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
#: names durable-rules (or this module) uses itself; a fact may not be called like this
RESERVED_NAMES = frozenset({"sid", "id", "label", "chart", ALWAYS_FIELD})
TYPE_NAMES = {"bool": "布尔值", "int": "整数", "str": "文本", "date": "日期"}
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
