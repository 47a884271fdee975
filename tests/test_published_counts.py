"""Counts as facts (issue 16, item 6): a township or village list states its published counts
(`published`, per list kind, a total and counts per domain); the loader refuses malformed counts at
file:line:col; `check` reports `published-count-mismatch` when the effective list (template minus
`remove` plus own, in force on `as_of` or the check date) disagrees; policy tests assert counts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from admission.cli.main import app
from admission.evaluate.checks import run_checks
from admission.evaluate.policytest import run_tests
from admission.language.schema import policy_schema
from admission.loader import LoadOptions, validate_tree
from admission.synth import CHECK_DATE, generate

OPTS = LoadOptions(workers=1)
RULE = "published-count-mismatch"
T, V = "370402101", "370402101201"

# The template returns Z1, Z2 (综合执法) and W1 (卫生健康); 永安镇 removes Z2 and adds Z3 (综合执法,
# from 2025-07-01) and Y1 (应急管理): 4 returned entries from 2025-07-01, 3 before.
POLICY = """\
units:
  - {id: "37", name: 山东省, kind: government, level: province}
  - {id: "370402", name: 市中区, kind: government, level: county, parent: "37"}
  - {id: D1, name: 市中区综合执法局, kind: department, level: county, parent: "370402"}
  - {id: D2, name: 市中区卫生健康局, kind: department, level: county, parent: "370402"}
  - {id: "370402101", name: 永安镇, kind: township, parent: "370402"}
  - {id: "370402101201", name: 东村, kind: village, parent: "370402101"}
matters:
  - {id: Z1, name: 对占道经营的行政处罚, domain: 综合执法}
  - {id: Z2, name: 对乱倒垃圾的行政处罚, domain: 综合执法}
  - {id: Z3, name: 对擅自设置广告的行政处罚, domain: 综合执法}
  - {id: W1, name: 公共场所卫生监督检查, domain: 卫生健康}
  - {id: Y1, name: 危险化学品安全检查, domain: 应急管理}
  - {id: C1, name: 村务公开, domain: 党的建设}
power_lists:
  - holder: D1
    items: [Z1, Z2, Z3, Y1]
  - holder: D2
    items: [W1]
township_templates:
  - id: TPL
    name: 市中区标准清单
    county: "370402"
    returned:
      - {matter: Z1, taken_by: D1}
      - {matter: Z2, taken_by: D1}
      - {matter: W1, taken_by: D2}
township_lists:
  - township: "370402101"
    template: TPL
    remove: [Z2]
    returned:
      - {matter: Z3, taken_by: D1, since: 2025-07-01}
      - {matter: Y1, taken_by: D1}
    published:
      returned: {total: 4, by_domain: {综合执法: 2, 卫生健康: 1}, basis: 市中办字〔2025〕8号, as_of: 2025-08-01}
village_lists:
  - village: "370402101201"
    duties: [C1]
    published:
      duties: {total: 1}
"""
PUBLISHED = "      returned: {total: 4, by_domain: {综合执法: 2, 卫生健康: 1}, basis: 市中办字〔2025〕8号, as_of: 2025-08-01}"
ON = dt.date(2026, 11, 23)


def tree(tmp_path: Path, text: str = POLICY, *, tests: str | None = None) -> Path:
    root = tmp_path / "p"
    root.mkdir(exist_ok=True)
    (root / "a.yaml").write_text(text, encoding="utf-8")
    if tests is not None:
        (root / "counts_test.yaml").write_text(tests, encoding="utf-8")
    return root


def edit(old: str, new: str, text: str = POLICY) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def findings(tmp_path: Path, text: str = POLICY, on: dt.date = ON):
    result = validate_tree(tree(tmp_path, text), OPTS)
    assert result.ok, [d.format() for d in result.diagnostics]
    return [f for f in run_checks(result.policy, on) if f.code == RULE]


def position(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the one occurrence of `needle`."""
    assert text.count(needle) == 1, needle
    i = text.index(needle)
    line = text.count("\n", 0, i) + 1
    return line, i - (text.rfind("\n", 0, i) + 1) + 1


# --------------------------------------------------------------------------- the loader
def load_errors(tmp_path: Path, text: str):
    result = validate_tree(tree(tmp_path, text), OPTS)
    assert not result.ok
    return [(d.code, d.span.file, d.span.line, d.span.column, d.message) for d in result.diagnostics]


def test_published_counts_load(tmp_path):
    result = validate_tree(tree(tmp_path), OPTS)
    assert result.ok, [d.format() for d in result.diagnostics]
    pub = result.policy.township_lists[T].published.returned
    assert pub.total == 4 and pub.by_domain == {"综合执法": 2, "卫生健康": 1}
    assert pub.basis == "市中办字〔2025〕8号" and pub.as_of == dt.date(2025, 8, 1)
    assert result.policy.village_lists[V].published.duties.total == 1


def test_unknown_key_is_refused_at_the_key(tmp_path):
    text = edit("{total: 4,", "{totl: 4,")
    errors = load_errors(tmp_path, text)
    assert ("unknown-key", "a.yaml", *position(text, "totl"), "未知字段 'totl'") in errors
    text = edit("      returned: {total: 4", "      retuned: {total: 4")
    errors = load_errors(tmp_path, text)
    assert [e[:4] for e in errors] == [("unknown-key", "a.yaml", *position(text, "retuned"))]


def test_negative_counts_are_refused_at_the_value(tmp_path):
    text = edit("{total: 4,", "{total: -4,")
    [(code, file, line, col, message)] = load_errors(tmp_path, text)
    assert (code, file, line, col) == ("invalid-value", "a.yaml", *position(text, "-4"))
    assert "不小于 0" in message
    text = edit("卫生健康: 1}", "卫生健康: -1}")
    [(code, file, line, col, message)] = load_errors(tmp_path, text)
    assert (code, file, line, col) == ("invalid-value", "a.yaml", *position(text, "-1"))


def test_a_count_must_be_a_whole_number(tmp_path):
    text = edit("{total: 4,", "{total: 四,")
    [(code, _, line, col, _)] = load_errors(tmp_path, text)
    assert (code, line, col) == ("wrong-type", *position(text, "四,"))


def test_by_domain_summing_above_total_is_refused_at_the_count(tmp_path):
    text = edit("{total: 4,", "{total: 2,")
    [(code, file, line, col, message)] = load_errors(tmp_path, text)
    assert (code, file, line, col) == ("invalid-record", "a.yaml", *position(text, "{total: 2,"))
    assert message == "分领域数量合计 3 超过总数 2"


def test_schema_has_the_published_counts():
    defs = policy_schema()["$defs"]
    assert "published" in defs["TownshipList"]["properties"] and "published" in defs["VillageList"]["properties"]
    count = defs["PublishedCount"]
    assert count["additionalProperties"] is False and count["required"] == ["total"]
    assert count["properties"]["total"] == {**count["properties"]["total"], "type": "integer", "minimum": 0}
    assert count["properties"]["by_domain"]["additionalProperties"] == {"type": "integer", "minimum": 0}
    assert set(defs["PublishedTownship"]["properties"]) == {"basic", "cooperative", "returned"}
    assert set(defs["PublishedVillage"]["properties"]) == {"duties", "assisting", "negative", "may_certify",
                                                          "must_not_certify"}


# --------------------------------------------------------------------------- the check
def test_counts_that_agree_find_nothing(tmp_path):
    assert findings(tmp_path) == []


def test_template_minus_removals_plus_additions_is_what_is_counted(tmp_path):
    # counting the removed Z2 would make 5 (3 综合执法); leaving out the template would make 2
    for total, zf in (("5", "3"), ("2", "1")):
        text = edit(PUBLISHED, PUBLISHED.replace("total: 4", f"total: {total}").replace("综合执法: 2", f"综合执法: {zf}"))
        [f] = findings(tmp_path, text)
        assert f.subject == f"{T}/returned"
        assert f"总数公布 {total} 项、实际 4 项" in f.message and f"综合执法 公布 {zf} 项、实际 2 项" in f.message


def test_the_finding_points_at_the_published_count_and_says_what_differs(tmp_path):
    text = edit("综合执法: 2, 卫生健康: 1", "综合执法: 1, 卫生健康: 2")
    [f] = findings(tmp_path, text)
    assert (f.span.file, f.span.line, f.span.column) == ("a.yaml", *position(text, "{total: 4,"))
    assert f.severity.value == "warning" and f.help.startswith("核对公布的数量")
    assert "总数" not in f.message  # the total agrees
    assert "综合执法 公布 1 项、实际 2 项" in f.message and "卫生健康 公布 2 项、实际 1 项" in f.message
    assert "永安镇" in f.message and "上级部门收回事项" in f.message and "截至 2025-08-01" in f.message
    assert position(text, "  - township:")[0] in {s.line for s in f.related}


def test_as_of_decides_which_entries_are_in_force(tmp_path):
    # Z3 comes in on 2025-07-01: as of 2025-06-30 there are 3 entries, 1 of them 综合执法
    text = edit("as_of: 2025-08-01", "as_of: 2025-06-30")
    [f] = findings(tmp_path, text)
    assert "总数公布 4 项、实际 3 项" in f.message and "综合执法 公布 2 项、实际 1 项" in f.message
    # without as_of, the check date counts
    text = edit(", as_of: 2025-08-01", "")
    assert findings(tmp_path, text, dt.date(2025, 7, 1)) == []
    assert [f.subject for f in findings(tmp_path, text, dt.date(2025, 6, 30))] == [f"{T}/returned"]


def test_an_entry_that_lapsed_is_not_counted(tmp_path):
    text = edit("{matter: Y1, taken_by: D1}", "{matter: Y1, taken_by: D1, until: 2025-07-31}")
    [f] = findings(tmp_path, text)
    assert "总数公布 4 项、实际 3 项" in f.message


def test_a_domain_with_no_entries_counts_zero_and_unlisted_domains_are_not_compared(tmp_path):
    text = edit("卫生健康: 1}", "卫生健康: 1, 市场监管: 1}")
    [f] = findings(tmp_path, text)
    assert f.message.endswith("市场监管 公布 1 项、实际 0 项")
    # 应急管理 (Y1) is not listed: not compared
    assert findings(tmp_path, edit("{综合执法: 2, 卫生健康: 1}", "{综合执法: 2}")) == []


def test_village_lists_are_counted_too(tmp_path):
    [f] = findings(tmp_path, edit("duties: {total: 1}", "duties: {total: 2}"))
    assert f.subject == f"{V}/duties" and "东村的依法履职事项清单" in f.message


def test_a_template_publishes_counts_of_its_derived_list(tmp_path):
    """A national or provincial list states its totals too: they are compared with the template
    after its parent chain, and the finding is the owner's: "<county>/<template>/<kind>"."""
    derived = """\
  - id: TPL-PROV
    name: 省级清单
    county: "370402"
    parent: TPL
    remove: [W1]
    returned: [{matter: Y1, taken_by: D1}]
    published: {returned: {total: 3, by_domain: {综合执法: 2, 应急管理: 1}}}
township_lists:"""
    text = edit("township_lists:", derived)
    assert findings(tmp_path, text) == []  # TPL's Z1, Z2 (less W1) and its own Y1
    wrong = text.replace("{total: 3, by_domain: {综合执法: 2,", "{total: 4, by_domain: {综合执法: 3,")
    [f] = findings(tmp_path, wrong)
    assert f.subject == "370402/TPL-PROV/returned"
    assert "省级清单的上级部门收回事项清单" in f.message and "总数公布 4 项、实际 3 项" in f.message
    assert (f.span.line, f.span.column) == position(wrong, "{total: 4, by_domain: {综合执法: 3,")


def test_the_cli_reports_it(tmp_path):
    text = edit("{total: 4,", "{total: 3,").replace("综合执法: 2, 卫生健康: 1", "综合执法: 2")
    root = tree(tmp_path, text)
    res = CliRunner().invoke(app, ["check", str(root), "--on", "2026-11-23", "--format", "json", "--no-cache"])
    doc = json.loads(res.output)
    found = [d for d in doc["diagnostics"] if d["code"] == RULE]
    assert [(d["subject"], d["severity"], d["line"]) for d in found] == [(f"{T}/returned", "warning", position(text, "{total: 3,")[0])]
    assert res.exit_code == 0  # a warning: `check` fails on it only with --fail-on warning


# --------------------------------------------------------------------------- policy tests
COUNT_TESTS = """\
tests:
  - name: 永安镇收回事项 4 项
    on: 2025-08-01
    count: {unit: "370402101", list: returned, equals: 4}
  - name: 其中综合执法 2 项
    on: 2025-08-01
    count: {unit: "370402101", list: returned, domain: 综合执法, equals: 2}
  - name: 2025-07-01 之前综合执法只有 1 项
    on: 2025-06-30
    count: {unit: "370402101", list: returned, domain: 综合执法, equals: 1}
  - name: 东村依法履职事项 1 项
    on: 2025-08-01
    count: {unit: "370402101201", list: duties, equals: 1}
"""


def test_policy_test_count_assertions_pass(tmp_path):
    root = tree(tmp_path, tests=COUNT_TESTS)
    result = validate_tree(root, OPTS)
    report = run_tests(result.policy, root)
    assert not report.diagnostics and [r.passed for r in report.results] == [True] * 4, report.results


def test_policy_test_count_assertion_fails_clearly(tmp_path):
    tests = COUNT_TESTS.replace("domain: 综合执法, equals: 2", "domain: 综合执法, equals: 108")
    tests += ('  - name: 村没有收回事项清单\n    on: 2025-08-01\n'
              '    count: {unit: "370402101201", list: returned, equals: 0}\n')
    root = tree(tmp_path, tests=tests)
    report = run_tests(validate_tree(root, OPTS).policy, root)
    failed = [r for r in report.results if not r.passed]
    assert [r.name for r in failed] == ["其中综合执法 2 项", "村没有收回事项清单"]
    assert "期望 expected 108 项，实际 got 2 项" in failed[0].detail and "综合执法" in failed[0].detail
    assert failed[0].span.line == 5
    assert "没有 returned 清单" in failed[1].detail
    res = CliRunner().invoke(app, ["test", str(root)])
    assert res.exit_code == 1 and "期望 expected 108 项，实际 got 2 项" in res.output, res.output


def test_a_count_case_is_refused_with_expect_or_a_bad_kind(tmp_path):
    from admission.evaluate.policytest import read_tests

    path = tmp_path / "x_test.yaml"
    path.write_text('tests:\n  - name: x\n    on: 2025-08-01\n'
                    '    count: {unit: "1", list: returnd, equals: 1}\n', encoding="utf-8")
    tf, diags = read_tests(path, "x_test.yaml")
    assert tf is None and [(d.code, d.span.line) for d in diags] == [("bad-value", 4)] or \
        [d.span.line for d in diags] == [4], [d.format() for d in diags]
    path.write_text('tests:\n  - name: x\n    on: 2025-08-01\n'
                    '    count: {unit: "1", list: returned, equals: 1}\n    expect: {outcome: allow}\n',
                    encoding="utf-8")
    tf, diags = read_tests(path, "x_test.yaml")
    assert tf is None and [d.code for d in diags] == ["invalid-record"]


# --------------------------------------------------------------------------- the bundled policies, synth
def test_bundled_policies_publish_counts_that_agree():
    root = Path(__file__).resolve().parent.parent / "policies"
    policy = validate_tree(root, OPTS).policy
    published = {t for t, tl in policy.township_lists.items() if tl.published is not None}
    assert published == {T}
    assert [f for f in run_checks(policy, ON) if f.code == RULE] == []


def test_synth_publishes_counts_and_injects_a_mismatch(tmp_path):
    m = generate(tmp_path / "s", 6, seed=4, violations={RULE: 1})
    text = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "s").rglob("*.yaml"))
    assert text.count("    published:\n      returned: {total: ") >= 2  # the natural one and the injected one
    policy = validate_tree(tmp_path / "s", OPTS).policy
    found = {(f.code, f.subject) for f in run_checks(policy, CHECK_DATE)}
    assert found == m.subjects and [v["rule"] for v in m.violations] == [RULE]


def test_a_city_templates_count_is_reported_once_by_the_sharded_check(tmp_path):
    """The city's common village list belongs to no county: its finding is the no-county shard's,
    so the sharded check reports exactly what the local check does."""
    import shutil

    from admission.scale.bundle import build_bundle, open_bundle
    from admission.scale.shard import check_bundle, sorted_findings

    root = tmp_path / "policies"
    shutil.copytree(Path(__file__).resolve().parent.parent / "policies", root)
    common = root / "zaozhuang" / "villages-common.yaml"
    common.write_text(common.read_text(encoding="utf-8").replace("negative: {total: 13}", "negative: {total: 12}"),
                      encoding="utf-8")
    local = [(f.code, f.subject) for f in run_checks(validate_tree(root, OPTS).policy, ON)]
    assert local == [(RULE, "3704/ZZ-CJQD-2025/negative")]
    assert build_bundle(root, tmp_path / "store", OPTS).ok
    sharded = sorted_findings(list(check_bundle(open_bundle(tmp_path / "store"), ON, workers=1)))
    assert [(f.code, f.subject) for f in sharded] == local
