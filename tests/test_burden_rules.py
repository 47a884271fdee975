"""Burden rules with the level of basis they require (issue 16, item 3): "forms may be asked of
villages only under a county's unified deployment", "a new mechanism, post or signboard in a
village needs provincial consent" — binding townships as well as departments, effective-dated."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from admission.compile.index import build_index
from admission.evaluate.decide import Decider
from admission.language.enums import AssignmentKind as K
from admission.loader import LoadOptions, load_policy, validate_tree

from flowkit import FIXTURES

ON = dt.date(2026, 3, 2)
TOWN, VILLAGE = "370402101", "370402101201"
RULES = """\
bases:
  - {id: B-PROV, number: 鲁办发〔2024〕9号, title: 省级同意, issuer: 山东省委办公厅, level: province, kind: deployment, issued: 2024-05-15}
  - {id: B-OLD, number: 市中政发〔2025〕1号, title: 区政府统一部署, issuer: 市中区人民政府, level: county, kind: deployment, issued: 2025-01-01, expires: 2025-12-31}
burden_rules:
  - {id: BR-F, name: 向村(社区)要表格材料须有县级以上统一部署, kinds: [forms_request], to: [village], min_basis_level: county, since: 2026-01-01}
  - {id: BR-M, name: 新设机制专岗须经省级同意, kinds: [mechanism_or_post, office_or_signboard], to: [village], min_basis_level: province, by: [department]}
"""


@pytest.fixture(scope="module")
def decider(tmp_path_factory):
    root = tmp_path_factory.mktemp("burden") / "p"
    shutil.copytree(FIXTURES / "mini", root)
    (root / "rules.yaml").write_text(RULES, encoding="utf-8")
    return Decider(build_index(load_policy(root, LoadOptions(workers=1))))


def ask(decider, actor, kind, basis=None, on=ON, matter="M-DB"):
    return decider.decide(actor, matter, VILLAGE, on, kind, basis=basis)


def test_the_township_is_bound_as_a_department_is(decider):
    for actor in (TOWN,):  # a department going round the township is village-bypass first (step 4)
        dec = ask(decider, actor, K.forms_request)
        assert dec.outcome.value == "deny" and dec.code == "burden-basis-level", (actor, dec)
        reason = dec.reasons[0]
        assert "县/区级以上" in reason.message and "向村(社区)要表格材料" in reason.message and "未附依据" in reason.message
        assert reason.span is not None and reason.span.file.endswith("rules.yaml") and reason.span.line == 5
    assert ask(decider, TOWN, K.task).outcome.value == "allow"  # another kind of work is not governed


def test_a_basis_of_the_level_in_force_meets_it(decider):
    assert ask(decider, TOWN, K.forms_request, basis="B-COUNTY").outcome.value == "allow"
    assert ask(decider, TOWN, K.forms_request, basis="B-PROV").outcome.value == "allow"  # higher is fine
    old = ask(decider, TOWN, K.forms_request, basis="B-OLD")
    assert old.code == "burden-basis-level" and "当日无效" in old.reasons[0].message


def test_the_level_and_the_assigning_side_and_the_date(decider):
    low = ask(decider, "D-MZ", K.mechanism_or_post, basis="B-COUNTY")
    assert low.code == "burden-basis-level" and "省级以上" in low.reasons[0].message and "不够" in low.reasons[0].message
    assert ask(decider, "D-MZ", K.office_or_signboard, basis="B-PROV").outcome.value == "allow"
    assert ask(decider, TOWN, K.mechanism_or_post).outcome.value == "allow"  # BR-M binds departments only
    assert ask(decider, TOWN, K.forms_request, on=dt.date(2025, 12, 31)).outcome.value == "allow"  # before since


def test_bad_burden_rules_are_loader_errors_at_their_place(tmp_path):
    root = tmp_path / "p"
    shutil.copytree(FIXTURES / "mini", root)
    (root / "rules.yaml").write_text(
        "burden_rules:\n  - {id: BR-X, name: 规则, kinds: [forms], to: [village], min_basis_level: county}\n"
        "  - {id: BR-Y, name: 规则, kinds: [forms_request], min_basis_level: township}\n", encoding="utf-8")
    diags = [d for d in validate_tree(root, LoadOptions(workers=1)).diagnostics if d.severity.value == "error"]
    assert ("bad-value", 2, 34) in {(d.code, d.span.line, d.span.column) for d in diags}, [d.format() for d in diags]
    level = [d for d in diags if "只能是 central/province/city/county" in d.message]
    assert level and level[0].span.line == 3, [d.format() for d in diags]


def test_the_bundled_policies_state_them_and_stay_clean():
    from admission.evaluate.checks import run_checks

    from flowkit import ROOT

    policy = load_policy(ROOT / "policies", LoadOptions(workers=1))
    assert {"BR-VILLAGE-FORMS", "BR-VILLAGE-MECHANISM"} <= set(policy.burden_rules)
    assert any(a.kind == K.forms_request for a in policy.assignments.values())
    assert [f for f in run_checks(policy, dt.date(2026, 11, 23)) if f.code == "burden-basis-level"] == []
