"""`admission validate` with its cache: the same diagnostics as a full load, and after a change
to one file only that file is parsed again while the other files' references are checked
against the changed ids."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from admission.scale.bundle import validate_incremental
from admission.cli.main import app
from admission.loader import LoadOptions, validate_tree

BASE = {
    "a.yaml": "units:\n  - {id: C1, name: 某县, kind: government, level: county}\n"
              "  - {id: T1, name: 某镇, kind: township, parent: C1}\n"
              "matters:\n  - {id: M1, name: 事项一, domain: 综合}\n",
    "b.yaml": "township_lists:\n"
              "  - township: T1\n"
              "    basic: [M1]\n",
    "c.yaml": "matters:\n  - {id: M2, name: 事项二, domain: 综合}\n",
}


def _validate(runner: CliRunner, root, *extra: str) -> tuple[int, dict]:
    out = runner.invoke(app, ["validate", str(root), "-f", "json", *extra])
    return out.exit_code, json.loads(out.stdout)


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("ADMISSION_CACHE_DIR", str(tmp_path / "cache"))
    return CliRunner()


def test_cached_validate_reports_what_the_full_load_reports(cli, write_tree):
    root = write_tree({
        "a.yaml": "units:\n  - {id: C1, name: 县, kind: government, level: county}\n"
                  "  - {id: V1, name: 村, kind: village, parent: C1}\n"
                  "township_lists:\n  - {township: V1, basic: [M1, M9]}\n",
        "b.yaml": "units:\n  - {id: C1, name: 另一个县, kind: government, level: county}\n"
                  "matters:\n  - {id: M1, name: 事项, domain: 综合}\n  - {id: M1, name: 又一个, domain: 综合}\n",
        "c.yaml": "matters:\n  - {id: M2, name: 事项二, domain: 综合, power_typ: 行政处罚}\n",
    })
    code, cached = _validate(cli, root)
    code_full, full = _validate(cli, root, "--no-cache")
    assert code == code_full == 1
    assert cached["diagnostics"] == full["diagnostics"]
    codes = sorted(d["code"] for d in cached["diagnostics"])
    assert codes == ["duplicate-id", "duplicate-id", "reference-kind", "unknown-key", "unknown-reference"]
    again_code, again = _validate(cli, root)  # every result from the caches now
    assert (again_code, again["diagnostics"]) == (1, full["diagnostics"])


def test_cached_validate_checks_derived_lists_across_files_like_the_full_load(cli, write_tree):
    """A template's parent chain and what a derived list takes away span files: the cached
    validation (per-file summaries) reports the cycle and the dangling rewording and removal."""
    root = write_tree({
        **BASE,
        "t.yaml": "township_templates:\n"
                  "  - {id: A, name: 甲, county: C1, parent: B, basic: [M1]}\n"
                  "  - {id: B, name: 乙, county: C1, parent: A}\n"
                  "  - {id: N, name: 国家, county: C1, basic: [M1]}\n"
                  "  - {id: P, name: 省, county: C1, parent: N, remove: [M2], basic: [{matter: M2, rewords: M9}]}\n",
        "b.yaml": "township_lists:\n  - {township: T1, template: P, remove: [M1, M1x], basic: [{matter: M2, rewords: M1}]}\n",
        "c.yaml": "matters:\n  - {id: M2, name: 事项二, domain: 综合}\n  - {id: M9, name: 九, domain: 综合}\n"
                  "  - {id: M1x, name: 又一, domain: 综合}\n",
    })
    code, cached = _validate(cli, root)
    code_full, full = _validate(cli, root, "--no-cache")
    assert code == code_full == 1
    assert cached["diagnostics"] == full["diagnostics"]
    codes = sorted(d["code"] for d in cached["diagnostics"])
    # P removes M2 and rewords M9, neither on N; T1 removes M1x, not on P (M1 is; M2 is reworded)
    assert codes == ["remove-not-in-parent", "remove-not-in-parent",
                     "rewords-not-in-parent", "template-cycle", "template-cycle"], codes


def test_a_changed_file_is_parsed_alone_and_the_others_are_checked_against_it(cli, write_tree):
    root = write_tree(BASE)
    code, first = _validate(cli, root)
    assert code == 0 and first["stats"]["parsed"] == 3
    code, warm = _validate(cli, root)
    assert code == 0 and warm["stats"]["parsed"] == 0 and warm["revision"] == first["revision"]

    # a.yaml renames M1 and T1: b.yaml (unchanged, not parsed again) now names ids that do not exist
    (root / "a.yaml").write_text(BASE["a.yaml"].replace("M1", "M3").replace("T1", "T3"), encoding="utf-8")
    code, changed = _validate(cli, root)
    assert code == 1 and changed["stats"] == {}
    where = sorted((d["code"], d["file"].rsplit("/", 1)[-1], d["line"], d["column"], d["subject"])
                   for d in changed["diagnostics"])
    assert where == [("unknown-reference", "b.yaml", 2, 15, "T1"), ("unknown-reference", "b.yaml", 3, 13, "M1")]
    assert changed["diagnostics"] == _validate(cli, root, "--no-cache")[1]["diagnostics"]

    (root / "a.yaml").write_text(BASE["a.yaml"], encoding="utf-8")
    code, back = _validate(cli, root)
    assert code == 0 and back["stats"]["parsed"] == 0 and back["revision"] == first["revision"]


def test_a_unit_changing_kind_rechecks_the_files_that_name_it(tmp_path, write_tree):
    root = write_tree(BASE)
    options = LoadOptions(workers=2, cache_dir=tmp_path / "cache", parallel_min_bytes=0)  # the forked pool too
    assert validate_incremental(root, options).ok
    (root / "a.yaml").write_text(BASE["a.yaml"].replace("kind: township", "kind: village"), encoding="utf-8")
    scan = validate_incremental(root, options)
    assert scan.parsed == 1 and not scan.ok
    expected = validate_tree(root, LoadOptions(workers=1))
    assert [d.format() for d in scan.diagnostics] == [d.format() for d in expected.diagnostics]
    assert any(d.code == "reference-kind" and d.span.file.endswith("b.yaml") for d in scan.diagnostics)


def test_incremental_validation_needs_a_cache():
    with pytest.raises(ValueError):
        validate_incremental(".", LoadOptions(cache_dir=None))
