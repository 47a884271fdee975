"""Property test: whatever an author's keyboard does to a valid policy file, the loader answers
with a policy or with well-formed, located Chinese diagnostics, and never raises."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from admission.diagnostics import Diagnostic, Span
from admission.loader import LoadOptions, LoadResult, validate_tree

OPTS = LoadOptions(workers=1)  # no cache, no pool

#: A realistic small county: province, city, county government, two departments, two
#: streets, a village, matters, power lists, a township template and two township lists using
#: it, a village list, a delegation, an admission record and an assignment.
VALID = """\
version: 1
title: 济南市市中区乡镇（街道）履职事项清单（测试用）
units:
  - {id: "37", name: 山东省, kind: government, level: province}
  - {id: "3701", name: 济南市, kind: government, level: city, parent: "37"}
  - {id: "370103", name: 市中区, kind: government, level: county, parent: "3701"}
  - id: D-SCJG
    name: 市中区市场监督管理局
    kind: department
    level: county
    parent: "370103"
  - id: D-ZHZF
    name: 市中区综合行政执法局
    kind: department
    level: county
    parent: "370103"
    former_names: [市中区城市管理局]
  - {id: "370103101", name: 党家街道, kind: township, form: street, parent: "370103"}
  - {id: "370103102", name: 兴隆街道, kind: township, form: street, parent: "370103", since: 2020-01-01}
  - {id: "370103101201", name: 矿村, kind: village, form: village, parent: "370103101"}
bases:
  - id: B-LU-2024-5
    number: 鲁政发〔2024〕5号
    title: 关于向乡镇（街道）赋予部分县级行政执法权限的决定
    issuer: 山东省人民政府
    level: province
    kind: decision
    issued: 2024-03-01
    scope: ["370103"]
  - id: B-SZ-2024-12
    number: 市中政办发〔2024〕12号
    title: 市中区乡镇（街道）履行职责事项清单
    issuer: 市中区人民政府办公室
    level: county
    kind: notice
    issued: 2024-06-15
matters:
  - {id: M001, name: 党组织建设, domain: 党的建设}
  - {id: M002, name: 食品安全日常巡查, domain: 市场监管, power_type: inspection}
  - id: M003
    name: 对违规占道经营的行政处罚
    domain: 城乡建设
    power_type: penalty
    basis: B-LU-2024-5
    levels: [county, township]
  - {id: M004, name: 特种设备安全监督检查, domain: 市场监管, power_type: inspection, needs_specialist: true}
  - {id: M005, name: 居民身份证明, domain: 民生服务, power_type: certification}
power_lists:
  - holder: D-ZHZF
    since: 2024-01-01
    items:
      - M003
  - holder: D-SCJG
    items: [M002, M004]
township_templates:
  - id: T-SZ-2024
    name: 市中区街道标准清单
    county: "370103"
    basic:
      - M001
      - {matter: M005, seq: 2, note: 仅限辖区居民}
    cooperative:
      - matter: M002
        lead: D-SCJG
        lead_duties: 组织开展食品安全监督检查
        township_duties: 配合开展日常巡查，发现问题及时报告
    returned:
      - {matter: M004, taken_by: D-SCJG, method: 由区市场监管局统一实施}
township_lists:
  - township: "370103101"
    template: T-SZ-2024
  - township: "370103102"
    template: T-SZ-2024
    remove: [M005]
    basic:
      - {matter: M003, scope: 日常巡查}
village_lists:
  - village: "370103101201"
    duties: [M001]
    assisting:
      - {matter: M002, supervisor: D-SCJG, category: 市场监管}
    negative: [M004]
    may_certify:
      - {matter: M005, basis: B-SZ-2024-12, purpose: 办理社保, procedure: 本人申请、村委会核实后出具}
    certify_only_listed: true
delegations:
  - id: FQ-2024-001
    matter: M003
    department: D-ZHZF
    townships: ["370103101", "370103102"]
    mode: grant
    basis: B-LU-2024-5
    since: 2024-07-01
    evaluation: {every_months: 12, last: 2025-06-30}
admissions:
  - id: ZR-2024-003
    matter: M002
    applicant: D-SCJG
    targets: "370103101"
    term: short
    basis: B-SZ-2024-12
    since: 2024-08-01
    until: 2024-12-31
    document: 市中编办〔2024〕3号
assignments:
  - id: XP-2024-0815
    by: D-SCJG
    to: "370103101"
    matter: M002
    date: 2024-08-15
    document: 市中市监〔2024〕40号
    kind: task
    role: assist
"""

#: What a keyboard (and an input method left in full-width mode) inserts.
SPECIAL = [
    ":", ": ", "-", "- ", "[", "]", "{", "}", ",", "&", "&a ", "*", "*a", "!", "!!str ", "!x ",
    "#", "|", ">", "'", '"', "?", "%", "@", "`", "~", "---\n", "\t", " ", "  ", "\n",
    "：", "　", "，", "、", "（", "）", "“", "”", "；",
    "null", "true", "2024-02-30", "2024年7月1日", "0", "-1", "1e999", "0x1F", "M001", "D-SCJG", "行政处罚",
]
INSERT = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(alphabet=st.sampled_from(list("abcxyz019 :-[]{},&*!#'\"\t\n：　，镇村乡")), min_size=1, max_size=6),
)
INDENTS = ["", " ", "  ", "   ", "    ", "\t", "  \t", "　", "　　", "      "]


@st.composite
def mutation(draw, text: str) -> str:
    """One random edit of the text."""
    n = len(text)
    op = draw(st.sampled_from(
        ["delete", "insert", "replace", "truncate", "dup_line", "swap_lines", "indent", "delete_line"]))
    if n == 0:
        op = "insert"
    if op in ("delete", "insert", "replace"):
        pos = draw(st.integers(0, n))
        if op == "delete":
            size = draw(st.integers(1, 8))
            return text[:pos] + text[pos + size:]
        new = draw(INSERT)
        if op == "insert":
            return text[:pos] + new + text[pos:]
        size = draw(st.integers(1, 4))
        return text[:pos] + new + text[pos + size:]
    if op == "truncate":
        return text[: draw(st.integers(0, n))]
    lines = text.split("\n")
    i = draw(st.integers(0, len(lines) - 1))
    if op == "dup_line":
        lines.insert(i, lines[i])
    elif op == "delete_line":
        del lines[i]
    elif op == "swap_lines":
        j = draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
    else:  # change the indentation
        lines[i] = draw(st.sampled_from(INDENTS)) + lines[i].lstrip(" ")
    return "\n".join(lines)


@st.composite
def mutated(draw) -> str:
    text = VALID
    for _ in range(draw(st.integers(1, 4))):
        text = draw(mutation(text))
    return text


#: An untouched neighbour file that points into the mutated one, so that cross-file duplicate ids
#: and references (and their re-located spans) are exercised too.
OTHER = """\
matters:
  - {id: M006, name: 燃气安全巡查, domain: 安全生产, power_type: inspection}
power_lists:
  - holder: "370103101"
    since: 2024-01-01
    items: [M006, {matter: M002, centralised_to: D-SCJG}]
assignments:
  - {id: XP-2024-0901, by: D-ZHZF, to: "370103102", matter: M003, date: 2024-09-01}
"""


def _has_cjk(text: str) -> bool:
    return any("\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in text)


def _check_span(span: Span, texts: dict[Path, str]) -> None:
    path = next((p for p in texts if p.name == span.file), None)  # spans are root-relative
    assert path is not None, span
    line_count = len(texts[path].splitlines())
    assert 1 <= span.line <= line_count + 1, (span, line_count)
    assert span.column >= 1, span


def _check(diag: Diagnostic, texts: dict[Path, str]) -> None:
    assert isinstance(diag.code, str) and diag.code and diag.code.isascii()
    assert diag.code == diag.code.lower() and " " not in diag.code
    assert isinstance(diag.message, str) and not diag.message.isascii() and _has_cjk(diag.message), diag
    assert diag.span is not None, diag
    _check_span(diag.span, texts)
    for rel in diag.related:
        _check_span(rel, texts)
    assert diag.format()  # renders
    assert diag.to_dict()["code"] == diag.code


def _load_and_check(text: str, other: str | None = None) -> LoadResult:
    """Load a tree holding `text` (and `other`), check every diagnostic while the files exist."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        texts = {root / "county.yaml": text}
        if other is not None:
            texts[root / "other.yaml"] = other
        for path, content in texts.items():
            path.write_text(content, encoding="utf-8")
        result = validate_tree(root, OPTS)  # must not raise
        if result.ok:
            assert result.policy is not None
            assert all(d.severity.value != "error" for d in result.diagnostics)
        else:
            assert result.diagnostics, "a failed load must say why"
            assert any(d.severity.value == "error" for d in result.diagnostics)
        for d in result.diagnostics:
            _check(d, texts)
        keys = [d.sort_key() for d in result.diagnostics]
        assert keys == sorted(keys)
        return result


def test_valid_policy_loads():
    result = _load_and_check(VALID, OTHER)
    assert result.ok, [d.format() for d in result.diagnostics]
    p = result.policy
    assert set(p.units) == {"37", "3701", "370103", "D-SCJG", "D-ZHZF", "370103101", "370103102",
                            "370103101201"}
    assert len(p.matters) == 6 and len(p.power_lists) == 3
    assert set(p.township_lists) == {"370103101", "370103102"}
    assert p.township_lists["370103102"].template == "T-SZ-2024"
    assert p.village_lists["370103101201"].negative[0].matter == "M004"
    assert p.delegations["FQ-2024-001"].townships == ["370103101", "370103102"]
    assert p.admissions["ZR-2024-003"].targets == ["370103101"]
    assert p.assignments["XP-2024-0815"].role.value == "assist"


SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(mutated())
def test_mutated_policy_never_crashes(text):
    _load_and_check(text)


@SETTINGS
@given(mutated())
def test_mutated_policy_beside_valid_file_never_crashes(text):
    _load_and_check(text, OTHER)
