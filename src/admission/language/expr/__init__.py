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

Modules: `nodes` (AST, `ExprError`, `FactSpec`), `lexer`, `parser` (and `unparse`), `checker`
(`typecheck`, `check_condition`, `fact_names`), `evaluator`, `durable` (`to_durable`, the
encoders and durable-rules limits); this package re-exports their names.
"""

from __future__ import annotations

from .checker import check_condition, fact_names, typecheck
from .durable import DURABLE_GROUP_LIMIT, MAX_DURABLE_GROUPS, MAX_DURABLE_LEAVES, encode_message, encode_value, to_durable
from .evaluator import evaluate
from .lexer import KEYWORDS
from .nodes import (
    ALWAYS_FIELD, INT_MAX, INT_MIN, RESERVED_NAMES, TYPE_NAMES, BoolOp, Compare, ExprError, Fact, FactSpec, FactType, In,
    Lit, Node, Not,
)
from .parser import MAX_DEPTH, MAX_SOURCE_LENGTH, parse, unparse

__all__ = [
    "ExprError", "FactSpec", "Node", "Lit", "Fact", "Not", "BoolOp", "Compare", "In",
    "parse", "typecheck", "check_condition", "evaluate", "to_durable", "fact_names",
    "encode_value", "encode_message", "unparse",
    "MAX_SOURCE_LENGTH", "MAX_DEPTH", "MAX_DURABLE_GROUPS", "DURABLE_GROUP_LIMIT", "MAX_DURABLE_LEAVES", "ALWAYS_FIELD",
    "RESERVED_NAMES", "TYPE_NAMES",
]
