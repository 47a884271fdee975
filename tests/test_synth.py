"""The synthetic tree generator: deterministic, valid, at national proportions, and every injected
violation is found exactly (rule and subject) by the checks."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

from admission.compile.expand import TOWNSHIP_KINDS, township_entries, village_entries
from admission.loader import LoadOptions, validate_tree
from admission.synth import CHECK_DATE, RULES, generate, inject_all

HAS_CHECKS = importlib.util.find_spec("admission.evaluate.checks") is not None


def _load(root: Path):
    result = validate_tree(root, LoadOptions(workers=1))
    assert result.ok, [d.format() for d in result.diagnostics[:10]]
    return result.policy


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    """Generated once per module: clean with and without templates (same seed), and injected."""
    base = tmp_path_factory.mktemp("synth")
    out = {
        "tpl": generate(base / "tpl", 24, seed=3),
        "flat": generate(base / "flat", 24, seed=3, templates=False),
        "all": inject_all(base / "all", 20, seed=11),
        "all-flat": inject_all(base / "all-flat", 15, seed=12, templates=False),
    }
    return base, out


@pytest.fixture(scope="module")
def policies(trees):
    base, _ = trees
    return {name: _load(base / name) for name in ("tpl", "flat", "all", "all-flat")}


# --------------------------------------------------------------------------- determinism
def test_same_seed_same_bytes(tmp_path):
    a = generate(tmp_path / "a", 18, seed=7, violations={"missing-lead": 2, "pushdown-unlisted": 1})
    b = generate(tmp_path / "b", 18, seed=7, violations={"missing-lead": 2, "pushdown-unlisted": 1})
    fa, fb = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert fa.keys() == fb.keys() and "manifest.json" in fa
    assert fa == fb
    assert a.to_dict() == b.to_dict()
    c = generate(tmp_path / "c", 18, seed=8)
    assert _files(tmp_path / "c") != fa and c.to_dict() != a.to_dict()


def test_regenerate_replaces_previous_tree_but_never_foreign_files(tmp_path):
    generate(tmp_path / "t", 16, seed=1)
    first = _files(tmp_path / "t")
    generate(tmp_path / "t", 16, seed=1)  # a previous synth tree is replaced
    assert _files(tmp_path / "t") == first
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "keep.yaml").write_text("units: []\n", encoding="utf-8")
    with pytest.raises(FileExistsError):
        generate(foreign, 5)
    assert (foreign / "keep.yaml").exists()
    with pytest.raises(ValueError):
        generate(tmp_path / "x", 5, violations={"no-such-rule": 1})


# --------------------------------------------------------------------------- validity and proportions
def test_both_layouts_validate(policies):
    for name in ("tpl", "flat"):
        p = policies[name]
        assert len(p.township_lists) == 24
        assert p.township_templates if name == "tpl" else not p.township_templates


def test_templates_and_flat_lists_expand_to_the_same_entries(policies):
    tpl, flat = policies["tpl"], policies["flat"]
    assert tpl.township_lists.keys() == flat.township_lists.keys()
    for tid in tpl.township_lists:
        a, b = township_entries(tpl, tid), township_entries(flat, tid)
        for kind in TOWNSHIP_KINDS:
            assert sorted(e.matter for e in getattr(a, kind)) == sorted(e.matter for e in getattr(b, kind))
    for vid in tpl.village_lists:
        assert village_entries(tpl, vid).count() == village_entries(flat, vid).count()
        # the county's village template derives its negative list from the province's
        a, b = village_entries(tpl, vid), village_entries(flat, vid)
        assert [e.matter for e in a.negative] == [e.matter for e in b.negative]
        assert a.certify_only_listed == b.certify_only_listed
        if a.certify_only_listed:  # a county's positive list ends with the catch-all, in both forms
            assert [x.name for x in a.catch_all] == [x.name for x in b.catch_all]
    assert any(village_entries(tpl, v).catch_all for v in tpl.village_lists)
    parents = {t.parent for t in tpl.village_templates.values() if t.owner != "99"}
    assert parents and all(p in tpl.village_templates for p in parents)
    assert all(t.remove for t in tpl.village_templates.values() if t.parent)


def test_national_proportions(policies, trees):
    p = policies["tpl"]
    per_kind = Counter()
    for tid in p.township_lists:
        te = township_entries(p, tid)
        assert 306 <= te.count() <= 374, (tid, te.count())  # ≈340 ± 10 %
        for kind in TOWNSHIP_KINDS:
            per_kind[kind] += len(getattr(te, kind))
    n = len(p.township_lists)
    assert 105 <= per_kind["basic"] / n <= 129
    assert 89 <= per_kind["cooperative"] / n <= 109
    assert 112 <= per_kind["returned"] / n <= 136
    villages = [u for u in p.units.values() if u.kind.value == "village"]
    assert 10 <= len(villages) / n <= 16
    sizes = [village_entries(p, v).count() for v in p.village_lists]
    assert len(sizes) == len(villages) and 36 <= sum(sizes) / len(sizes) <= 44
    counties = [u for u in p.units.values() if u.kind.value == "government" and u.level.value == "county"]
    depts = Counter(p.units[u.parent].id for u in p.units.values()
                    if u.kind.value == "department" and u.level.value == "county" and u.until is None)
    assert all(25 <= depts[c.id] <= 40 for c in counties)
    assert all(len(u.id) == 18 for u in p.units.values() if u.kind.value == "department")
    assert len(p.matters) >= 2000
    assert p.delegations and p.admissions and p.assignments
    assert 3 <= len(p.assignments) / n <= 7
    m = trees[1]["tpl"].counts
    assert m["townships"] == n and m["entries"] == sum(te for te in (m["township_entries"], m["village_entries"]))


# --------------------------------------------------------------------------- injections
def test_manifest_lists_exactly_the_requested_injections(tmp_path):
    wanted = {"missing-lead": 3, "pushdown-unlisted": 2, "delegation-specialist": 1, "overlap-two-leads": 2,
              "template-other-county": 2}
    m = generate(tmp_path / "t", 20, seed=5, violations=wanted)
    assert Counter(v["rule"] for v in m.violations) == Counter(wanted)
    assert len({(v["rule"], v["subject"]) for v in m.violations}) == sum(wanted.values())
    on_disk = json.loads((tmp_path / "t" / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk["violations"] == m.violations and on_disk["check_date"] == CHECK_DATE.isoformat()
    assert on_disk["seed"] == 5 and on_disk["townships"] == 20 and on_disk["counts"]["injected"] == 10


def test_inject_all_still_validates(policies, trees):
    for name in ("all", "all-flat"):
        m = trees[1][name]
        assert sorted(v["rule"] for v in m.violations) == sorted(RULES)
        assert len(m.subjects) == len(RULES)
        assert policies[name] is not None


@pytest.mark.skipif(not HAS_CHECKS, reason="admission.evaluate.checks is not there yet")
def test_clean_trees_have_no_findings(policies):
    checks = pytest.importorskip("admission.evaluate.checks")
    for name in ("tpl", "flat"):
        found = checks.run_checks(policies[name], CHECK_DATE)
        assert not found, [(d.code, d.subject) for d in found[:10]]


@pytest.mark.skipif(not HAS_CHECKS, reason="admission.evaluate.checks is not there yet")
def test_findings_equal_the_manifest(policies, trees):
    checks = pytest.importorskip("admission.evaluate.checks")
    for name in ("all", "all-flat"):
        found = {(d.code, d.subject) for d in checks.run_checks(policies[name], CHECK_DATE)}
        expected = trees[1][name].subjects
        assert found == expected, {"missing": sorted(expected - found), "extra": sorted(found - expected)}


# --------------------------------------------------------------------------- CLI
def test_cli_synth(tmp_path):
    from typer.testing import CliRunner

    from admission.cli.main import app

    runner = CliRunner()
    res = runner.invoke(app, ["synth", "--townships", "12", "--out", str(tmp_path / "t"), "--seed", "2",
                              "--violations", "missing-taker=2", "--no-templates"])
    assert res.exit_code == 0, res.output
    assert "townships 12" in res.output and "injected 2" in res.output
    manifest = json.loads((tmp_path / "t" / "manifest.json").read_text(encoding="utf-8"))
    assert [v["rule"] for v in manifest["violations"]] == ["missing-taker", "missing-taker"]
    assert manifest["templates"] is False
    res = runner.invoke(app, ["synth", "-n", "3", "-o", str(tmp_path / "u"), "--violations", "bogus=1"])
    assert res.exit_code == 2
