"""Smoke tests of the loader pipeline; the exhaustive error-class tests live in test_loader_errors.py."""

from admission.loader import LoadOptions, validate_tree

GOOD = """\
units:
  - {id: "37", name: 山东省, kind: government, level: province}
  - {id: "370402", name: 市中区, kind: government, level: county, parent: "37"}
  - {id: D1, name: 市中区市场监管局, kind: department, level: county, parent: "370402"}
  - {id: "370402101", name: 永安镇, kind: township, parent: "370402"}
matters:
  - {id: M1, name: 党组织建设, domain: 党的建设}
  - {id: M2, name: 食品安全监督检查, domain: 市场监管, power_type: inspection}
township_lists:
  - township: "370402101"
    basic: [M1]
    cooperative:
      - {matter: M2, lead: D1, lead_duties: 组织检查, township_duties: 配合巡查}
"""


def test_valid_tree_loads_with_spans(write_tree):
    root = write_tree({"county.yaml": GOOD})
    result = validate_tree(root, LoadOptions(workers=1))
    assert result.ok, result.diagnostics
    tl = result.policy.township_lists["370402101"]
    assert tl.basic[0].matter == "M1"
    # the shorthand entry `M1` points at its own list item, the mapping at its own line
    assert (tl.basic[0].span.line, tl.basic[0].span.column) == (11, 13)
    assert tl.cooperative[0].span.line == 13
    assert tl.cooperative[0].lead == ["D1"]


def test_errors_of_all_files_reported_together(write_tree):
    bad = GOOD.replace("domain: 市场监管", "domian: 市场监管")
    root = write_tree({"a.yaml": bad, "b.yaml": "matters:\n  - {id: M9, name: x, domain: y, levels: [town]}\n"})
    result = validate_tree(root, LoadOptions(workers=1))
    assert not result.ok
    codes = sorted((d.code, d.span.file.rsplit("/", 1)[-1]) for d in result.diagnostics)
    assert ("unknown-key", "a.yaml") in codes and ("missing-field", "a.yaml") in codes
    assert ("bad-value", "b.yaml") in codes


def test_cache_skips_unchanged_files(write_tree, tmp_path):
    root = write_tree({"a.yaml": GOOD, "b.yaml": "matters:\n  - {id: M9, name: x, domain: y}\n"})
    opts = LoadOptions(workers=1, cache_dir=tmp_path / "cache")
    assert validate_tree(root, opts).parsed == 2
    (root / "b.yaml").write_text("matters:\n  - {id: M8, name: x, domain: y}\n", encoding="utf-8")
    again = validate_tree(root, opts)
    assert again.ok and again.parsed == 1 and "M8" in again.policy.matters
