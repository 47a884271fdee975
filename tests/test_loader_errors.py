"""Every error class of the policy language, each with a small input and the exact rule id and
file:line:column it must be reported at; the mistakes Chinese authors make, with the help they
must get; every error of a run reported together; the `validate` and `schema` commands."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from admission.cli.main import app
from admission.diagnostics import Diagnostic
from admission.loader import LoadOptions, LoadResult, validate_tree
from admission.loader.yamlread import Limits

OPTS = LoadOptions(workers=1)  # no cache, no process pool

#: A county with the units the reference tests point at (lines 2-6).
UNITS = """\
units:
  - {id: "37", name: 山东省, kind: government, level: province}
  - {id: "370402", name: 市中区, kind: government, level: county, parent: "37"}
  - {id: D1, name: 市中区市场监管局, kind: department, level: county, parent: "370402"}
  - {id: "370402101", name: 永安镇, kind: township, parent: "370402"}
  - {id: "370402101201", name: 东村, kind: village, parent: "370402101"}
"""
#: One more township (line 7 after UNITS) whose `since` is written as given; `since` is at column 65.
NEW_TOWN = '  - {{id: X1, name: 新镇, kind: township, parent: "370402", since: {since}}}\n'
BASE = """\
bases:
  - {id: B1, number: 鲁政发〔2024〕5号, title: 决定, issuer: 山东省人民政府, level: province, kind: decision, issued: 2024-03-01}
"""


# --------------------------------------------------------------------------- helpers
def load(write_tree, files: dict[str, str | bytes], **limits) -> tuple[Path, LoadResult]:
    root = write_tree(files)
    opts = LoadOptions(workers=1, limits=Limits(**limits)) if limits else OPTS
    return root, validate_tree(root, opts)


def rel(root: Path, file: str) -> str:
    """A diagnostic's file: the loader names files relative to the policy root, in POSIX form."""
    assert not os.path.isabs(file) and "\\" not in file, file
    assert (root / file).exists() or file.endswith(".yaml"), file
    return file


def where(root: Path, d: Diagnostic) -> tuple[str, int, int]:
    assert d.span is not None, d
    return rel(root, d.span.file), d.span.line, d.span.column


def located(root: Path, result: LoadResult) -> list[tuple[str, str, int, int]]:
    return [(d.code, *where(root, d)) for d in result.diagnostics]


def only(root: Path, result: LoadResult, code: str) -> Diagnostic:
    """The run failed with exactly one diagnostic, of `code`."""
    assert not result.ok
    assert [d.code for d in result.diagnostics] == [code], [d.format() for d in result.diagnostics]
    d = result.diagnostics[0]
    assert not d.message.isascii(), "messages are Chinese"
    return d


def has_cjk(text: str | None) -> bool:
    return bool(text) and any("\u4e00" <= ch <= "\u9fff" for ch in text)


# --------------------------------------------------------------------------- every error class
# (case id, files, limits, expected code, expected (file, line, column))
CASES = [
    ("yaml-syntax",
     {"a.yaml": "matters:\n  - {id: M1, name: x]\n"}, {},
     "yaml-syntax", ("a.yaml", 2, 21)),
    ("yaml-indent-tab",
     {"a.yaml": "matters:\n  - id: M1\n  \tname: 党建\n"}, {},
     "yaml-indent-tab", ("a.yaml", 3, 3)),
    ("yaml-indent-fullwidth",
     {"a.yaml": "matters:\n  - id: M1\n\u3000\u3000  name: 党建\n"}, {},
     "yaml-indent-fullwidth", ("a.yaml", 3, 1)),
    ("yaml-duplicate-key",
     {"a.yaml": "title: 甲\nmatters: []\ntitle: 乙\n"}, {},
     "yaml-duplicate-key", ("a.yaml", 3, 1)),
    ("yaml-alias",
     {"a.yaml": UNITS + "bases: []\nmatters:\n  - &m {id: M1, name: 党建, domain: 党的建设}\n  - *m\n"}, {},
     "yaml-alias", ("a.yaml", 10, 5)),
    ("yaml-tag",
     {"a.yaml": "title: ok\nmatters: !!python/object/apply:os.system [echo hi]\n"}, {},
     "yaml-tag", ("a.yaml", 2, 10)),
    ("yaml-tag-local",
     {"a.yaml": "title: !include other.yaml\n"}, {},
     "yaml-tag", ("a.yaml", 1, 8)),
    ("yaml-too-deep",
     {"a.yaml": "title: " + "[" * 60 + "]" * 60 + "\n"}, {},  # default max_depth 48
     "yaml-too-deep", ("a.yaml", 1, 8 + 47)),
    ("yaml-too-deep-limit",
     {"a.yaml": "matters:\n  - {id: M1, name: x, domain: y, levels: [[county]]}\n"}, {"max_depth": 3},
     "yaml-too-deep", ("a.yaml", 2, 42)),
    # events: stream, document, mapping, 'title', 'a', 'version', then '1' is the 7th
    ("yaml-too-many-nodes",
     {"a.yaml": "title: a\nversion: 1\nmatters: []\n"}, {"max_nodes": 6},
     "yaml-too-many-nodes", ("a.yaml", 2, 10)),
    ("yaml-multiple-documents",
     {"a.yaml": "title: 甲\n---\ntitle: 乙\n"}, {},
     "yaml-multiple-documents", ("a.yaml", 2, 1)),
    ("file-too-large",
     {"a.yaml": "title: " + "很长" * 100 + "\n"}, {"max_bytes": 256},
     "file-too-large", ("a.yaml", 1, 1)),
    ("file-binary",
     {"a.yaml": b"title: ok\n\x00\x00\x00\x01\x02PK\x03\x04"}, {},
     "file-binary", ("a.yaml", 1, 1)),
    ("file-not-utf8",  # GBK: the first byte of 东 (0xB6) cannot start a UTF-8 sequence
     {"a.yaml": "title: ok\nmatters:\n  - {id: M1, name: 东营, domain: y}\n".encode("gbk")}, {},
     "file-not-utf8", ("a.yaml", 3, 20)),
    ("unknown-key",
     {"a.yaml": "matters:\n  - {id: M1, name: 党建, domain: 党的建设, power_tpye: service}\n"}, {},
     "unknown-key", ("a.yaml", 2, 38)),
    ("missing-field",  # reported at the record that lacks it
     {"a.yaml": "title: x\nmatters:\n  - id: M1\n    name: 党建\n"}, {},
     "missing-field", ("a.yaml", 3, 5)),
    ("wrong-type",
     {"a.yaml": "matters:\n  - id: M1\n    name: 党建\n    domain: 党的建设\n    major_penalty: 是\n"}, {},
     "wrong-type", ("a.yaml", 5, 20)),
    ("wrong-type-section",
     {"a.yaml": "title: x\nmatters: M1\n"}, {},
     "wrong-type", ("a.yaml", 2, 10)),
    ("wrong-type-top-level",
     {"a.yaml": "- units\n- matters\n"}, {},
     "wrong-type", ("a.yaml", 1, 1)),
    ("bad-date",
     {"a.yaml": "bases:\n  - id: B1\n    number: 鲁政发〔2024〕5号\n    title: 决定\n    issuer: 山东省人民政府\n"
                "    level: province\n    kind: decision\n    issued: 2024-02-30\n"}, {},
     "bad-date", ("a.yaml", 8, 13)),
    ("bad-value",
     {"a.yaml": "matters:\n  - id: M1\n    name: 占道经营处罚\n    domain: 城乡建设\n    power_type: 行政处罚\n"}, {},
     "bad-value", ("a.yaml", 5, 17)),
    ("bad-id",
     {"a.yaml": "matters:\n  - {id: M 1, name: 党建, domain: 党的建设}\n"}, {},
     "bad-id", ("a.yaml", 2, 10)),
    ("empty-value",
     {"a.yaml": "matters:\n  - {id: M1, name: '', domain: 党的建设}\n"}, {},
     "empty-value", ("a.yaml", 2, 20)),
    ("empty-value-list",
     {"a.yaml": UNITS + "matters:\n  - {id: M1, name: 处罚, domain: x}\n"
                "delegations:\n  - {id: G1, matter: M1, department: D1, townships: [], mode: grant}\n"}, {},
     "empty-value", ("a.yaml", 10, 53)),
    ("invalid-record",  # until before since: reported at the record
     {"a.yaml": UNITS + NEW_TOWN.format(since="2024-07-01, until: 2024-01-01")},
     {}, "invalid-record", ("a.yaml", 7, 5)),
    ("invalid-value",
     {"a.yaml": "version: 2\n"}, {},
     "invalid-value", ("a.yaml", 1, 10)),
    ("unknown-reference",
     {"a.yaml": UNITS + "matters:\n  - {id: M001, name: 党建, domain: 党的建设}\ntownship_lists:\n"
                "  - township: \"370402101\"\n    basic: [M001, M01]\n"}, {},
     "unknown-reference", ("a.yaml", 11, 19)),
    ("reference-kind",
     {"a.yaml": UNITS + "matters:\n  - {id: M1, name: 食品安全检查, domain: 市场监管}\ntownship_lists:\n"
                "  - township: \"370402101\"\n    cooperative:\n      - {matter: M1, lead: \"370402\"}\n"}, {},
     "reference-kind", ("a.yaml", 12, 28)),
    ("reference-kind-block",
     {"a.yaml": UNITS + BASE + "matters:\n  - {id: M1, name: 处罚, domain: x}\nadmissions:\n  - id: A1\n"
                "    matter: M1\n    applicant: D1\n    targets: [\"370402101\", D1]\n    term: long\n"
                "    basis: B1\n    since: 2024-01-01\n"}, {},
     "reference-kind", ("a.yaml", 15, 28)),
    ("yaml-key-type",
     {"a.yaml": "matters:\n  {[a]: 1}\n"}, {},
     "yaml-key-type", ("a.yaml", 2, 4)),
    ("bad-condition",  # located at the first character of the comparison, inside the quoted condition
     {"a.yaml": 'flows:\n  - id: f\n    name: 测试\n    kind: adjustment\n    initial: a\n    states:\n      - {id: a, name: 甲, phase: review}\n      - {id: b, name: 乙, phase: enter}\n    transitions:\n      - action: go\n        from: [a]\n        to: b\n        role: reviewer\n        guards:\n          - {id: g1, when: "term == 3", effect: block, message: 不行}\n'}, {},
     "bad-condition", ("a.yaml", 15, 29)),
]


@pytest.mark.parametrize("files, limits, code, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error_class_code_and_location(write_tree, files, limits, code, expected):
    root, result = load(write_tree, files, **limits)
    d = only(root, result, code)
    assert where(root, d) == expected, d.format()
    assert d.severity.value == "error"
    assert d.message_en  # an English gloss for logs


def test_error_table_is_covered():
    """Every rule id of README's Errors table (but file-unreadable, tested below) has a case."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Errors", 1)[1].split("Exit codes", 1)[0]
    documented = set(re.findall(r"`([a-z0-9]+(?:-[a-z0-9]+)+)`", table))
    covered = {c[3] for c in CASES} | {"duplicate-id", "duplicate-entry", "file-unreadable", "no-such-path"}
    assert documented and documented <= covered, documented - covered


def test_duplicate_key_names_first_place(write_tree):
    root, result = load(write_tree, {"a.yaml": "title: 甲\nmatters: []\ntitle: 乙\n"})
    d = only(root, result, "yaml-duplicate-key")
    assert [(rel(root, s.file), s.line, s.column) for s in d.related] == [("a.yaml", 1, 1)]
    assert "第 1 行" in d.message


def test_duplicate_id_names_both_places_across_files(write_tree):
    root, result = load(write_tree, {
        "a.yaml": "matters:\n  - {id: M1, name: 党建, domain: 党的建设}\n",
        "sub/b.yaml": "title: 乙\nmatters:\n  - id: M2\n    name: 其他\n    domain: 其他\n"
                      "  - {id: M1, name: 党建（重复）, domain: 党的建设}\n",
    })
    d = only(root, result, "duplicate-id")
    assert where(root, d) == ("sub/b.yaml", 6, 5)
    assert [(rel(root, s.file), s.line, s.column) for s in d.related] == [("a.yaml", 2, 5)]
    assert d.subject == "M1" and "a.yaml:2:5" in d.message
    assert "相关位置" in d.format()


def test_duplicate_id_in_one_file_and_township_list(write_tree):
    root, result = load(write_tree, {"a.yaml": UNITS + "township_lists:\n  - township: \"370402101\"\n"
                                                        "  - township: \"370402101\"\n    basic: []\n"})
    d = only(root, result, "duplicate-id")
    assert where(root, d) == ("a.yaml", 9, 5)
    assert [(s.line, s.column) for s in d.related] == [(8, 5)]


def test_file_unreadable(write_tree):
    root = write_tree({"good.yaml": "title: ok\n"})
    os.symlink(root / "missing-target.yaml", root / "dangling.yaml")
    result = validate_tree(root, OPTS)
    d = only(root, result, "file-unreadable")
    assert where(root, d) == ("dangling.yaml", 1, 1)


def test_tag_never_executes(write_tree, tmp_path):
    marker = tmp_path / "pwned"
    root, result = load(write_tree, {"a.yaml": f"title: !!python/object/apply:os.system [\"touch {marker}\"]\n"})
    only(root, result, "yaml-tag")
    assert not marker.exists()


def test_explicit_document_markers_and_bom_are_fine(write_tree):
    root, result = load(write_tree, {"a.yaml": "\ufeff---\ntitle: 甲\nmatters: []\n...\n"})
    assert result.ok, [d.format() for d in result.diagnostics]


# --------------------------------------------------------------------------- Chinese authors' mistakes
def test_fullwidth_colon_in_block_mapping(write_tree):
    root, result = load(write_tree, {"a.yaml": "units:\n  - id: \"37\"\n    name：山东省\n    kind: government\n"})
    d = only(root, result, "yaml-syntax")
    assert where(root, d) == ("a.yaml", 3, 9)  # the colon itself, not the line libyaml stops at
    assert "全角冒号" in d.help and "全角冒号" in d.message and d.message.count("could not") == 0


def test_fullwidth_colon_on_section_key(write_tree):
    root, result = load(write_tree, {"a.yaml": "title: 市中区\nunits：\n  - {id: \"37\", name: 山东省}\n"})
    d = only(root, result, "yaml-syntax")
    assert where(root, d) == ("a.yaml", 2, 6)
    assert "全角冒号" in d.help


def test_fullwidth_colon_in_list_item_reads_as_text(write_tree):
    root, result = load(write_tree, {"a.yaml": "matters:\n  - id： M1\n"})
    d = only(root, result, "wrong-type")
    assert where(root, d) == ("a.yaml", 2, 5)
    assert "：" in d.help and "半角冒号" in d.help


def test_chinese_enum_label_suggests_code(write_tree):
    root, result = load(write_tree, {"a.yaml": "matters:\n  - id: M1\n    name: 占道经营处罚\n    domain: 城乡建设\n"
                                               "    power_type: 行政处罚\n"})
    d = only(root, result, "bad-value")
    assert where(root, d) == ("a.yaml", 5, 17)
    assert "'penalty'" in d.help
    assert "penalty=行政处罚" in d.message and "权力类型" in d.message


def test_chinese_enum_label_unit_kind(write_tree):
    root, result = load(write_tree, {"a.yaml": UNITS + "  - {id: P1, name: 永安派出所, kind: 派出机构, parent: D1}\n"})
    d = only(root, result, "bad-value")
    assert where(root, d) == ("a.yaml", 7, 33)
    assert "'dispatched'" in d.help


def test_chinese_key_suggests_english_field(write_tree):
    root, result = load(write_tree, {"a.yaml": "matters:\n  - id: M1\n    名称: 党组织建设\n    domain: 党的建设\n"})
    by_code = {d.code: d for d in result.diagnostics}
    assert set(by_code) == {"unknown-key", "missing-field"}
    d = by_code["unknown-key"]
    assert where(root, d) == ("a.yaml", 3, 5)
    assert "'name'" in d.help and "英文" in d.help
    assert where(root, by_code["missing-field"]) == ("a.yaml", 2, 5)


def test_fullwidth_latin_key_suggests_field(write_tree):
    root, result = load(write_tree, {"a.yaml": "matters:\n  - {id: M1, ｎａｍｅ: 党建, domain: 党的建设}\n"})
    d = next(d for d in result.diagnostics if d.code == "unknown-key")
    assert where(root, d) == ("a.yaml", 2, 14)
    assert "'name'" in d.help


@pytest.mark.parametrize("written", ["2024年7月1日", "2024/7/1", "2024.07.01"])
def test_chinese_or_slashed_date(write_tree, written):
    root, result = load(write_tree, {"a.yaml": UNITS + NEW_TOWN.format(since=written)})
    d = only(root, result, "bad-date")
    assert where(root, d) == ("a.yaml", 7, 65)
    assert d.help == "改为 2024-07-01（日期写成 YYYY-MM-DD）", d.help


def test_fullwidth_digits_in_date(write_tree):
    root, result = load(write_tree, {"a.yaml": UNITS + NEW_TOWN.format(since="２０２４－０７－０１")})
    d = only(root, result, "bad-date")
    assert where(root, d) == ("a.yaml", 7, 65)
    assert "全角" in d.help


def test_ids_joined_with_chinese_comma(write_tree):
    root, result = load(write_tree, {"a.yaml": UNITS + "matters:\n  - {id: M1, name: 处罚, domain: x}\n"
                                               "delegations:\n  - id: G1\n    matter: M1\n    department: D1\n"
                                               "    townships: 370402101，370402102\n    mode: grant\n"})
    d = only(root, result, "bad-id")
    assert where(root, d) == ("a.yaml", 13, 16)
    assert "中文逗号" in d.help and "列表" in d.help


def test_ids_joined_with_enumeration_comma_in_list(write_tree):
    root, result = load(write_tree, {"a.yaml": UNITS + "township_lists:\n  - township: \"370402101\"\n"
                                                        "    remove: [M1、M2]\n"})
    d = only(root, result, "bad-id")
    assert where(root, d) == ("a.yaml", 9, 14)
    assert "顿号" in d.help


def test_misspelt_key_suggests_nearest(write_tree):
    root, result = load(write_tree, {"a.yaml": UNITS + "delegations:\n  - id: G1\n    matter: M1\n    departmnet: D1\n"
                                               "    townships: [\"370402101\"]\n    mode: grant\n"})
    d = next(d for d in result.diagnostics if d.code == "unknown-key")
    assert where(root, d) == ("a.yaml", 10, 5)
    assert d.help == "是否想写 'department'？"


def test_misspelt_section_suggests_nearest(write_tree):
    root, result = load(write_tree, {"a.yaml": "maters:\n  - {id: M1, name: 党建, domain: 党的建设}\n"})
    d = only(root, result, "unknown-key")
    assert where(root, d) == ("a.yaml", 1, 1)
    assert "'matters'" in d.help


def test_unknown_reference_suggests_near_id(write_tree):
    root, result = load(write_tree, {"a.yaml": UNITS + "matters:\n  - {id: M001, name: 党建, domain: 党的建设}\n"
                                               "township_lists:\n  - township: \"370402101\"\n"
                                               "    basic:\n      - M001\n      - M01\n"})
    d = only(root, result, "unknown-reference")
    assert where(root, d) == ("a.yaml", 13, 9)
    assert d.help == "是否指 'M001'（党建）？" and d.subject == "M01"


def test_unknown_reference_by_name_suggests_id(write_tree):
    root, result = load(write_tree, {"a.yaml": UNITS + "matters:\n  - {id: M1, name: 食品安全检查, domain: 市场监管}\n"
                                               "township_lists:\n  - township: \"370402101\"\n    cooperative:\n"
                                               "      - {matter: M1, lead: 市中区市场监管局}\n"})
    d = only(root, result, "unknown-reference")
    assert where(root, d) == ("a.yaml", 12, 28)
    assert "'D1'" in d.help


def test_unknown_reference_across_files(write_tree):
    root, result = load(write_tree, {"a.yaml": UNITS, "b.yaml": "matters:\n  - {id: M1, name: 处罚, domain: x}\n"
                                                                "assignments:\n  - {id: X1, by: D1, to: \"370402102\", "
                                                                "matter: M1, date: 2024-08-15}\n"})
    d = only(root, result, "unknown-reference")
    assert where(root, d) == ("b.yaml", 4, 26)
    assert "'370402101'" in d.help  # the near id


def test_until_before_since(write_tree):
    root, result = load(write_tree, {"a.yaml": UNITS + BASE + "matters:\n  - {id: M1, name: 检查, domain: x}\n"
                                               "admissions:\n  - id: A1\n    matter: M1\n    applicant: D1\n"
                                               "    targets: \"370402101\"\n    term: short\n    basis: B1\n"
                                               "    since: 2024-08-01\n    until: 2024-07-31\n"})
    d = only(root, result, "invalid-record")
    assert where(root, d) == ("a.yaml", 12, 5)
    assert "2024-07-31" in d.message and "早于" in d.message


def test_workflow_prefix_is_reserved(write_tree):
    root, result = load(write_tree, {"a.yaml": UNITS + BASE + "matters:\n  - {id: M1, name: 检查, domain: x}\n"
                                               "admissions:\n  - {id: WF-7, matter: M1, applicant: D1, "
                                               "targets: \"370402101\", "
                                               "term: long, basis: B1, since: 2024-08-01}\n"})
    d = only(root, result, "invalid-record")
    assert where(root, d) == ("a.yaml", 12, 5)
    assert "WF-" in d.message


# --------------------------------------------------------------------------- one run, every error
def test_all_errors_of_all_files_in_one_run_sorted(write_tree):
    root, result = load(write_tree, {
        "b.yaml": "matters:\n  - {id: M2, name: x, domain: y, power_type: 行政检查}\n"
                  "  - {id: M3, name: '', domain: y}\n",
        "a.yaml": "title: 甲\nmatters:\n  - id: M1\n    name: 党建\n    domian: 党的建设\n",
        "c/z.yaml": "matters:\n  - {id: M4, name: x\n",
        "c/d.yaml": "title: 甲\ntitle: 乙\n",
        "e.yaml": b"title: \xff\xfe\n",
        "ok.yaml": "matters:\n  - {id: M9, name: 正常, domain: 其他}\n",
        "ok_test.yaml": "this is: [a policy test, not policy",
    })
    got = located(root, result)
    assert got == [
        ("missing-field", "a.yaml", 3, 5),
        ("unknown-key", "a.yaml", 5, 5),
        ("bad-value", "b.yaml", 2, 46),
        ("empty-value", "b.yaml", 3, 20),
        ("yaml-duplicate-key", "c/d.yaml", 2, 1),
        ("yaml-syntax", "c/z.yaml", 3, 1),
        ("file-not-utf8", "e.yaml", 1, 8),
    ]
    keys = [d.sort_key() for d in result.diagnostics]
    assert keys == sorted(keys)


def test_errors_in_one_record_all_reported(write_tree):
    root, result = load(write_tree, {"a.yaml": "matters:\n  - id: M 1\n    name: ''\n    power_type: 处罚\n"
                                               "    levels: [county, 乡]\n    major_penalty: 否\n"})
    got = sorted(located(root, result), key=lambda t: t[2:])
    assert got == [
        ("missing-field", "a.yaml", 2, 5),
        ("bad-id", "a.yaml", 2, 9),
        ("empty-value", "a.yaml", 3, 11),
        ("bad-value", "a.yaml", 4, 17),
        ("bad-value", "a.yaml", 5, 22),
        ("wrong-type", "a.yaml", 6, 20),
    ]


# --------------------------------------------------------------------------- loader bugs (xfail)
def test_no_spurious_unknown_references_when_another_file_fails(write_tree):
    root, result = load(write_tree, {
        "a.yaml": UNITS + "matters:\n  - {id: M1, name: 党建, domian: 党的建设}\n",
        "b.yaml": "matters:\n  - {id: M2, name: 食品安全检查, domain: 市场监管}\n"
                  "township_lists:\n  - township: \"370402101\"\n    cooperative:\n      - {matter: M2, lead: D1}\n",
    })
    assert sorted(d.code for d in result.diagnostics) == ["missing-field", "unknown-key"], \
        [d.format() for d in result.diagnostics]


@pytest.mark.parametrize("written", ["0", "'0'", "1719792000", "'2024-07-01T00:00:00'"])
def test_date_written_as_number_is_bad_date(write_tree, written):
    root, result = load(write_tree, {"a.yaml": UNITS + NEW_TOWN.format(since=written)})
    d = only(root, result, "bad-date")
    assert where(root, d) == ("a.yaml", 7, 65)


@pytest.mark.parametrize("field, label, code", [("levels", "乡镇", "township"), ("tags", "执法", "enforcement")])
def test_chinese_enum_label_in_list_suggests_code(write_tree, field, label, code):
    root, result = load(write_tree, {"a.yaml": f"matters:\n  - {{id: M1, name: x, domain: y, {field}: [{label}]}}\n"})
    d = only(root, result, "bad-value")
    assert d.help and f"'{code}'" in d.help


def test_control_character_located(write_tree):
    root, result = load(write_tree, {"a.yaml": "title: 甲\nmatters: []\nversion: 1\x07\n"})
    d = only(root, result, "yaml-syntax")
    assert where(root, d) == ("a.yaml", 3, 11)


def test_not_utf8_column_counts_characters(write_tree):
    raw = "matters:\n  - {id: M1, name: 党建".encode() + b"\xff" + "}\n".encode()
    root, result = load(write_tree, {"a.yaml": raw})
    d = only(root, result, "file-not-utf8")
    assert where(root, d) == ("a.yaml", 2, 22)  # after 21 characters (but 25 bytes)


def test_empty_value_span_is_not_inverted(write_tree):
    root, result = load(write_tree, {"a.yaml": "matters:\n  - id: M1\n    name:\n    domain: 党的建设\n"})
    d = only(root, result, "empty-value")
    s = d.span
    assert (s.end_line, s.end_column) >= (s.line, s.column), s


def test_fullwidth_colon_at_top_level_gets_help(write_tree):
    root, result = load(write_tree, {"a.yaml": "title：市中区清单\n"})
    d = only(root, result, "wrong-type")
    assert d.help and "全角冒号" in d.help


# --------------------------------------------------------------------------- CLI
runner = CliRunner()


def test_cli_validate_ok(write_tree):
    root = write_tree({"a.yaml": UNITS + "matters:\n  - {id: M1, name: 党建, domain: 党的建设}\n"})
    res = runner.invoke(app, ["validate", str(root), "--no-cache"])
    assert res.exit_code == 0, res.output
    assert "校验通过" in res.output


def test_cli_validate_errors_text(write_tree):
    root = write_tree({"a.yaml": "matters:\n  - id: M1\n    name: 党建\n    domian: 党的建设\n"})
    res = runner.invoke(app, ["validate", str(root), "--no-cache"])
    assert res.exit_code == 1, res.output
    path = validate_tree(root, OPTS).diagnostics[0].span.file
    assert f"{path}:2:5: error[missing-field]" in res.output
    assert f"{path}:4:5: error[unknown-key]" in res.output
    assert "提示 help: 是否想写 'domain'？" in res.output


def test_cli_validate_json(write_tree):
    root = write_tree({"a.yaml": "matters:\n  - {id: M1, name: x, domain: y, power_type: 行政处罚}\n",
                       "b.yaml": "title: 甲\ntitle: 乙\n"})
    res = runner.invoke(app, ["validate", str(root), "--no-cache", "--format", "json"])
    assert res.exit_code == 1
    out = json.loads(res.stdout)
    assert out["ok"] is False
    diags = out["diagnostics"]
    got = [(d["code"], rel(root, d["file"]), d["line"], d["column"]) for d in diags]
    assert got == [("bad-value", "a.yaml", 2, 46), ("yaml-duplicate-key", "b.yaml", 2, 1)]
    assert diags[0]["help"] == "写成代码 'penalty'（行政处罚）"
    assert has_cjk(diags[0]["message"]) and diags[0]["severity"] == "error"
    assert diags[1]["related"][0].endswith("b.yaml:1:1")


def test_cli_validate_json_ok(write_tree):
    root = write_tree({"a.yaml": "matters:\n  - {id: M1, name: 党建, domain: 党的建设}\n"})
    res = runner.invoke(app, ["validate", str(root), "--no-cache", "-f", "json"])
    assert res.exit_code == 0
    out = json.loads(res.stdout)
    assert out["ok"] is True and out["diagnostics"] == [] and out["stats"]["files"] == 1


def test_cli_max_file_bytes(write_tree):
    root = write_tree({"a.yaml": "title: " + "长" * 100 + "\n"})
    res = runner.invoke(app, ["validate", str(root), "--no-cache", "--max-file-bytes", "64"])
    assert res.exit_code == 1 and "error[file-too-large]" in res.output


@pytest.mark.parametrize("args", [
    ["validate", "{root}", "--format", "xml"],
    ["validate", "{root}", "--no-such-option"],
    ["validate", "{root}", "--max-file-bytes", "many"],
    ["no-such-command"],
])
def test_cli_usage_error(write_tree, args):
    root = write_tree({"a.yaml": "title: ok\n"})
    res = runner.invoke(app, [a.format(root=root) for a in args])
    assert res.exit_code == 2, res.output


def test_cli_nonexistent_directory(tmp_path):
    res = runner.invoke(app, ["validate", str(tmp_path / "nope"), "--no-cache"])
    assert res.exit_code == 2, res.output
    assert "no-such-path" in res.output


def _strings(node, key: str):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key and isinstance(v, str):
                yield v
            else:
                yield from _strings(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v, key)


def _schema() -> dict:
    res = runner.invoke(app, ["schema"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_cli_schema():
    schema = _schema()
    assert schema["$schema"].startswith("https://json-schema.org/")
    defs = schema["$defs"]
    for name in ("Unit", "Basis", "Matter", "PowerList", "TownshipTemplate", "TownshipList", "VillageTemplate",
                 "VillageList", "Delegation", "AdmissionRecord", "Assignment", "PowerType", "UnitKind"):
        assert name in defs, name
    assert set(schema["properties"]) >= {"units", "matters", "township_lists", "delegations", "admissions"}
    assert defs["Unit"]["additionalProperties"] is False
    descriptions = list(_strings(schema, "description"))
    assert sum(map(has_cjk, descriptions)) >= 20
    assert has_cjk(defs["Matter"]["description"]) and has_cjk(defs["Unit"]["properties"]["name"]["title"])
    assert "penalty=行政处罚" in json.dumps(defs["Matter"]["properties"]["power_type"], ensure_ascii=False)
    try:
        import jsonschema
    except ImportError:
        return
    jsonschema.Draft202012Validator.check_schema(schema)


def test_cli_schema_to_file(tmp_path):
    out = tmp_path / "policy.schema.json"
    res = runner.invoke(app, ["schema", "-o", str(out)])
    assert res.exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8")) == _schema()


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _admits_string(schema: dict, node: dict) -> bool:
    node = _resolve(schema, node)
    if node.get("type") == "string":
        return True
    return any(_admits_string(schema, alt) for alt in node.get("anyOf", []) + node.get("oneOf", []))


def test_schema_admits_loader_shorthands():
    schema = _schema()
    defs = schema["$defs"]
    assert _admits_string(schema, defs["TownshipList"]["properties"]["basic"]["items"])
    assert _admits_string(schema, defs["PowerList"]["properties"]["items"]["items"])
    assert _admits_string(schema, defs["CooperativeEntry"]["properties"]["lead"])


def test_no_such_path_is_a_usage_error(tmp_path):
    from admission.loader import validate_tree

    result = validate_tree(tmp_path / "nope")
    assert [d.code for d in result.diagnostics] == ["no-such-path"]


# --------------------------------------------------------------------------- issue 17: every mistake in one pass
@pytest.mark.parametrize("written, fix", [
    ("2026/1/5", "改为 2026-01-05"), ("2026年1月5日", "改为 2026-01-05"), ("2026.1.05", "改为 2026-01-05"),
    ("２０２６－０１－０５", "改为 2026-01-05"),
])
def test_date_hint_says_the_exact_fix(write_tree, written, fix):
    root, result = load(write_tree, {"a.yaml": UNITS + NEW_TOWN.format(since=written)})
    d = only(root, result, "bad-date")
    assert where(root, d) == ("a.yaml", 7, 65)
    assert d.help.startswith(fix), d.help


@pytest.mark.parametrize("written, why", [
    ("2026-02-30", "该日期不存在：2026年2月只有28天"), ("2024-02-30", "该日期不存在：2024年2月只有29天"),
    ("2026/4/31", "该日期不存在：2026年4月只有30天"), ("2026-13-01", "该日期不存在：一年只有 1–12 月"),
])
def test_date_that_does_not_exist_says_so(write_tree, written, why):
    root, result = load(write_tree, {"a.yaml": UNITS + NEW_TOWN.format(since=written)})
    d = only(root, result, "bad-date")
    assert d.help.startswith(why), d.help


def test_path_names_the_record_by_its_id(write_tree):
    root, result = load(write_tree, {"a.yaml": UNITS + NEW_TOWN.format(since="2026/1/5").replace("X1", "YA-FQ-002")})
    d = only(root, result, "bad-date")
    assert d.message.startswith("units[YA-FQ-002].since"), d.message
    assert ".6." not in d.message and "units.5" not in d.message


def test_path_of_an_item_without_id_is_its_place(write_tree):
    root, result = load(write_tree, {"a.yaml": "matters:\n  - {id: M1, name: x, domain: y}\n  - {name: [x], domain: y}\n"})
    d = next(d for d in result.diagnostics if d.code == "wrong-type")
    assert d.message.startswith("matters[第2项].name"), d.message


MATTERS = "matters:\n  - {id: M1, name: x, domain: y}\n  - {id: M2, name: z, domain: y}\n"  # lines 7-9 after UNITS


@pytest.mark.parametrize("body, line, first", [
    ("township_lists:\n  - township: \"370402101\"\n    basic:\n      - M1\n      - {matter: M2, scope: 巡查}\n"
     "      - {matter: M2}\n      - matter: M1\n", 16, (13, 9)),
    ("township_lists:\n  - township: \"370402101\"\n    cooperative:\n      - {matter: M1, lead: [D1]}\n"
     "      - {matter: M1, lead: [D1]}\n", 14, (13, 9)),
    ("township_templates:\n  - {id: T1, name: 模板, county: \"370402\", basic: [M1, M2]}\n"
     "township_lists:\n  - {township: \"370402101\", template: T1, remove: [M2, M1, M2]}\n", 13, (13, 52)),
    ("village_lists:\n  - village: \"370402101201\"\n    duties: [M1, M2, M1]\n", 12, (12, 14)),
])
def test_duplicate_entry_names_both_places(write_tree, body, line, first):
    root, result = load(write_tree, {"a.yaml": UNITS + MATTERS + body})
    assert result.ok and [x.code for x in result.diagnostics] == ["duplicate-entry"], result.diagnostics
    d = result.diagnostics[0]
    assert d.severity.value == "warning"
    assert where(root, d)[1] == line, d.format()
    assert [(s.line, s.column) for s in d.related] == [first], d.format()
    assert "重复" in d.message and d.subject


def test_duplicate_entry_does_not_hide_other_errors(write_tree):
    root, result = load(write_tree, {"a.yaml": UNITS + MATTERS + "village_lists:\n  - village: \"370402101201\"\n"
                                                                  "    duties: [M1, M1, M9]\n"})
    assert sorted(d.code for d in result.diagnostics) == ["duplicate-entry", "unknown-reference"]


@pytest.mark.parametrize("written, fix", [("name：山东省", "name: 山东省"), ("name:山东省", "name: 山东省")])
def test_fullwidth_colon_in_flow_mapping(write_tree, written, fix):
    root, result = load(write_tree, {"a.yaml": f"units:\n  - {{id: \"37\", {written}, kind: government, level: province}}\n"})
    d = only(root, result, "unknown-key")  # and no missing 'name': it is there, glued to its value
    assert where(root, d) == ("a.yaml", 2, 16)
    assert fix in d.help and "冒号" in d.message


def test_syntax_error_message_is_chinese(write_tree):
    root, result = load(write_tree, {"a.yaml": "matters:\n  - {id: M1, name: x]\n"})
    d = only(root, result, "yaml-syntax")
    assert "花括号" in d.message and "expected" in d.message_en


def test_syntax_error_does_not_hide_the_rest_of_the_file(write_tree):
    root, result = load(write_tree, {"a.yaml": UNITS + (
        "  - id: X2\n    name：新镇\n    kind: township\n"          # 7-9: full-width colon
        '  - {id: X3, name: 三镇, kind: township, parent: "370402", since: 2026/1/5}\n'  # 10
        "matters:\n  - {id: M1, name: x]\n"                            # 11-12: bracket
        "  - {id: M2, name: y, domain: z, foo: 1}\n"                   # 13
        "bases：\n  - {id: B1}\n"                                      # 14-15: section key
        "delegations:\n  - {id: G1, matter: M2, department: D1, townships: [\"370402101\"], mode: grant,"
        " since: 2026-02-30}\n")})
    assert [(d.code, d.span.line) for d in result.diagnostics] == [
        ("yaml-syntax", 8), ("bad-date", 10), ("yaml-syntax", 12), ("unknown-key", 13), ("yaml-syntax", 14),
        ("bad-date", 17)], [d.format() for d in result.diagnostics]


def test_ids_of_a_blanked_item_are_not_reported_missing_elsewhere(write_tree):
    root, result = load(write_tree, {
        "a.yaml": UNITS + "matters:\n  - {id: M1, name: x]\n",
        "b.yaml": "township_lists:\n  - township: \"370402101\"\n    basic: [M1]\n"})
    assert [d.code for d in result.diagnostics] == ["yaml-syntax"], [d.format() for d in result.diagnostics]


@pytest.mark.parametrize("written, fix", [
    ("370402102", "是否指 '370402101'（永安镇）？"),          # the nearest existing id
    ("永安镇", "写成 '370402101'（永安镇）"),                 # a name where the id belongs
    ("永安真", "是否指 '370402101'（永安镇）？"),             # a misspelt name: the nearest name's id
])
def test_dangling_reference_gets_the_id(write_tree, written, fix):
    root, result = load(write_tree, {"a.yaml": UNITS + "matters:\n  - {id: M1, name: 处罚, domain: x}\n"
                                               f"assignments:\n  - {{id: X1, by: D1, to: {written}, matter: M1, date: 2024-08-15}}\n"})
    d = only(root, result, "unknown-reference")
    assert fix in d.help, d.help


def test_matter_written_by_name_gets_its_id(write_tree):
    root, result = load(write_tree, {"a.yaml": UNITS + "matters:\n  - {id: M1, name: 食品安全检查, domain: 市场监管}\n"
                                               "township_lists:\n  - township: \"370402101\"\n    basic: [食品安全检查]\n"})
    d = only(root, result, "unknown-reference")
    assert "写成 'M1'" in d.help, d.help


@pytest.mark.parametrize("args", [["check", "--help"], ["--help"], ["flow", "--help"], ["render", "--help"]])
def test_cli_help_is_never_cut(args):
    res = runner.invoke(app, args, env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    body = res.output.split("\n", 1)[1]  # the usage line's "[ARGS]..." is click's notation
    assert "…" not in body and "..." not in body, res.output
    flat = "".join(res.output.split())
    group = typer.main.get_command(app)
    for name in args[:-1]:
        group = group.commands[name]
    for cmd in getattr(group, "commands", {}).values():  # each command's whole summary, wrapped
        if not cmd.hidden:
            assert "".join(cmd.get_short_help_str(10_000).split()) in flat, cmd.name
    if args[0] == "check":
        flat = "".join(res.output.split())  # wrapped, never cut
        assert "北京时间" in flat and "re-checkonlyshardschangedsincethisbundlerevision" in flat


def test_cli_colours_errors_on_a_terminal_only(write_tree):
    root = write_tree({"a.yaml": "matters:\n  - {id: M1, name: 党建, domain: 党的建设, x: 1}\n"})
    coloured = runner.invoke(app, ["validate", str(root), "--no-cache"], color=True)
    plain = runner.invoke(app, ["validate", str(root), "--no-cache"])
    assert coloured.exit_code == plain.exit_code == 1
    assert "\x1b[31m" in coloured.output and "error[unknown-key]" in coloured.output
    assert "\x1b[" not in plain.output and "error[unknown-key]" in plain.output
