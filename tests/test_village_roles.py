"""Roles on village lists (issue 16, item 2): a village's `duties` and `assisting` entries may
say the village's role; a list that names the village responsible for enforcement, demolition,
investment promotion or work safety is `village-list-responsible`, template entries included."""

from __future__ import annotations

import datetime as dt

import pytest

from admission.evaluate.checks import run_checks
from admission.loader import LoadOptions, load_policy, validate_tree
from admission.sheets import ImportOptions, export, import_workbook

ON = dt.date(2026, 11, 23)
BASE = """\
units:
  - {id: "370402", name: 市中区, kind: government, level: county}
  - {id: "370402101", name: 永安镇, kind: government, level: township, parent: "370402"}
  - {id: "370402101201", name: 永安村, kind: village, parent: "370402101"}
  - {id: AJ, name: 市中区应急管理局, kind: department, level: county, parent: "370402"}
matters:
  - {id: M-AQ, name: 安全生产隐患排查, domain: 平安法治, tags: [work_safety]}
  - {id: M-CQ, name: 违法建设拆除, domain: 城乡建设, tags: [demolition]}
  - {id: M-TJ, name: 调解民间纠纷, domain: 村民自治}
"""


def tree(tmp_path, lists: str):
    root = tmp_path / "p"
    root.mkdir()
    (root / "a.yaml").write_text(BASE + lists, encoding="utf-8")
    return root


def findings(root):
    policy = load_policy(root, LoadOptions(workers=1))
    return [(f.code, f.subject) for f in run_checks(policy, ON) if f.code == "village-list-responsible"]


@pytest.mark.parametrize("lists, expected", [
    ('village_lists:\n  - {village: "370402101201", assisting: [{matter: M-AQ, supervisor: AJ, role: responsible}]}\n',
     [("village-list-responsible", "370402101201/M-AQ")]),
    ('village_lists:\n  - {village: "370402101201", duties: [{matter: M-CQ, role: responsible}]}\n',
     [("village-list-responsible", "370402101201/M-CQ")]),
    # a template's entry counts for every village on it
    ('village_templates:\n  - {id: T1, name: 模板, owner: "370402", assisting: [{matter: M-AQ, role: responsible}]}\n'
     'village_lists:\n  - {village: "370402101201", template: T1}\n',
     [("village-list-responsible", "370402101201/M-AQ")]),
    # not: the village assists; responsible for an untagged matter; no role; removed from the template;
    # no longer in force
    ('village_lists:\n  - {village: "370402101201", assisting: [{matter: M-AQ, supervisor: AJ, role: assist}]}\n', []),
    ('village_lists:\n  - {village: "370402101201", duties: [{matter: M-TJ, role: responsible}]}\n', []),
    ('village_lists:\n  - {village: "370402101201", assisting: [{matter: M-AQ, supervisor: AJ}]}\n', []),
    ('village_templates:\n  - {id: T1, name: 模板, owner: "370402", assisting: [{matter: M-AQ, role: responsible}]}\n'
     'village_lists:\n  - {village: "370402101201", template: T1, remove: [M-AQ]}\n', []),
    ('village_lists:\n  - {village: "370402101201", assisting: [{matter: M-AQ, role: responsible, until: 2025-12-31}]}\n',
     []),
])
def test_village_list_responsible(tmp_path, lists, expected):
    assert findings(tree(tmp_path, lists)) == expected


def test_the_finding_names_the_entry_and_the_fix(tmp_path):
    root = tree(tmp_path, 'village_lists:\n  - village: "370402101201"\n    assisting:\n'
                          '      - {matter: M-AQ, supervisor: AJ, role: responsible}\n')
    f = next(f for f in run_checks(load_policy(root, LoadOptions(workers=1)), ON) if f.code == "village-list-responsible")
    assert (f.span.line, f.span.column) == (13, 9) and f.span.file.endswith("a.yaml")
    assert "永安村" in f.message and "安全生产" in f.message and "assist" in f.help


def test_a_bad_role_is_a_loader_error_at_its_place(tmp_path):
    root = tree(tmp_path, 'village_lists:\n  - village: "370402101201"\n    duties:\n      - {matter: M-TJ, role: owner}\n')
    result = validate_tree(root, LoadOptions(workers=1))
    bad = [d for d in result.diagnostics if d.severity.value == "error"]
    assert bad and (bad[0].span.line, bad[0].span.column) == (13, 30), [d.format() for d in bad]
    assert "responsible" in bad[0].message + (bad[0].help or "")


def test_roles_survive_export_and_import(tmp_path):
    root = tree(tmp_path, 'village_lists:\n  - village: "370402101201"\n    assisting:\n'
                          '      - {matter: M-AQ, supervisor: AJ, role: assist}\n      - {matter: M-CQ, supervisor: AJ}\n')
    policy = load_policy(root, LoadOptions(workers=1))
    book = tmp_path / "v.xlsx"
    export(policy, "370402101201", ON, "xlsx", book, kinds=["village-assisting"])
    res = import_workbook(book, policy, ImportOptions(kind="village-assisting", unit="370402101201", out_dir=tmp_path / "o"))
    assert res.ok, [p.format() for p in res.problems]
    text = res.path.read_text(encoding="utf-8")
    assert "role: assist" in text and text.count("role:") == 1
