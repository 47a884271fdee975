"""Group receivers as published (issue 16, item 5): "各镇人民政府、街道办事处" (every town and street of a
county) or "城关镇等8个乡镇" (a named set) in a delegation's `townships` or an admission record's
`targets`, expanded by the loader into units."""

from __future__ import annotations

import datetime as dt
import shutil

from admission.compile.index import build_index
from admission.evaluate.decide import Decider
from admission.loader import LoadOptions, load_policy, validate_tree

from flowkit import FIXTURES, ROOT

OPTS = LoadOptions(workers=1)


def tree(tmp_path, text: str):
    root = tmp_path / "p"
    shutil.copytree(FIXTURES / "mini", root)
    (root / "groups.yaml").write_text(text, encoding="utf-8")
    return root


def test_a_county_form_group_and_a_named_group_expand_into_units(tmp_path):
    policy = load_policy(tree(tmp_path, """\
unit_groups:
  - {id: G-TOWNS, name: 市中区各镇人民政府, county: "370402", forms: [township]}
  - {id: G-TWO, name: 永安镇等2个乡镇(街道), members: ["370402101", "370402002"]}
delegations:
  - {id: W-G, matter: M-WZJY, department: D-SCJG, townships: [G-TOWNS], mode: entrust, basis: B-ENT, since: 2025-01-01}
bases:
  - {id: B-ENT, number: 市中市监委〔2025〕1号, title: 委托书, issuer: 市中区市场监管局, level: county, kind: entrustment, issued: 2025-01-01}
"""), OPTS)
    towns = sorted(u.id for u in policy.units.values() if u.kind.value == "township" and u.parent == "370402"
                   and (u.form is None or u.form.value == "township"))
    assert policy.delegations["W-G"].townships == towns and "370402002" not in towns  # 光明路街道 is a street
    assert policy.delegations["W-G"].span.line == 5  # the record keeps its place
    decider = Decider(build_index(policy))
    assert decider.may_exercise("370402101", "M-WZJY", dt.date(2025, 3, 1)).outcome.value == "allow"


def test_groups_that_cannot_stand_for_anything_are_errors_where_they_are_written(tmp_path):
    root = tree(tmp_path, """\
unit_groups:
  - {id: G-NONE, name: 空集合, county: "370403", forms: [street]}
  - {id: "370402101", name: 与单位重名, members: ["370402002"]}
  - {id: G-BAD, name: 成员不存在, members: ["370402999"]}
""")
    (root / "both.yaml").write_text(
        'unit_groups:\n  - {id: G-BOTH, name: 两种写法, county: "370402", forms: [street], members: ["370402002"]}\n',
        encoding="utf-8")
    diags = [d for d in validate_tree(root, OPTS).diagnostics if d.severity.value == "error"]
    found = {(d.code, d.span.line) for d in diags if d.span and d.span.file.endswith("groups.yaml")}
    assert ("group-empty", 2) in found and ("duplicate-id", 3) in found, [d.format() for d in diags]
    assert ("unknown-reference", 4) in found, [d.format() for d in diags]
    both = [d for d in diags if d.span and d.span.file.endswith("both.yaml")]
    assert both and both[0].span.line == 2 and "二者选一" in both[0].message


def test_the_bundled_admissions_name_their_receivers_as_published():
    policy = load_policy(ROOT / "policies", OPTS)
    assert {"G-SZ-ZJ", "G-SZ-JD"} <= set(policy.unit_groups)
    every = policy.admissions["ADM-2026-001"].targets
    assert len(every) == 11 and all(policy.units[t].kind.value == "township" for t in every)
    streets = policy.admissions["ADM-2024-003"].targets
    assert len(streets) == 6 and all(policy.units[t].form.value == "street" for t in streets)


def test_the_incremental_validator_and_the_bundle_expand_groups_as_the_loader_does(tmp_path):
    from admission.scale.build import build_bundle
    from admission.scale.bundle import open_bundle

    root = ROOT / "policies"
    loaded = load_policy(root, OPTS)
    build_bundle(root, tmp_path / "store")
    bundled = open_bundle(tmp_path / "store").policy()
    assert {a.id: a.targets for a in bundled.admissions.values()} == {a.id: a.targets for a in loaded.admissions.values()}
