"""The registers beside the lists (issue 20): loading with located errors, the five questions
with their reasons (library, CLI, API), the burden view and the county ranking."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest
from typer.testing import CliRunner

import flowkit
import test_api_kit
from admission.cli.main import app
from admission.compile.index import build_index
from admission.evaluate.burden import county_burden, unit_burden
from admission.evaluate.registers import RegisterDecider
from admission.loader import LoadOptions, validate_tree
from test_api_kit import COUNTY, TOWN, VILLAGE, is_problem, running_api

OPTS = LoadOptions(workers=1)
ON = dt.date(2026, 6, 1)

REGISTERS = """\
title: 登记册（示例）
inspection_plans:
  - id: P-1
    department: D-SCJG
    year: 2026
    approval: {by: "370402", date: 2026-01-10, document: 市中办发〔2026〕1号}
    baseline: {year: 2025, count: 3}
    items:
      - {id: I-1, name: 食品安全检查, targets: ["370402101"]}
    one_off:
      - {id: I-2, name: 节日专项检查, approval: {by: "370402", date: 2026-05-01}}
      - {id: I-3, name: 未批准的检查}
inspections:
  - {id: X-1, department: D-SCJG, target: "370402101", date: 2026-03-01, item: I-1}
  - {id: X-2, department: D-SCJG, target: "370402101", date: 2026-05-20, item: I-3}
  - {id: X-0, department: D-SCJG, target: "370402101", date: 2025-04-01, item: I-1}
secondments:
  - {id: S-1, township: "370402101", organ: D-ZJ, count: 2, since: 2026-01-01, until: 2026-12-31, admission: {by: "370402", date: 2025-12-20}}
  - {id: S-2, township: "370402101", organ: D-MZ, count: 1, since: 2026-01-01, until: 2026-03-31}
board_registers:
  - unit: "370402101201"
    baseline: {year: 2025, count: 12}
    boards:
      - {id: BD-1, name: 村民委员会, kind: outer_sign}
      - {id: BD-2, name: 红白理事会, kind: mechanism}
      - {id: BD-3, name: 乡村振兴工作站, kind: mechanism, consent: {by: "37", date: 2025-01-01}}
    present: [BD-1, 村民委员会, BD-3]
seal_scopes:
  - {community: "370402101201", purposes: [{id: SEAL-1, name: 居住证明}]}
forms:
  - {id: F-1, name: 民政基础数据表, department: D-MZ, targets: ["370402101", "370402101201"], fields: [户数, 人口数, 低保户数]}
  - {id: F-2, name: 人口健康表, department: D-ZJ, targets: ["370402101201"], fields: [人口数, 户数, 床位数]}
"""


@pytest.fixture()
def tree(tmp_path):
    root = flowkit.build_policy_dir(tmp_path)
    (root / "registers.yaml").write_text(REGISTERS, encoding="utf-8")
    return root


def _load(root):
    res = validate_tree(root, OPTS)
    assert res.ok, [d.format() for d in res.diagnostics]
    return res.policy


# --------------------------------------------------------------------------- loading
def test_a_secondment_without_its_term_is_refused_at_its_line(tree):
    (tree / "registers.yaml").write_text(REGISTERS.replace(", until: 2026-03-31}", "}"), encoding="utf-8")
    res = validate_tree(tree, OPTS)
    (d,) = [d for d in res.diagnostics if d.severity.value == "error"]
    line = REGISTERS.splitlines().index(next(x for x in REGISTERS.splitlines() if "{id: S-2" in x)) + 1
    assert (d.span.file, d.span.line, d.span.column) == ("registers.yaml", line, 5) and "期限" in d.message


def test_an_unknown_or_wrong_kind_of_unit_is_located(tree):
    text = REGISTERS.replace('target: "370402101", date: 2026-05-20', 'target: D-ZJ, date: 2026-05-20')
    text = text.replace("organ: D-MZ", "organ: D-NONE")
    (tree / "registers.yaml").write_text(text, encoding="utf-8")
    res = validate_tree(tree, OPTS)
    got = {(d.code, d.span.line) for d in res.diagnostics}
    lines = text.splitlines()
    assert ("reference-kind", next(i for i, x in enumerate(lines, 1) if "{id: X-2" in x)) in got
    assert ("unknown-reference", next(i for i, x in enumerate(lines, 1) if "{id: S-2" in x)) in got


def test_an_unknown_board_kind_is_refused(tree):
    (tree / "registers.yaml").write_text(REGISTERS.replace("kind: outer_sign", "kind: 门牌"), encoding="utf-8")
    res = validate_tree(tree, OPTS)
    assert not res.ok and any("kind" in d.message or "类别" in d.message for d in res.diagnostics)


# --------------------------------------------------------------------------- the five questions
def test_the_five_questions_with_their_reasons(tree):
    d = RegisterDecider(build_index(_load(tree)))
    ok = d.may_inspect("D-SCJG", "I-1", TOWN, ON)
    assert ok.allowed and ok.reasons[0].code == "in-plan" and ok.authority.record_id == "P-1"
    assert ok.authority.legal_basis == "市中办发〔2026〕1号" and ok.reasons[0].span.file == "registers.yaml"
    assert d.may_inspect("D-SCJG", "I-2", TOWN, ON).reasons[0].code == "one-off-approved"
    assert d.may_inspect("D-SCJG", "I-2", TOWN, dt.date(2026, 4, 30)).code == "inspection-outside-plan"
    assert d.may_inspect("D-SCJG", "I-3", TOWN, ON).code == "inspection-outside-plan"
    assert d.may_inspect("D-SCJG", "I-1", TOWN, dt.date(2025, 6, 1)).code == "inspection-outside-plan"  # no 2025 plan
    assert d.may_inspect("D-ZJ", "I-1", TOWN, ON).code == "inspection-outside-plan"

    assert d.may_second("D-ZJ", TOWN, 2, ON).allowed
    denied = d.may_second("D-ZJ", TOWN, 3, ON)
    assert denied.code == "secondment-without-admission" and "只有 2 人" in denied.reasons[0].message
    assert d.may_second("D-MZ", TOWN, 1, dt.date(2026, 2, 1)).code == "secondment-without-admission"

    assert d.may_hang(VILLAGE, "村民委员会", ON).allowed and d.may_hang(VILLAGE, "BD-3", ON).allowed
    assert d.may_hang(VILLAGE, "BD-2", ON).code == "board-without-consent"
    assert d.may_hang(VILLAGE, "党建示范牌", ON).code == "board-outside-register"

    assert d.may_seal(VILLAGE, "居住证明", ON).allowed and d.may_seal(VILLAGE, "SEAL-1", ON).allowed
    assert d.may_seal(VILLAGE, "企业经营证明", ON).code == "seal-use-outside-scope"

    assert d.may_request_form("D-MZ", VILLAGE, "F-1", ON).allowed
    assert "不是" in d.may_request_form("D-ZJ", VILLAGE, "F-1", ON).reasons[0].message
    assert d.may_request_form("D-ZJ", TOWN, "F-2", ON).code == "form-not-registered"
    assert d.may_request_form("D-MZ", VILLAGE, "F-9", ON).code == "form-not-registered"
    assert d.may_request_form("D-NONE", VILLAGE, "F-1", ON).outcome.value == "error"


# --------------------------------------------------------------------------- burden
def test_the_burden_of_a_township_is_counted_from_the_records(tree):
    b = unit_burden(build_index(_load(tree)), TOWN, ON)
    rows = {r.key: r for r in b.rows}
    assert b.baseline_year == 2025
    assert (rows["inspections"].count, rows["inspections"].limit, rows["inspections"].baseline) == (2, 1, 3)
    assert rows["inspections"].baseline_year == 2025  # P-1 says it replaced 3 in 2025
    assert rows["inspections"].over and rows["inspections"].details == ("计划外 outside the plan: X-2",)
    assert (rows["seconded"].count, rows["seconded"].limit) == (3, 2)  # S-2 is past its term and not returned
    assert rows["forms"].count == 1 and rows["duplicate_fields"].count == 0


def test_the_burden_of_a_village_names_the_duplicate_fields(tree):
    b = unit_burden(build_index(_load(tree)), VILLAGE, ON)
    rows = {r.key: r for r in b.rows}
    assert rows["duplicate_fields"].details == ("F-1+F-2: 户数、人口数",) and rows["duplicate_fields"].over
    assert (rows["boards"].count, rows["boards"].limit, rows["boards"].baseline, rows["boards"].change) == (3, 3, 12, -9)
    assert rows["seal_uses"].count == 0


def test_the_county_ranks_its_townships(tree):
    ranked = county_burden(build_index(_load(tree)), COUNTY, ON)
    assert [b.unit for b in ranked][0] == TOWN and all(b.kind == "township" for b in ranked)


# --------------------------------------------------------------------------- CLI
runner = CliRunner()


def test_cli_ask_and_burden(tree):
    out = runner.invoke(app, ["ask", "hang", "-p", str(tree), "--unit", VILLAGE, "--board", "BD-2", "--on", "2026-06-01"])
    assert out.exit_code == 1 and "board-without-consent" in out.output, out.output
    out = runner.invoke(app, ["ask", "second", "-p", str(tree), "--organ", "D-ZJ", "--township", TOWN, "--count", "2",
                              "--on", "2026-06-01", "-f", "json"])
    assert out.exit_code == 0 and json.loads(out.output)["decision"]["authority"]["record"] == "S-1"
    out = runner.invoke(app, ["burden", TOWN, "-p", str(tree), "--on", "2026-06-01"])
    assert out.exit_code == 1 and "超限 OVER" in out.output and "X-2" in out.output, out.output
    out = runner.invoke(app, ["burden", COUNTY, "-p", str(tree), "--on", "2026-06-01", "-f", "json"])
    assert out.exit_code == 1 and json.loads(out.output)["ranking"][0]["unit"] == TOWN
    assert runner.invoke(app, ["burden", "NOPE", "-p", str(tree)]).exit_code == 2


# --------------------------------------------------------------------------- API
@pytest.fixture()
def api(tmp_path, monkeypatch):
    def with_registers(tmp):
        root = flowkit.build_policy_dir(tmp)
        (root / "registers.yaml").write_text(REGISTERS, encoding="utf-8")
        return root

    monkeypatch.setattr(test_api_kit, "build_policy_dir", with_registers)
    with running_api(tmp_path, "sqlite") as a:
        yield a


def test_api_register_questions_and_burden(api):
    r = api.get("/v1/registers/inspect", who="reader",
                params={"department": "D-SCJG", "item": "I-3", "target": TOWN, "on": "2026-06-01"})
    assert r.status_code == 200 and r.json()["outcome"] == "deny", r.text
    assert r.json()["reasons"][0]["code"] == "inspection-outside-plan"
    r = api.get("/v1/registers/seal", who="town", params={"community": VILLAGE, "purpose": "居住证明", "on": "2026-06-01"})
    assert r.json()["allowed"] is True and r.json()["authority"]["record"] == "SEAL-1"
    r = api.get("/v1/registers/form", who="reader", params={"department": "D-MZ", "unit": VILLAGE, "form": "F-1",
                                                             "on": "2026-06-01"})
    assert r.json()["allowed"] is True
    r = api.get("/v1/registers/second", who="reader", params={"organ": "D-ZJ", "township": TOWN, "count": 3,
                                                               "on": "2026-06-01"})
    assert r.json()["outcome"] == "deny"
    r = api.get("/v1/registers/hang", who="reader", params={"unit": VILLAGE, "board": "BD-9", "on": "2026-06-01"})
    assert r.json()["reasons"][0]["code"] == "board-outside-register"
    r = api.get(f"/v1/units/{TOWN}/burden", who="reader", params={"on": "2026-06-01"})
    assert r.status_code == 200 and {x["key"]: x["count"] for x in r.json()["rows"]}["inspections"] == 2
    r = api.get(f"/v1/counties/{COUNTY}/burden", who="reader", params={"on": "2026-06-01"})
    assert r.json()["townships"][0]["unit"] == TOWN


def test_api_register_errors(api):
    is_problem(api.get("/v1/registers/hang", who="reader", params={"unit": "NOPE", "board": "x"}), 422, "unknown-id")
    is_problem(api.get(f"/v1/units/{COUNTY}/burden", who="reader"), 422, "wrong-kind")
    is_problem(api.get("/v1/registers/seal", who="reader", params={"community": VILLAGE, "purpose": "x", "extra": 1}), 422)
    is_problem(api.get("/v1/registers/seal", who=None, params={"community": VILLAGE, "purpose": "x"}), 401)


# --------------------------------------------------------------------------- Excel
def _records(policy) -> dict:
    from admission.language.policy import REGISTER_SECTIONS

    return {s: {k: r.model_dump(mode="json") for k, r in getattr(policy, s).items()} for s in REGISTER_SECTIONS}


def test_registers_round_trip_through_excel(tree, tmp_path):
    policy = _load(tree)
    book = tmp_path / "registers.xlsx"
    out = runner.invoke(app, ["export", "registers", "-p", str(tree), "--county", COUNTY, "-o", str(book)])
    assert out.exit_code == 0, out.output
    import openpyxl

    wb = openpyxl.load_workbook(book)
    assert "督查检查考核计划" in wb.sheetnames and wb["借调乡镇(街道)人员"]["B2"].value == TOWN
    plan_rows = list(wb["督查检查考核计划"].iter_rows(values_only=True))
    assert len(plan_rows) == 1 + 3 and plan_rows[0][-1] == "临时申报"  # one row per item, one-offs marked
    (tree / "registers.yaml").unlink()
    back = tree / "imported.yaml"
    out = runner.invoke(app, ["import", "registers", str(book), "-o", str(back)])
    assert out.exit_code == 0, out.output
    assert _records(_load(tree)) == _records(policy)


def test_a_bad_register_cell_is_named(tree, tmp_path):
    import openpyxl

    book = tmp_path / "r.xlsx"
    assert runner.invoke(app, ["export", "registers", "-p", str(tree), "-c", COUNTY, "-o", str(book)]).exit_code == 0
    wb = openpyxl.load_workbook(book)
    wb["借调乡镇(街道)人员"]["D2"] = "两人"
    wb.save(book)
    out = runner.invoke(app, ["import", "registers", str(book), "-o", str(tmp_path / "x.yaml")])
    assert out.exit_code == 2 and "第 2 行“人数”" in out.output, out.output


# --------------------------------------------------------------------------- render
def test_the_burden_render_marks_rows_over_their_limit(tree):
    from admission.render.burden import burden_view

    src = burden_view(build_index(_load(tree)), VILLAGE, ON).source
    dup = next(line for line in src.splitlines() if line.lstrip().startswith('"row/duplicate_fields"'))
    forms = next(line for line in src.splitlines() if line.lstrip().startswith('"row/forms"'))
    assert "#d62728" in dup and "F-1+F-2: 户数、人口数" in dup
    assert "#d62728" not in forms and "F-1 民政基础数据表" in forms
    with pytest.raises(ValueError):
        burden_view(build_index(_load(tree)), "NOPE", ON)


def test_a_city_departments_plan_is_checked_once_by_the_sharded_check(tmp_path):
    """A city department's plan sits in no county: the no-county shard reports its finding, so
    the sharded check finds exactly what the local check finds (before, no shard owned it)."""
    from pathlib import Path

    from admission.evaluate.checks import run_checks
    from admission.scale.bundle import build_bundle, open_bundle
    from admission.scale.shard import check_bundle, sorted_findings

    root = tmp_path / "policies"
    shutil.copytree(Path(__file__).resolve().parent.parent / "policies", root)
    (root / "city-plan.yaml").write_text(
        "inspection_plans:\n"
        "  - {id: P-CITY-SCJ, department: \"11370400MB2477099B\", year: 2026, approval: {by: \"3704\", date: 2026-01-20},"
        " items: [{id: I-C1, name: 全市食品安全检查}, {id: I-C2, name: 全市药品安全检查}]}\n", encoding="utf-8")
    on = dt.date(2026, 11, 23)
    opts = LoadOptions(workers=1)
    local = [(f.code, f.subject) for f in run_checks(validate_tree(root, opts).policy, on)]
    assert local == [("inspection-plan-over-limit", "11370400MB2477099B/P-CITY-SCJ")]
    assert build_bundle(root, tmp_path / "store", opts).ok
    sharded = sorted_findings(list(check_bundle(open_bundle(tmp_path / "store"), on, workers=1)))
    assert [(f.code, f.subject) for f in sharded] == local


def test_policy_tests_ask_the_register_questions(tmp_path):
    """`ask:` cases put the five questions to the registers; a wrong expectation fails with the
    reason, and a question missing what it needs is refused where it is written."""
    from pathlib import Path

    from admission.evaluate.policytest import read_tests, run_tests

    violations = Path(__file__).resolve().parent.parent / "examples" / "violations"
    root = tmp_path / "v"
    shutil.copytree(violations, root)
    policy = validate_tree(root, LoadOptions(workers=1)).policy
    report = run_tests(policy, root)
    asked = [r for r in report.results if "借调" in r.name or "牌子" in r.name or "印章" in r.name]
    assert asked and all(r.passed for r in asked), [(r.name, r.detail) for r in asked]
    test_file = root / "violations_test.yaml"
    text = test_file.read_text(encoding="utf-8")
    test_file.write_text(text.replace("count: 2}\n    expect: {outcome: allow}", "count: 2}\n    expect: {outcome: deny}"),
                         encoding="utf-8")
    [failed] = [r for r in run_tests(policy, root).results if not r.passed]
    assert failed.name == "经县级借调准入可借调邳庄镇2人、不可借调3人"
    assert "期望 expected deny，实际 got allow" in failed.detail and "借调准入" in failed.detail
    bad = tmp_path / "bad_test.yaml"
    bad.write_text('tests:\n  - name: x\n    on: 2026-05-01\n    ask: {question: second, unit: "370405100"}\n'
                   '    expect: {outcome: allow}\n', encoding="utf-8")
    tf, diags = read_tests(bad, "bad_test.yaml")
    assert tf is None and [d.span.line for d in diags] == [4] and "by、count" in diags[0].message, \
        [d.format() for d in diags]
