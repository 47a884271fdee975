"""Guard expression language: parse/typecheck errors, precedence, evaluator, durable-rules agreement."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid

import pytest
from durable import engine as durable_engine
from hypothesis import given, note
from hypothesis import strategies as st

from admission.language.expr import (
    DURABLE_GROUP_LIMIT,
    INT_MAX,
    INT_MIN,
    MAX_DURABLE_GROUPS,
    MAX_DURABLE_LEAVES,
    BoolOp,
    Compare,
    ExprError,
    Fact,
    FactSpec,
    In,
    Lit,
    Not,
    check_condition,
    encode_message,
    encode_value,
    evaluate,
    fact_names,
    parse,
    to_durable,
    typecheck,
    unparse,
)

FACTS = {
    "b1": FactSpec("bool", "材料齐全"),
    "b2": FactSpec("bool", "已公示"),
    "b3": FactSpec("bool", "有异议"),
    "n1": FactSpec("int", "申请件数"),
    "n2": FactSpec("int", "办理天数"),
    "n3": FactSpec("int", "金额"),
    "s1": FactSpec("str", "事项类别"),
    "s2": FactSpec("str", "承办单位"),
    "d1": FactSpec("date", "申请日期"),
    "d2": FactSpec("date", "截止日期"),
}
NAMED = {"amount": FactSpec("int", "金额"), "approved": FactSpec("bool", "已批准"), "kind": FactSpec("str", "类别")}

VALUES = {"b1": True, "b2": False, "b3": True, "n1": 5, "n2": -2, "n3": 5, "s1": "许可", "s2": "",
          "d1": dt.date(2025, 1, 1), "d2": dt.date(2025, 3, 1)}


def err(source: str, facts=FACTS) -> ExprError:
    with pytest.raises(ExprError) as info:
        check_condition(source, facts)
    return info.value


# --------------------------------------------------------------------------- parse errors


@pytest.mark.parametrize(
    "source, offset, length, words",
    [
        ("（b1）", 0, 1, ["（", "("]),
        ("b1 and （n1 > 1)", 7, 1, ["（", "("]),
        ("s1 == “abc”", 6, 1, ["“", '"']),
        ("n1 ＞ 2", 3, 1, ["＞", ">"]),
        ("n1 ＜ 2", 3, 1, ["＜", "<"]),
        ("n1 ＞＝ 2", 3, 2, [">="]),
        ("n1 >＝ 2", 3, 2, [">="]),
        ("b1 ！＝ b2", 3, 2, ["!="]),
        ("n1 ＝＝ 2", 3, 2, ["=="]),
        ("n1 ＝ 2", 3, 1, ["=="]),
        ("！b1", 0, 1, ["not"]),
        ('s1 in ["a"，"b"]', 10, 1, ["，", ","]),
        ("b1\u3000and b2", 2, 1, ["全角空格"]),
        ("n1 == １", 6, 1, ["１", "1"]),
        ('s1 == "abc', 6, 4, ["没有结束"]),
        ("s1 == 'abc", 6, 4, ["没有结束"]),
        ('s1 == "abc”', 6, 5, ["没有结束", "中文引号"]),
        ("b1 b2", 3, 2, ["多余", "b2"]),
        ("b1 and n1 > 1 true", 14, 4, ["多余", "true"]),
        ("(b1", 3, 0, ["缺少右括号", "第 1 个字符"]),
        ("b1)", 2, 1, ["多余的右括号"]),
        ("(b1 b2)", 4, 2, ["右括号"]),
        ("n1 < 2 < 3", 7, 1, ["不能连写"]),
        ("n1 == 1 in [1]", 8, 2, ["不能连写"]),
        ("b1 and", 6, 0, ["and", "缺少"]),
        ("and b1", 0, 3, ["开头", "and"]),
        ("b1 and or b2", 7, 2, ["and", "or"]),
        ("()", 0, 2, ["空的"]),
        ("n1 = 1", 3, 1, ["=="]),
        ("b1 && b2", 3, 2, ["and"]),
        ("b1 || b2", 3, 2, ["or"]),
        ("n1 <> 1", 3, 2, ["!="]),
        ("!b1", 0, 1, ["not"]),
        ("n1 + 1 > 2", 3, 1, ["无法识别"]),
        ("n1 - 1 > 2", 3, 1, ["算术"]),
        ("", 0, 0, ["空的"]),
        ("   ", 0, 3, ["空的"]),
        ("True", 0, 4, ["小写", "true"]),
        ("b1 AND b2", 3, 3, ["小写", "and"]),
        ("Amount > 1", 0, 6, ["amount"]),
        ("金额 > 1", 0, 2, ["中文"]),
        ("12abc > 1", 0, 5, ["数字开头"]),
        ("1.5 < n1", 0, 3, ["小数"]),
        ("n1 > 99999999999999999999", 5, 20, ["范围"]),
        ("n1 in []", 6, 2, ["不能为空"]),
        ("n1 in [n2]", 7, 2, ["事实名"]),
        ("n1 in [1 2]", 9, 1, ["逗号"]),
        ("n1 in [1, 2", 11, 0, ["]"]),
        ("n1 in 1", 6, 1, ["列表"]),
        ("date(2025-01-01) < d1", 5, 4, ["date("]),
        ('d1 > date("2025-02-30")', 10, 12, ["不是有效日期"]),
        ('d1 > date("2025-2-3")', 10, 10, ["不是有效日期"]),
        ('d1 > date "2025-01-01"', 10, 12, ["date("]),
        ("x" * 2001, 2000, 1, ["太长", "2000"]),
        ("(" * 33 + "b1" + ")" * 33, 32, 1, ["嵌套太深"]),
        ("not " * 33 + "b1", 128, 3, ["嵌套太深"]),
    ],
)
def test_parse_errors(source, offset, length, words):
    with pytest.raises(ExprError) as info:
        parse(source)
    e = info.value
    assert (e.offset, e.length) == (offset, length), e.message
    for w in words:
        assert w in e.message
    assert 0 <= e.offset <= len(source)


def test_max_depth_and_length_are_inclusive():
    assert to_durable(check_condition("(" * 32 + "b1" + ")" * 32, FACTS)) == {"b1": True}
    assert to_durable(check_condition("not " * 32 + "b1", FACTS)) == {"b1": True}
    check_condition("not " * 16 + "(" * 16 + "b1" + ")" * 16, FACTS)
    with pytest.raises(ExprError):
        check_condition("not " * 16 + "(" * 17 + "b1" + ")" * 17, FACTS)
    longest = "b1" + " or n1 == 1" * 181 + " or b2 "
    assert len(longest) == 2000
    assert to_durable(check_condition(longest, FACTS)) == {"$or": [{"b1": True}, {"n1": 1}, {"b2": True}]}
    with pytest.raises(ExprError, match="太长"):
        parse(longest + " ")


def test_deep_input_never_recursion_error():
    for src in ["(" * 5000, "not " * 490, "(" * 1990 + ")" * 10, "[" * 1000, "- " * 900]:
        with pytest.raises(ExprError):
            check_condition(src, FACTS)


# --------------------------------------------------------------------------- type errors


@pytest.mark.parametrize(
    "source, facts, offset, length, words",
    [
        ('n1 > "a"', FACTS, 0, 8, ["整数", "文本"]),
        ("b1 and n1 == s1", FACTS, 7, 8, ["不能比较整数和文本"]),
        ("s1 == 1", FACTS, 0, 7, ['"1"']),
        ('d1 > "2025-01-01"', FACTS, 0, 17, ['date("2025-01-01")']),
        ('b1 == "true"', FACTS, 0, 12, ["不加引号"]),
        ("amout > 1", NAMED, 0, 5, ["未知的事实", "amount"]),
        ("kind == \"x\" and approvd", NAMED, 16, 7, ["approved"]),
        ("zzz", NAMED, 0, 3, ["未知的事实", "amount、approved、kind"]),
        ("sid == 1", FACTS, 0, 3, ["保留"]),
        ('s1 < "a"', FACTS, 3, 1, ["只能比较整数或日期"]),
        ("b1 >= b2", FACTS, 3, 2, ["只能比较整数或日期"]),
        ("b1 or n1", FACTS, 6, 2, ["or", "整数"]),
        ("(n1) and b1", FACTS, 0, 4, ["and", "整数"]),
        ("not n1", FACTS, 4, 2, ["not", "整数"]),
        ("not n1 == 1", FACTS, 4, 2, ["not (x == 1)"]),
        ('n1 in [1, "a"]', FACTS, 10, 3, ["整数", "文本"]),
        ("b1 in [true, 1]", FACTS, 13, 1, ["布尔值", "整数"]),
        ("n1", FACTS, 0, 2, ["必须是真或假"]),
        ("(n1)", FACTS, 0, 4, ["必须是真或假"]),
        ('"x"', FACTS, 0, 3, ["文本"]),
    ],
)
def test_type_errors(source, facts, offset, length, words):
    e = err(source, facts)
    assert (e.offset, e.length) == (offset, length), e.message
    for w in words:
        assert w in e.message, e.message


def test_typecheck_returns_types():
    assert typecheck(parse("n1"), FACTS) == "int"
    assert typecheck(parse('date("2025-01-01")'), FACTS) == "date"
    assert typecheck(parse("'x'"), FACTS) == "str"
    assert typecheck(parse("n1 > 1 or b1"), FACTS) == "bool"


def test_fact_names_and_unparse():
    node = check_condition('b1 and (n1 < n2 or s1 not in ["a", \'b"\']) and not (d1 == d2) and not b2 == b3', FACTS)
    assert fact_names(node) == {"b1", "b2", "b3", "n1", "n2", "s1", "d1", "d2"}
    assert unparse(node) == "b1 and (n1 < n2 or s1 not in [\"a\", 'b\"']) and not (d1 == d2) and not b2 == b3"


# --------------------------------------------------------------------------- precedence


def test_precedence_structure():
    n = parse("b1 or b2 and b3")
    assert isinstance(n, BoolOp) and n.op == "or"
    assert n.operands[0] == Fact("b1", 0, 2)
    assert isinstance(n.operands[1], BoolOp) and n.operands[1].op == "and"

    n = parse("not b1 and b2")
    assert isinstance(n, BoolOp) and n.op == "and" and isinstance(n.operands[0], Not)

    n = parse("not b1 == b2")  # not binds tighter than comparison
    assert isinstance(n, Compare) and isinstance(n.left, Not) and n.right == Fact("b2", 10, 2)

    n = parse("n1 > 1 and n2 in [1, 2] or not b1 and b2")
    assert isinstance(n, BoolOp) and n.op == "or" and len(n.operands) == 2
    first, second = n.operands
    assert isinstance(first, BoolOp) and first.op == "and"
    assert isinstance(first.operands[0], Compare) and isinstance(first.operands[1], In)
    assert isinstance(second, BoolOp) and isinstance(second.operands[0], Not)

    n = parse("b1 and b2 and b3 and b1")  # chains are n-ary
    assert isinstance(n, BoolOp) and len(n.operands) == 4

    n = parse("(b1 or b2) and b3")
    assert n.op == "and" and n.operands[0].op == "or" and (n.operands[0].offset, n.operands[0].length) == (0, 10)

    n = parse("n1 not in [1]")
    assert isinstance(n, In) and n.negated and n.items == (Lit(1, "int", 11, 1),)


@pytest.mark.parametrize(
    "source, expected",
    [
        ("true or true and false", True),  # and binds tighter than or
        ("false and true or true", True),
        ("not false and false", False),  # not binds tighter than and
        ("not (false and false)", True),
        ("not not true", True),
        ("true == false or true", True),
        ("false == false and false", False),
    ],
)
def test_precedence_evaluation(source, expected):
    assert evaluate(check_condition(source, FACTS), {}) is expected


# --------------------------------------------------------------------------- evaluator


@pytest.mark.parametrize(
    "source, expected",
    [
        ("b1", True),
        ("not b2", True),
        ("n1 > 4 and n2 < 0", True),
        ("n1 == n3", True),
        ("n1 != n3", False),
        ("n1 >= 5 and n1 <= 5", True),
        ("-3 < n2", True),
        ('s1 == "许可"', True),
        ('s1 in ["确认", "许可"]', True),
        ('s1 not in ["确认", "许可"]', False),
        ("s2 == ''", True),
        ('d1 < d2 and d1 == date("2025-01-01")', True),
        ('d2 > date("2025-03-01")', False),
        ('d1 in [date("2024-12-31"), date("2025-01-01")]', True),
        ("n1 in [1, 2, 3]", False),
        ("(n1 > 1) == (n2 > 1)", False),
        ("(n1 > 1) != b2", True),
        ("b1 == b3", True),
        ("b1 in [false]", False),
        ("(n2 > 0) not in [true]", True),
        ("b2 or n1 > 100 or s1 == \"许可\" and b3", True),
        ("true", True),
        ("1 > 2", False),
    ],
)
def test_evaluate(source, expected):
    assert evaluate(check_condition(source, FACTS), VALUES) is expected


def test_evaluate_missing_and_mistyped_values():
    node = check_condition("n1 > 1 and b1", FACTS)
    with pytest.raises(ExprError) as info:
        evaluate(node, {"n1": 2})
    assert "b1" in info.value.message and info.value.offset == 11
    with pytest.raises(ExprError):
        evaluate(node, {"n1": "2", "b1": True})  # a str where an int is declared
    with pytest.raises(ExprError):
        evaluate(check_condition("d1 > d2", FACTS), {"d1": dt.datetime(2025, 1, 1), "d2": dt.date(2025, 1, 1)})


# --------------------------------------------------------------------------- compilation


@pytest.mark.parametrize(
    "source, expected",
    [
        ("b1", {"b1": True}),
        ("not b1", {"b1": False}),
        ("b1 == true", {"b1": True}),
        ("b1 != true", {"$neq": {"b1": True}}),
        ("n1 != 3", {"$neq": {"n1": 3}}),
        ("not (n1 < 3)", {"$gte": {"n1": 3}}),
        ("not (n1 >= 3)", {"$lt": {"n1": 3}}),
        ("not (n1 == 3)", {"$neq": {"n1": 3}}),
        ("3 < n1", {"$gt": {"n1": 3}}),
        ("3 >= n1", {"$lte": {"n1": 3}}),
        ("n1 < n2", {"$lt": {"n1": {"$m": "n2"}}}),
        ("not (s1 == s2)", {"$neq": {"s1": {"$m": "s2"}}}),
        ('s1 in ["a", "b", "a"]', {"$or": [{"s1": "a"}, {"s1": "b"}]}),
        ('s1 not in ["a", "b"]', {"$and": [{"$neq": {"s1": "a"}}, {"$neq": {"s1": "b"}}]}),
        ('not (s1 not in ["a"])', {"s1": "a"}),
        ("not (b1 and n1 > 1)", {"$or": [{"b1": False}, {"$lte": {"n1": 1}}]}),
        ("not (b1 or not b2)", {"$and": [{"b1": False}, {"b2": True}]}),
        ("b1 and (b2 and b3)", {"$and": [{"b1": True}, {"b2": True}, {"b3": True}]}),
        ("b1 or b1", {"b1": True}),
        ('d1 == date("2025-01-01")', {"d1": dt.date(2025, 1, 1).toordinal()}),
        ("(n1 > 1) in [false]", {"$lte": {"n1": 1}}),
        ("b1 and true", {"b1": True}),
        ("b1 or false", {"b1": True}),
        ("true", {"_always": 1}),
        ("false", {"_always": 0}),
        ("1 < 2", {"_always": 1}),
        ('"a" in ["b"]', {"_always": 0}),
        ("n1 > 1 and false", {"_always": 0}),
        ("b1 or not false", {"_always": 1}),
        ("(n1 > 1) in [true, false]", {"_always": 1}),
        ("(n1 > 1) == (n2 > 1)",
         {"$or": [{"$and": [{"$gt": {"n1": 1}}, {"$gt": {"n2": 1}}]},
                  {"$and": [{"$lte": {"n1": 1}}, {"$lte": {"n2": 1}}]}]}),
    ],
)
def test_to_durable(source, expected):
    assert to_durable(check_condition(source, FACTS)) == expected


def test_complexity_limits_are_clean_errors():
    too_long_list = "n1 in [" + ", ".join(str(i) for i in range(MAX_DURABLE_LEAVES + 1)) + "]"
    e = err(too_long_list)
    assert "太复杂" in e.message and (e.offset, e.length) == (0, len(too_long_list))
    check_condition("n1 in [" + ", ".join(str(i) for i in range(MAX_DURABLE_LEAVES)) + "]", FACTS)

    ok = " and ".join(f"(n1 == {i} or n2 == {i})" for i in range(MAX_DURABLE_GROUPS - 1))
    check_condition(ok, FACTS)
    too_many = " and ".join(f"(n1 == {i} or n2 == {i})" for i in range(MAX_DURABLE_GROUPS))
    assert "太复杂" in err(too_many).message

    # bool equalities expand exponentially: must be cut off early, not hang
    src = "b1"
    for i in range(31):
        src = f"({src}) == (n{i % 3 + 1} > {i})"
    assert "太复杂" in err(src).message


# --------------------------------------------------------------------------- encode_value


def test_encode_value():
    assert encode_value("bool", False) is False
    assert encode_value("int", -7) == -7
    assert encode_value("str", "甲") == "甲"
    assert encode_value("date", dt.date(2025, 1, 1)) == 739252
    assert encode_value("date", "2025-01-01") == 739252
    assert encode_value(FactSpec("int"), 3) == 3
    for spec_type, bad in [("int", True), ("int", "1"), ("int", 1.0), ("bool", 1), ("str", 1),
                           ("date", dt.datetime(2025, 1, 1)), ("date", "1/1/2025"), ("date", 739252)]:
        with pytest.raises((TypeError, ValueError)):
            encode_value(spec_type, bad)
    with pytest.raises(ValueError):
        encode_value("int", 2**63)
    with pytest.raises(ValueError):
        encode_value("float", 1)
    msg = encode_message(FACTS, VALUES)
    assert msg["_always"] == 1 and msg["d1"] == 739252 and msg["b2"] is False
    with pytest.raises(ValueError):
        encode_message(FACTS, {"b1": True})
    with pytest.raises(ValueError):
        FactSpec("float")


# --------------------------------------------------------------------------- durable-rules agreement

class QuietHost(durable_engine.Host):
    """A Host without the background timer threads (see shared notes: they crash with delete_state)."""

    def _run(self):
        pass


_SESSION = uuid.uuid4().hex[:8]
_COUNTER = itertools.count()
RULESET_BUDGET = 400  # rulesets cannot be unregistered; keep the session well below the limits
_host: QuietHost | None = None
_rulesets_created = 0


def host() -> QuietHost:
    global _host
    if _host is None:
        _host = QuietHost()
    return _host


def run_durable(conditions: list[dict], messages: list[dict]) -> list[set[int]]:
    """Register ONE ruleset with one rule per condition; assert each message as a fact (fresh sid,
    deleted afterwards) and return, per message, the indices of the rules that fired."""
    global _rulesets_created
    assert _rulesets_created < RULESET_BUDGET, "too many rulesets registered in this session"
    n = next(_COUNTER)
    name = f"expr_{_SESSION}_{n}"
    fired: list[int] = []

    def action(i):
        def run(c):
            fired.append(i)
        return run

    rules = {f"r{i}": {"all": [{"m": cond}], "run": action(i)} for i, cond in enumerate(conditions)}
    # Sentinel rule: durable-rules 2.0.28 segfaults in delete_state if no action has ever run in
    # the ruleset (first message not handled -> delete_state -> SIGSEGV), so make every message fire.
    rules["sentinel"] = {"all": [{"m": {"_always": 1}}], "run": action(-1)}
    h = host()
    h.set_rulesets({name: rules})
    _rulesets_created += 1
    out = []
    for j, message in enumerate(messages):
        sid = f"{n}-{j}"
        fired.clear()
        try:
            # facts, not events: an event is consumed by the first matching rule only
            h.assert_fact(name, dict(message, sid=sid))
        except durable_engine.MessageNotHandledException:
            pass
        assert -1 in fired, "the sentinel rule must fire for every message"
        h.delete_state(name, sid)
        out.append(set(fired) - {-1})
    return out


def test_durable_groups_limit_matches_engine():
    """Canary: DURABLE_GROUP_LIMIT is exactly what durable-rules 2.0.28 accepts (error 113 beyond),
    and the largest condition we accept still fits when a caller wraps it in one more `$and`."""
    assert MAX_DURABLE_GROUPS == DURABLE_GROUP_LIMIT - 1
    largest = [  # an $and on top, and an $or on top (durable does not flatten a wrapping $and)
        " and ".join(f"(n1 == {i} or n2 == {i})" for i in range(MAX_DURABLE_GROUPS - 1)),
        " or ".join(f"(n1 == {i} and n2 == {i})" for i in range(MAX_DURABLE_GROUPS - 1)),
    ]
    conds = []
    for source in largest:
        cond = to_durable(check_condition(source, FACTS))
        assert sum(json.dumps(cond).count(k) for k in ('"$and"', '"$or"')) == MAX_DURABLE_GROUPS
        conds.append({"$and": [{"_always": 1}, cond]})
    values = [dict(VALUES, n1=0, n2=1), dict(VALUES, n1=3, n2=3)]
    assert run_durable(conds, [encode_message(FACTS, v) for v in values]) == [set(), {1}]
    too_many = {"$and": [{"$or": [{"n1": i}, {"n2": i}]} for i in range(DURABLE_GROUP_LIMIT)]}
    with pytest.raises(Exception, match="113"):
        host().set_rulesets({f"expr_{_SESSION}_limit": {"r": {"all": [{"m": too_many}], "run": lambda c: None}}})


def test_durable_runs_constants_and_fact_references():
    sources = ["true", "false", "n1 == n3", "n1 < n3", "s1 != s2", "d1 < d2", "b1 == b3", "b1 != b2", "n1 >= n2"]
    nodes = [check_condition(s, FACTS) for s in sources]
    values = [VALUES, dict(VALUES, n3=6, s2="许可", d2=dt.date(2025, 1, 1), b3=False, n2=5)]
    got = run_durable([to_durable(n) for n in nodes], [encode_message(FACTS, v) for v in values])
    for v, fired in zip(values, got):
        assert fired == {i for i, n in enumerate(nodes) if evaluate(n, v) is True}


# random well-typed expressions over FACTS, as source text

BOOL_FACTS = [k for k, v in FACTS.items() if v.type == "bool"]
INT_FACTS = [k for k, v in FACTS.items() if v.type == "int"]
STR_FACTS = [k for k, v in FACTS.items() if v.type == "str"]
DATE_FACTS = [k for k, v in FACTS.items() if v.type == "date"]

ints = st.one_of(st.integers(-3, 3), st.sampled_from([INT_MIN, INT_MAX, -(2**53) - 1, 2**53 + 1, 1000]))
strs = st.one_of(st.sampled_from(["", "a", "b", "A", "许可", "1", "a b", "（", "true", '"', "'", "\\"]),
                 st.text(max_size=4))
dates = st.one_of(st.sampled_from([dt.date(2025, 1, 1), dt.date(2025, 1, 2), dt.date(2024, 12, 31)]),
                  st.dates())


def str_lit(s: str) -> str:
    return f'"{s}"' if '"' not in s else f"'{s}'"


literal_strs = strs.filter(lambda s: "\n" not in s and not ('"' in s and "'" in s))

int_lits = ints.map(str)
str_lits = literal_strs.map(str_lit)
date_lits = dates.map(lambda d: f'date("{d.isoformat()}")')
ORDER_OPS = ["==", "!=", "<", "<=", ">", ">="]
EQ_OPS = ["==", "!="]


def comparison(facts, lits, ops):
    """Mostly fact-vs-literal and fact-vs-fact (either order), sometimes literal-vs-literal (constant)."""
    fact, op = st.sampled_from(facts), st.sampled_from(ops)
    return st.one_of(
        st.tuples(fact, op, lits),
        st.tuples(fact, op, fact),
        st.tuples(lits, op, fact),
        st.tuples(fact, op, lits),
        st.tuples(lits, op, lits),
    ).map(" ".join)


def membership(operand, items):
    return st.tuples(operand, st.booleans(), st.lists(items, min_size=1, max_size=4)).map(
        lambda t: f"{t[0]} {'not in' if t[1] else 'in'} [{', '.join(t[2])}]")


bool_lits = st.sampled_from(["true", "false"])
atoms = st.one_of(
    st.sampled_from(BOOL_FACTS),
    comparison(INT_FACTS, int_lits, ORDER_OPS),
    comparison(DATE_FACTS, date_lits, ORDER_OPS),
    comparison(STR_FACTS, str_lits, EQ_OPS),
    comparison(BOOL_FACTS, bool_lits, EQ_OPS),
    membership(st.sampled_from(INT_FACTS), int_lits),
    membership(st.sampled_from(STR_FACTS), str_lits),
    membership(st.sampled_from(DATE_FACTS), date_lits),
    membership(st.sampled_from(BOOL_FACTS), bool_lits),
    bool_lits,
)


def compound(children):
    paren = children.map(lambda s: f"({s})")
    return st.one_of(
        paren.map(lambda s: f"not {s}"),
        st.lists(paren, min_size=2, max_size=3).map(" and ".join),
        st.lists(paren, min_size=2, max_size=3).map(" or ".join),
        st.tuples(paren, st.sampled_from(EQ_OPS), paren).map(" ".join),
        st.tuples(paren, st.booleans(), st.lists(bool_lits, min_size=1, max_size=2)).map(
            lambda t: f"{t[0]} {'not in' if t[1] else 'in'} [{', '.join(t[2])}]"),
    )


bool_exprs = st.recursive(atoms, compound, max_leaves=8)
fact_values = st.fixed_dictionaries({
    name: {"bool": st.booleans(), "int": ints, "str": strs, "date": dates}[spec.type] for name, spec in FACTS.items()
})


@given(source=bool_exprs)
def test_generated_sources_typecheck_and_roundtrip(source):
    node = parse(source)
    assert typecheck(node, FACTS) == "bool"
    text = unparse(node)
    assert unparse(parse(text)) == text


def only_expr_errors(source: str) -> None:
    try:
        node = parse(source)
        typecheck(node, FACTS)
        to_durable(node)
    except ExprError as e:
        assert 0 <= e.offset <= len(source) and e.length >= 0 and e.message


@given(st.text(max_size=60))
def test_arbitrary_text_only_raises_expr_error(source):
    only_expr_errors(source)


@given(st.text(alphabet=list("()[] ,\"'<>=!andortuefls12n1b1s1d1-（）“”＝＞"), max_size=80))
def test_grammar_soup_only_raises_expr_error(source):
    only_expr_errors(source)


@given(exprs=st.lists(bool_exprs, min_size=1, max_size=6), assignments=st.lists(fact_values, min_size=1, max_size=3))
def test_evaluate_agrees_with_durable(exprs, assignments):
    nodes, conds = [], []
    for source in exprs:
        try:
            node = check_condition(source, FACTS)
        except ExprError as e:  # only the durable complexity limits may reject a well-typed expression
            assert "太复杂" in e.message or "太长" in e.message, (source, e.message)
            continue
        cond = to_durable(node)
        dumped = json.dumps(cond)
        assert '"$not"' not in dumped and '"$ne"' not in dumped
        nodes.append(node)
        conds.append(cond)
    if not conds:
        return
    messages = [encode_message(FACTS, values) for values in assignments]
    got = run_durable(conds, messages)
    for values, fired in zip(assignments, got):
        expected = {i for i, node in enumerate(nodes) if evaluate(node, values) is True}
        if fired != expected:
            for i in sorted(fired ^ expected):
                note(f"rule {i}: {unparse(nodes[i])} -> {json.dumps(conds[i], ensure_ascii=False)}")
            note(f"values: {values}")
        assert fired == expected


def test_ruleset_budget():
    """Runs last in this module: the session stayed well below durable-rules' ruleset limits."""
    assert _rulesets_created <= RULESET_BUDGET
