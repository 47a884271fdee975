"""Lists derived from other lists (issue 16, item 4): "the national list, minus these, plus these,
with these two items reworded" — a template's `parent`, its `remove`, and entries that `rewords`
a parent's item; the village or township on the derived template sees the result."""

from __future__ import annotations

import shutil

from admission.compile.expand import township_entries, village_entries
from admission.loader import LoadOptions, load_policy, validate_tree

from flowkit import FIXTURES

OPTS = LoadOptions(workers=1)
MATTERS = """\
matters:
  - {id: N1, name: 国家清单事项一, domain: 基层自治}
  - {id: N2, name: 国家清单事项二, domain: 基层自治}
  - {id: N3, name: 国家清单事项三, domain: 基层自治}
  - {id: P3, name: 省级改写后的事项三, domain: 基层自治}
  - {id: P4, name: 省级增加的事项, domain: 基层自治}
"""
VILLAGE = """\
village_templates:
  - {id: NAT, name: 全国村级组织工作事项清单, owner: "370402", duties: [N1, N2, N3]}
  - id: PROV
    name: 省级清单（在全国清单基础上增删改）
    owner: "370402"
    parent: NAT
    remove: [N2]
    duties:
      - {matter: P3, rewords: N3, note: 改写措辞}
      - P4
village_lists:
  - {village: "370402101201", template: PROV}
"""


def tree(tmp_path, text: str):
    root = tmp_path / "p"
    shutil.copytree(FIXTURES / "mini", root)
    text_mini = (root / "county.yaml").read_text(encoding="utf-8")
    # the mini village's own list is replaced by one on the derived template
    start = text_mini.index("village_lists:")
    end = text_mini.index("\n", text_mini.index("may_certify:", start)) + 1
    (root / "county.yaml").write_text(text_mini[:start] + text_mini[end:], encoding="utf-8")
    (root / "derived.yaml").write_text(MATTERS + text, encoding="utf-8")
    return root


def duties(root):
    lists = village_entries(load_policy(root, OPTS), "370402101201")
    return [(e.matter, e.rewords) for e in lists.duties]


def test_a_derived_template_is_the_parent_minus_plus_reworded(tmp_path):
    assert duties(tree(tmp_path, VILLAGE)) == [("N1", None), ("P3", "N3"), ("P4", None)]


def test_a_change_to_the_parent_reaches_the_child_and_a_removed_item_stays_removed(tmp_path):
    root = tree(tmp_path, VILLAGE.replace("duties: [N1, N2, N3]}", "duties: [N1, N2, N3, P4]}")
                .replace("      - P4\n", ""))
    assert duties(root) == [("N1", None), ("P4", None), ("P3", "N3")]
    root2 = tree(tmp_path / "b", VILLAGE.replace("duties: [N1, N2, N3]}", "duties: [N2, N3]}"))
    assert [m for m, _ in duties(root2)] == ["P3", "P4"]  # N2 stays removed, N1 went with the parent


def test_township_templates_derive_the_same_way(tmp_path):
    text = """\
township_templates:
  - {id: T-NAT, name: 全国乡镇清单, county: "370402", basic: [N1, N2]}
  - {id: T-PROV, name: 省级乡镇清单, county: "370402", parent: T-NAT, basic: [{matter: P3, rewords: N2}]}
"""
    root = tree(tmp_path, text)
    county = (root / "county.yaml").read_text(encoding="utf-8")
    (root / "county.yaml").write_text(county.replace("template: TPL-SZ", "template: T-PROV", 1), encoding="utf-8")
    policy = load_policy(root, OPTS)
    basic = [e.matter for e in township_entries(policy, "370402101").basic]
    assert "N1" in basic and "P3" in basic and "N2" not in basic


def test_a_cycle_and_a_dangling_parent_or_rewording_are_reported_where_written(tmp_path):
    root = tree(tmp_path, """\
village_templates:
  - {id: A, name: 甲, owner: "370402", parent: B, duties: [N1]}
  - {id: B, name: 乙, owner: "370402", parent: A, duties: [{matter: N2, rewords: N-NOPE}]}
  - {id: C, name: 丙, owner: "370402", parent: NOPE, duties: [N3]}
""")
    diags = [d for d in validate_tree(root, OPTS).diagnostics if d.severity.value == "error"]
    found = {(d.code, d.span.line) for d in diags if d.span and d.span.file.endswith("derived.yaml")}
    assert {("template-cycle", 8), ("template-cycle", 9), ("unknown-reference", 9), ("unknown-reference", 10)} <= found, \
        [d.format() for d in diags]


def test_diff_shows_a_change_of_the_parent_list_at_every_village_derived_from_it(tmp_path):
    import datetime as dt

    from admission.explain.diff import diff_policies

    old = load_policy(tree(tmp_path / "old", VILLAGE), OPTS)
    new = load_policy(tree(tmp_path / "new", VILLAGE.replace("duties: [N1, N2, N3]}", "duties: [N1, N2, N3, P4]}")
                           .replace("      - P4\n", "").replace("remove: [N2]", "remove: [N2, N1]")), OPTS)
    diff = diff_policies(old, new, dt.date(2026, 3, 2))
    village = next(u for u in diff.units if u.unit == "370402101201")
    assert [m for m, _ in village.lost] == ["N1"] and not village.gained  # P4 now comes from the parent


def test_what_a_derived_list_takes_away_must_be_in_its_parent(tmp_path):
    """`rewords` of a matter the parent lacks is an error at the entry (the link to the earlier
    wording is lost); a `remove` of one is a warning at the list, since it does nothing."""
    root = tree(tmp_path, VILLAGE.replace("rewords: N3", "rewords: P4").replace("remove: [N2]", "remove: [N2, P4]")
                .replace('template: PROV}', 'template: PROV, remove: [N1, N2], duties: [{matter: N3, rewords: N2}]}'))
    text = (root / "derived.yaml").read_text(encoding="utf-8")
    res = validate_tree(root, OPTS)
    got = {(d.code, d.severity.value, d.span.line) for d in res.diagnostics if d.span and d.code.endswith("-in-parent")}
    lines = text.splitlines()
    line_of = lambda needle: next(i + 1 for i, s in enumerate(lines) if needle in s)  # noqa: E731
    assert got == {
        ("rewords-not-in-parent", "error", line_of("rewords: P4")),  # P4 is PROV's own, not NAT's
        ("remove-not-in-parent", "warning", line_of("- id: PROV")),  # P4 is PROV's own, not NAT's
        ("remove-not-in-parent", "warning", line_of('"370402101201"')),  # N2 is not on PROV
        ("rewords-not-in-parent", "error", line_of('"370402101201"')),  # N2 is not on PROV: PROV removed it
    }, [d.format() for d in res.diagnostics]
    fine = validate_tree(tree(tmp_path / "ok", VILLAGE), OPTS)
    assert not [d for d in fine.diagnostics if d.code.endswith("-in-parent")]


def test_the_api_duties_of_a_village_name_the_reworded_item_and_the_villages_role(tmp_path):
    from pathlib import Path

    from test_api_kit import running_api

    policies = Path(__file__).resolve().parent.parent / "policies"
    with running_api(tmp_path, "sqlite", policies=policies) as api:
        r = api.get("/v1/units/370402101201/duties?on=2026-11-23", who="reader")
        assert r.status_code == 200, r.text
        lists = r.json()["lists"]
        assert [(e["matter"], e["rewords"]) for e in lists["duties"] if e.get("rewords")] == [("CZ-016", "CZ-005")]
        assert "CZ-005" not in {e["matter"] for e in lists["duties"]} and len(lists["duties"]) == 15
        assert {e.get("role") for e in lists["assisting"]} > {None}
