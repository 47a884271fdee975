"""Exercise records (`exercises:`, issue 16): a township acting — a penalty decided, an inspection
carried out — is judged by `may_exercise` on the act's own date; `exercise-without-power` fires
when it did not hold the power, and `may-exercise` names the delegation that was revoked,
expired or not yet in force (CLI, library and API)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from admission.cli.main import app
from admission.compile.index import build_index
from admission.evaluate.checks import run_checks
from admission.evaluate.decide import Decider
from admission.loader import LoadOptions, validate_tree

from test_api_kit import TOWN, running_api
from test_loader_errors import UNITS  # the mini county's units
from flowkit import build_policy_dir

OPTS = LoadOptions(workers=1)
ON = dt.date(2025, 12, 1)

TREE = UNITS + """\
bases:
  - {id: B1, number: 鲁政发〔2024〕5号, title: 决定, issuer: 山东省人民政府, level: province, kind: decision, issued: 2024-03-01, published: true}
matters:
  - {id: M1, name: 对食品摊贩违法经营的行政处罚, domain: 市场监管, power_type: penalty}
  - {id: M2, name: 对无照经营的行政处罚, domain: 市场监管, power_type: penalty}
  - {id: M3, name: 对虚假广告的行政处罚, domain: 市场监管, power_type: penalty}
  - {id: M4, name: 农村宅基地监督检查, domain: 自然资源, power_type: inspection}
  - {id: M5, name: 对占道经营的行政处罚, domain: 市场监管, power_type: penalty}
  - {id: M6, name: 创城入户调查, domain: 综合保障}
  - {id: M7, name: 对流动摊点的行政处罚, domain: 市场监管, power_type: penalty}
power_lists:
  - holder: D1
    items: [M1, M2, M3, M5, M6, M7]
  - holder: "370402101"
    items: [M4]
delegations:
  - {id: G1, matter: M1, department: D1, townships: "370402101", mode: entrust, basis: B1, since: 2024-01-01, revoked: {date: 2025-06-30, reason: 评估后收回}}
  - {id: G2, matter: M2, department: D1, townships: "370402101", mode: grant, basis: B1, since: 2026-01-01}
  - {id: G5, matter: M5, department: D1, townships: "370402101", mode: grant, basis: B1, since: 2024-01-01}
  - {id: G7, matter: M7, department: D1, townships: "370402101", mode: grant, basis: B1, since: 2024-01-01, until: 2025-05-31}
admissions:
  - {id: ADM1, matter: M6, applicant: D1, targets: "370402101", term: short, since: 2025-01-01, until: 2025-12-31, basis: B1}
"""
EXERCISES = """\
exercises:
  - {id: X-REVOKED, unit: "370402101", matter: M1, date: 2025-07-15, kind: penalty, document: 永综执罚决字〔2025〕第3号}
  - {id: X-EARLY, unit: "370402101", matter: M2, date: 2025-09-01, kind: penalty}
  - {id: X-NEVER, unit: "370402101", matter: M3, date: 2025-09-01}
  - {id: X-EXPIRED, unit: "370402101", matter: M7, date: 2025-07-01, kind: enforcement_measure}
  - {id: X-VILLAGE, unit: "370402101201", matter: M5, date: 2025-07-01}
  - {id: X-ADMITTED, unit: "370402101", matter: M6, date: 2025-03-01, kind: other}
  - {id: X-BEFORE, unit: "370402101", matter: M1, date: 2025-06-29, kind: penalty}
  - {id: X-STATUTORY, unit: "370402101", matter: M4, date: 2025-09-01, kind: inspection, note: 依法定职权开展检查}
  - {id: X-DELEGATED, unit: "370402101", matter: M5, date: 2025-09-01, kind: penalty}
"""


def _load(write_tree, files):
    root = write_tree(files)
    return root, validate_tree(root, OPTS)


def _findings(write_tree):
    root, res = _load(write_tree, {"a.yaml": TREE, "x.yaml": EXERCISES})
    assert res.policy is not None, res.diagnostics
    return root, {f.subject: f for f in run_checks(res.policy, ON) if f.code == "exercise-without-power"}


# --------------------------------------------------------------------------- the language
def test_exercises_load_with_spans_and_kinds(write_tree):
    _, res = _load(write_tree, {"a.yaml": TREE, "x.yaml": EXERCISES})
    assert res.policy is not None, res.diagnostics
    x = res.policy.exercises["X-REVOKED"]
    assert (x.unit, x.matter, x.date, x.kind.value, x.kind.label, x.document) == (
        "370402101", "M1", dt.date(2025, 7, 15), "penalty", "作出行政处罚决定", "永综执罚决字〔2025〕第3号")
    assert (x.span.file, x.span.line, x.span.column) == ("x.yaml", 2, 5)
    assert res.policy.exercises["X-NEVER"].kind is None


def test_schema_has_exercises():
    from admission.language.schema import policy_schema

    schema = policy_schema()
    assert "exercises" in schema["properties"]
    assert "Exercise" in schema["$defs"] and "kind" in schema["$defs"]["Exercise"]["properties"]


@pytest.mark.parametrize("line, code, column, help_part", [
    ('  - {id: X1, unit: "370402101", matter: M1, date: 2025-07-15, actor: D1}', "unknown-key", 63, "可用字段"),
    ('  - {id: X1, unit: "370402109", matter: M1, date: 2025-07-15}', "unknown-reference", 5, "'370402101'"),
    ('  - {id: X1, unit: "370402101", matter: M11, date: 2025-07-15}', "unknown-reference", 5, "'M1'"),
    ('  - {id: X1, unit: "370402101", matter: M1, date: 2025-02-30}', "bad-date", 51, "2月只有28天"),
    ('  - {id: X1, unit: D1, matter: M1, date: 2025-07-15}', "reference-kind", 5, None),
    ('  - {id: X1, unit: "370402101", matter: M1, date: 2025-07-15, kind: fine}', "bad-value", 69, None),
])
def test_loader_errors_are_located(write_tree, line, code, column, help_part):
    _, res = _load(write_tree, {"a.yaml": TREE, "x.yaml": "exercises:\n" + line + "\n"})
    assert res.policy is None
    [d] = [d for d in res.diagnostics if d.severity.value == "error"]
    assert (d.code, d.span.file, d.span.line) == (code, "x.yaml", 2), d
    if code not in ("unknown-reference", "reference-kind"):
        assert d.span.column == column, d
    if help_part:
        assert help_part in (d.help or ""), d


def test_duplicate_exercise_id_names_both_places(write_tree):
    dup = EXERCISES + '  - {id: X-REVOKED, unit: "370402101", matter: M5, date: 2025-09-02}\n'
    _, res = _load(write_tree, {"a.yaml": TREE, "x.yaml": dup})
    [d] = [d for d in res.diagnostics if d.code == "duplicate-id"]
    assert d.span.line == 11 and d.related[0].line == 2 and "职权行使记录 'X-REVOKED'" in d.message


# --------------------------------------------------------------------------- the rule
def test_rule_fires_after_revocation_with_the_delegation_as_related(write_tree):
    root, found = _findings(write_tree)
    f = found["X-REVOKED"]
    assert f.severity.value == "error"
    assert "委托 G1 已于 2025-06-30 收回" in f.message
    assert (f.span.file, f.span.line) == ("x.yaml", 2)
    assert [(s.file, s.line, s.column) for s in f.related] == [("a.yaml", 23, 5)]
    assert "exercise:X-REVOKED" in f.elements


def test_rule_fires_before_effective_after_expiry_never_held_and_for_a_village(write_tree):
    _, found = _findings(write_tree)
    assert "赋权 G2 自 2026-01-01 起才生效" in found["X-EARLY"].message
    assert found["X-EARLY"].related[0].line == 24
    assert "赋权 G7 已于 2025-05-31 期满" in found["X-EXPIRED"].message
    assert "既非法定，也未赋权或委托" in found["X-NEVER"].message and not found["X-NEVER"].related
    assert "村(社区)是群众自治组织" in found["X-VILLAGE"].message


def test_rule_does_not_fire_when_held(write_tree):
    _, found = _findings(write_tree)
    # statutory power list, a delegation in force, the day before the revocation
    assert not {"X-STATUTORY", "X-DELEGATED", "X-BEFORE"} & found.keys()


def test_an_admission_does_not_authorize_exercising_a_power(write_tree):
    """An admission admits work to a township's list, not a power (docs/semantics.md): the rule
    follows `may_exercise`, which never counts admissions."""
    _, found = _findings(write_tree)
    assert "X-ADMITTED" in found
    assert set(found) == {"X-REVOKED", "X-EARLY", "X-NEVER", "X-EXPIRED", "X-VILLAGE", "X-ADMITTED"}


def test_the_rule_and_may_exercise_agree_on_every_record(write_tree):
    _, res = _load(write_tree, {"a.yaml": TREE, "x.yaml": EXERCISES})
    decider = Decider(build_index(res.policy))
    found = {f.subject for f in run_checks(res.policy, ON) if f.code == "exercise-without-power"}
    denied = {x.id for x in res.policy.exercises.values()
              if not decider.may_exercise(x.unit, x.matter, x.date).allowed}
    assert found == denied


def test_check_command_reports_the_finding_at_file_line_col(write_tree):
    root = write_tree({"a.yaml": TREE, "x.yaml": EXERCISES})
    r = CliRunner().invoke(app, ["check", str(root), "--on", "2025-12-01"])
    assert "x.yaml:2:5: error[exercise-without-power]" in r.output, r.output
    assert "委托 G1 已于 2025-06-30 收回" in r.output


# --------------------------------------------------------------------------- may-exercise explains
def test_may_exercise_names_the_revocation_cli(write_tree):
    root = write_tree({"a.yaml": TREE})
    r = CliRunner().invoke(app, ["may-exercise", "-p", str(root), "--unit", "370402101", "--matter", "M1",
                                 "--on", "2025-07-15", "-f", "json"])
    assert r.exit_code == 1, r.output
    [reason] = json.loads(r.output)["decision"]["reasons"]
    assert reason["code"] == "exercise-not-held"
    assert "委托 G1 已于 2025-06-30 收回" in reason["message"]
    assert reason["source"] == "a.yaml:23:5"
    text = CliRunner().invoke(app, ["may-exercise", "-p", str(root), "--unit", "370402101", "--matter", "M1",
                                    "--on", "2025-07-15"])
    assert "委托 G1 已于 2025-06-30 收回" in text.output and "a.yaml:23:5" in text.output


EXTRA = """\
matters:
  - {id: M-SPTF, name: 对食品摊贩违法经营的行政处罚, domain: 市场监管, power_type: penalty}
power_lists:
  - holder: D-SCJG
    items: [M-SPTF]
delegations:
  - {id: G-SPTF, matter: M-SPTF, department: D-SCJG, townships: ["370402101"], mode: grant, basis: B-PROV-DEC, since: 2024-01-01, revoked: {date: 2025-02-01, reason: 评估后收回}}
"""


def test_may_exercise_names_the_revocation_api(tmp_path):
    (tmp_path / "p").mkdir()
    root = build_policy_dir(tmp_path / "p")
    (root / "revoked.yaml").write_text(EXTRA, encoding="utf-8")
    (root / "done.yaml").write_text(
        "exercises:\n"
        "  - {id: X1, unit: \"370402101\", matter: M-SPTF, date: 2025-01-15, kind: penalty, document: 永罚〔2025〕1号}\n"
        "  - {id: X2, unit: \"370402101\", matter: M-SPTF, date: 2025-03-01}\n", encoding="utf-8")
    with running_api(tmp_path / "api", "sqlite", policies=root) as api:
        r = api.post("/v1/exercise-checks", {"unit": TOWN, "matter": "M-SPTF", "on": "2025-03-01"})
        assert r.status_code == 200, r.text
        body = r.json()
        [reason] = body["reasons"]
        assert (body["allowed"], reason["code"]) == (False, "exercise-not-held")
        assert "赋权 G-SPTF 已于 2025-02-01 收回" in reason["message"]
        assert reason["source"] == "revoked.yaml:7:5"
        ok = api.post("/v1/exercise-checks", {"unit": TOWN, "matter": "M-SPTF", "on": "2025-01-31"}).json()
        assert ok["allowed"] is True
        # the unit's duties page lists what it actually did, up to the day asked about
        page = api.get(f"/v1/units/{TOWN}/duties?on=2025-02-01", who="reader").json()
        assert page["exercises"] == [{"id": "X1", "matter": "M-SPTF", "matter_name": "对食品摊贩违法经营的行政处罚",
                                      "date": "2025-01-15", "kind": "penalty", "document": "永罚〔2025〕1号",
                                      "source": "done.yaml:2:5"}]
        later = api.get(f"/v1/units/{TOWN}/duties?on=2025-06-01", who="reader").json()
        assert [x["id"] for x in later["exercises"]] == ["X2", "X1"]


def test_diff_names_the_exercise_records_a_change_adds_or_withdraws(tmp_path):
    """Beside the findings they cause, `diff` lists the records themselves, per unit."""
    from admission.explain.diff import diff_policies, format_text

    def tree(name, exercises):
        root = tmp_path / name
        root.mkdir()
        (root / "a.yaml").write_text(TREE, encoding="utf-8")
        (root / "x.yaml").write_text(exercises, encoding="utf-8")
        return validate_tree(root, OPTS).policy

    lines = EXERCISES.splitlines(keepends=True)
    old = tree("old", "".join(line for line in lines if "X-NEVER" not in line))
    new = tree("new", "".join(line for line in lines if "X-VILLAGE" not in line))
    diff = diff_policies(old, new, ON)
    changed = {u.unit: (u.exercised, u.unexercised) for u in diff.units if u.exercised or u.unexercised}
    assert changed == {"370402101": ([("X-NEVER", "M3", dt.date(2025, 9, 1))], []),
                       "370402101201": ([], [("X-VILLAGE", "M5", dt.date(2025, 7, 1))])}
    out = diff.to_dict()
    town = next(u for u in out["units"] if u["unit"] == "370402101")
    assert town["exercises_added"] == [{"id": "X-NEVER", "matter": "M3", "date": "2025-09-01"}]
    assert "+ 行使记录 exercise X-NEVER" in format_text(diff, {}) and "- 行使记录 exercise X-VILLAGE" in format_text(diff, {})


def test_the_township_view_lists_its_exercise_records_and_marks_those_without_power(write_tree):
    from admission.render.findings import FINDING
    from admission.render.unit import unit_view

    root, res = _load(write_tree, {"a.yaml": TREE, "x.yaml": EXERCISES})
    policy = res.policy
    index = build_index(policy)
    findings = run_checks(policy, ON, index)
    source = unit_view(policy, index, "370402101", on=ON, findings=findings).source
    node = next(line for line in source.splitlines() if line.lstrip().startswith("exercises ["))
    assert "职权行使记录（8 条）" in node  # the township's 8 (X-VILLAGE is the village's)
    assert FINDING in node and node.count("[exercise-without-power]") == 5  # X-REVOKED, -EARLY, -NEVER, -EXPIRED, -ADMITTED
    calm = unit_view(policy, index, "370402101", on=ON, findings=[]).source
    calm_node = next(line for line in calm.splitlines() if line.lstrip().startswith("exercises ["))
    assert FINDING not in calm_node
    expanded = unit_view(policy, index, "370402101", on=ON, expanded=True).source
    assert "另 " not in expanded and "X-STATUTORY" in expanded
