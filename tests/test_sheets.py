"""Spreadsheets in and out (`admission import xlsx`, `admission export xlsx|csv|html`).

Every workbook here is written by the tests with openpyxl the way counties lay them out: a
merged title row, a spacer row, a Chinese header (sometimes two rows), section rows
(一、民生服务) or a merged 分类 column, spacer rows inside the table, notes under it and
full-width characters.  Each list kind imports; each error is reported at its exact cell;
nothing is written on failure; exports have the published layout; export → import gives the
lists back (a property test over generated policies)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import tempfile
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from admission.cli.main import app
from admission.compile.expand import township_entries, village_entries
from admission.loader import LoadOptions, load_policy, parse_file, validate_tree
from admission.loader.yamlread import Limits
from admission.sheets import KINDS, ImportOptions, UsageError, export, import_workbook, sections
from admission.sheets.reader import HeadingMap
from admission.sheets.text import clean_group, cn_number, key

OPTS = LoadOptions(workers=1)
ON = dt.date(2026, 11, 23)
runner = CliRunner()

COUNTY = """\
units:
  - {id: "37", name: 山东省, kind: government, level: province}
  - {id: "3704", name: 枣庄市, kind: government, level: city, parent: "37"}
  - {id: "370402", name: 枣庄市市中区, kind: government, level: county, parent: "3704"}
  - {id: MZ, name: 枣庄市市中区民政局, kind: department, level: county, parent: "370402"}
  - {id: ZJ, name: 枣庄市市中区住房和城乡建设局, kind: department, level: county, parent: "370402"}
  - {id: ZF, name: 枣庄市市中区综合行政执法局, kind: department, level: county, parent: "370402"}
  - {id: SC, name: 枣庄市市中区市场监督管理局, kind: department, level: county, parent: "370402"}
  - {id: YJ, name: 枣庄市市中区应急管理局, kind: department, level: county, parent: "370402"}
  - {id: "370402101", name: 永安镇, kind: township, form: township, parent: "370402"}
  - {id: "370402100", name: 税郭镇, kind: township, form: township, parent: "370402"}
  - {id: "370402101001", name: 和平社区, kind: village, form: community, parent: "370402101"}
bases:
  - {id: SD-FQ-2024, number: 鲁政字〔2024〕117号, title: 山东省人民政府关于赋予乡镇部分县级行政处罚权的决定, issuer: 山东省人民政府, level: province, kind: decision, issued: 2024-06-20}
  - {id: LAW-CXGH, number: 主席令第二十九号, title: 中华人民共和国城乡规划法, issuer: 全国人民代表大会常务委员会, level: central, kind: law, issued: 2019-04-23}
  - {id: ZZ-ZM-2024, number: 枣民发〔2024〕12号, title: 不应由基层群众性自治组织出具证明事项清单, issuer: 枣庄市民政局, level: city, kind: notice, issued: 2024-08-20}
matters:
  - {id: DJ-001, name: 党员发展和教育管理监督, domain: 党的建设}
  - {id: DJ-002, name: 党群服务中心建设和运行管理, domain: 党的建设}
  - {id: MS-001, name: 农村低保申请受理和初审, domain: 民生服务}
  - {id: MS-002, name: 临时救助申请受理和审批, domain: 民生服务}
  - {id: CJ-001, name: 住宅专项维修资金使用申请受理(初审), domain: 城乡建设}
  - {id: CJ-002, name: 农村自建房安全排查, domain: 城乡建设}
  - {id: PA-001, name: 安全生产隐患排查, domain: 平安法治}
  - {id: SC-001, name: 特种设备安全监督检查, domain: 市场监管, power_type: inspection}
  - {id: ZF-001, name: 违法建设查处, domain: 城市管理, power_type: penalty}
  - {id: ZF-002, name: 对擅自占用城市绿地的行政处罚, domain: 综合执法, power_type: penalty, basis: LAW-CXGH}
  - {id: ZF-003, name: 对未取得乡村建设规划许可证进行建设的行政处罚, domain: 综合执法, power_type: penalty, basis: LAW-CXGH}
  - {id: CZ-001, name: 调解民间纠纷, domain: 村民自治}
  - {id: XZ-001, name: 协助开展低保对象入户调查, domain: 社会救助}
  - {id: FM-001, name: 行政执法, domain: 负面清单}
  - {id: ZM-001, name: 亲属关系证明, domain: 证明事项, power_type: certification}
  - {id: ZM-002, name: 土地承包经营权流转情况证明, domain: 证明事项, power_type: certification}
power_lists:
  - holder: ZF
    items: [ZF-001, ZF-002, ZF-003]
"""

YONGAN = "370402101"


@pytest.fixture
def tree(tmp_path) -> Path:
    root = tmp_path / "policies"
    root.mkdir()
    (root / "county.yaml").write_text(COUNTY, encoding="utf-8")
    return root


@pytest.fixture
def policy(tree):
    return load_policy(tree, OPTS)


# --------------------------------------------------------------------------- workbooks
def workbook(path: Path, sheet: str, title: str | None, header: list, body: list, *, header2: list | None = None,
             header_merges: tuple = (), notes: tuple = (), group_column: int | None = None) -> Path:
    """A published-looking sheet.  `body` items: a list of cells (a data row), None (a spacer
    row), or a str (a section row merged across the table).  With `group_column` the group
    cells are merged down over runs of equal values.  Returns the path."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    width = len(header)
    r = 1
    if title is not None:
        ws.cell(1, 1, title)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        r = 3  # row 2: spacer
    for c, h in enumerate(header, 1):
        ws.cell(r, c, h)
    for m in header_merges:
        ws.merge_cells(m)
    if header2 is not None:
        r += 1
        for c, h in enumerate(header2, 1):
            if h is not None:
                ws.cell(r, c, h)
    r += 1
    runs: list[tuple[int, int, object]] = []
    for item in body:
        if item is None:
            pass
        elif isinstance(item, str):
            ws.cell(r, 1, item)
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
        else:
            for c, v in enumerate(item, 1):
                if v is not None:
                    ws.cell(r, c, v)
            if group_column is not None:
                g = item[group_column - 1]
                if runs and runs[-1][2] == g and runs[-1][1] == r - 1 and g is not None:
                    runs[-1] = (runs[-1][0], r, g)
                    ws.cell(r, group_column).value = None
                else:
                    runs.append((r, r, g))
        r += 1
    for a, b, _ in runs:
        if b > a:
            ws.merge_cells(start_row=a, start_column=group_column, end_row=b, end_column=group_column)
    r += 1
    for n in notes:
        ws.cell(r, 1, n)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
        r += 1
    wb.save(path)
    return path


def cooperative_book(path: Path, rows: list | None = None) -> Path:
    """永安镇配合履职事项: merged title, spacer, header with full-width parens and spaces,
    section rows, spacer rows, a note."""
    rows = rows if rows is not None else [
        "一、民生服务（1项）",
        ["１", "农村低保申请受理和初审", "枣庄市市中区　民政局", "审核审批，资金发放", "受理申请，入户调查"],
        None,
        "二、城乡建设（2项）",
        [2, "住宅专项维修资金使用申请受理（初审）", "区住房和城乡建设局", "政策指导和使用监管", "受理审核申请"],
        [3, "农村自建房安全排查", "枣庄市市中区住房和城乡建设局、枣庄市市中区应急管理局", "组织排查", "入户排查"],
    ]
    return workbook(path, "配合清单", "永安镇履行职责事项清单（配合履职事项）",
                    ["序  号", "事项名称", "对应上级部门", "上级部门职责", "乡镇（街道）配合职责"], rows,
                    notes=("注：本清单实行动态调整。",))


def run_import(policy, book: Path, kind: str, out: Path, unit: str = YONGAN, **kw):
    return import_workbook(book, policy, ImportOptions(kind=kind, unit=unit, out_dir=out, **kw))


def errors(result) -> list[tuple[str, str]]:
    return [(p.code, p.where) for p in result.problems if p.severity == "error"]


def written(result):
    pf, diags = parse_file(str(result.path), result.path.read_bytes(), Limits())
    assert pf is not None, [d.format() for d in diags]
    return pf


# --------------------------------------------------------------------------- each kind imports
def test_cooperative_real_layout(policy, tree, tmp_path):
    book = cooperative_book(tmp_path / "配合.xlsx")
    out = tmp_path / "out"
    res = run_import(policy, book, "cooperative", out)
    assert res.ok, [p.format() for p in res.problems]
    assert res.written and res.path == out / f"{YONGAN}-lists.yaml"
    rec = written(res).township_lists[0]
    assert rec.township == YONGAN and not rec.basic and not rec.returned
    got = [(e.seq, e.matter, e.lead, e.lead_duties, e.township_duties) for e in rec.cooperative]
    assert got == [
        (1, "MS-001", ["MZ"], "审核审批，资金发放", "受理申请，入户调查"),
        (2, "CJ-001", ["ZJ"], "政策指导和使用监管", "受理审核申请"),       # 区住房和城乡建设局: county prefix alias
        (3, "CJ-002", ["ZJ", "YJ"], "组织排查", "入户排查"),               # two leads (the check reports it)
    ]
    # the written file loads together with the policy
    (tree / "imported.yaml").write_text(res.path.read_text(encoding="utf-8"), encoding="utf-8")
    assert validate_tree(tree, OPTS).ok


def test_basic_with_merged_domain_column_and_two_row_header(policy, tmp_path):
    body = [
        [1, "党的建设", "党员发展和教育管理监督"],
        [2, "党的建设", "党群服务中心建设和运行管理"],
        None,
        [3, "民生服务", "临时救助申请受理和审批"],
    ]
    book = workbook(tmp_path / "b.xlsx", "基本履职事项", "永安镇履行职责事项清单（基本履职事项）",
                    ["序号", "分类", "事项名称"], body, group_column=2)
    res = run_import(policy, book, "basic", tmp_path / "out", since=dt.date(2025, 4, 1))
    assert res.ok, [p.format() for p in res.problems]
    rec = written(res).township_lists[0]
    assert [(e.seq, e.matter, e.since) for e in rec.basic] == [
        (1, "DJ-001", dt.date(2025, 4, 1)), (2, "DJ-002", dt.date(2025, 4, 1)), (3, "MS-002", dt.date(2025, 4, 1))]

    # 职责分工 over two sub-headings, 序号 and 事项名称 merged over both header rows
    book2 = workbook(tmp_path / "c.xlsx", "配合", "配合履职事项清单",
                     ["序号", "事项名称", "对应上级部门", "职责分工", None],
                     [[1, "农村低保申请受理和初审", "枣庄市市中区民政局", "审核审批", "受理申请"]],
                     header2=[None, None, None, "上级部门职责", "乡镇配合职责"],
                     header_merges=("A3:A4", "B3:B4", "C3:C4", "D3:E3"))
    res2 = run_import(policy, book2, "cooperative", tmp_path / "out")
    assert res2.ok, [p.format() for p in res2.problems]
    rec = written(res2).township_lists[0]
    assert [(e.lead_duties, e.township_duties) for e in rec.cooperative] == [("审核审批", "受理申请")]
    assert [e.matter for e in rec.basic] == ["DJ-001", "DJ-002", "MS-002"], "the earlier basic list is kept"


def test_sections_written_in_the_columns(policy, tmp_path):
    """Section rows that are not merged: | 一 | 党的建设 | and a lone 「（二）民生服务」; a total row."""
    book = workbook(tmp_path / "b.xlsx", "基本", "基本履职事项清单", ["序号", "事项名称"],
                    [["一", "党的建设"], [1, "党员发展和教育管理监督"], [None, "（二）民生服务"], [2, "临时救助申请受理和审批"],
                     [None, "合计"]])
    res = run_import(policy, book, "basic", tmp_path / "out", new_matters=True)
    assert res.ok and not res.new_matters, [p.format() for p in res.problems]
    assert [e.matter for e in res.entries] == ["DJ-001", "MS-002"]


def test_returned(policy, tmp_path):
    book = workbook(tmp_path / "r.xlsx", "收回事项", "永安镇履行职责事项清单（上级部门收回事项）",
                    ["序号", "事项名称", "收回部门", "履职方式"],
                    ["一、市场监管", [1, "特种设备安全监督检查", "枣庄市市中区市场监督管理局", "由区市场监管局按计划检查"],
                     "二、城市管理", [2, "违法建设查处", "区综合行政执法局", "区综合执法局查处，镇发现报告"]])
    res = run_import(policy, book, "returned", tmp_path / "out")
    assert res.ok, [p.format() for p in res.problems]
    rec = written(res).township_lists[0]
    assert [(e.matter, e.taken_by, e.method) for e in rec.returned] == [
        ("SC-001", ["SC"], "由区市场监管局按计划检查"), ("ZF-001", ["ZF"], "区综合执法局查处，镇发现报告")]


def test_delegated(policy, tree, tmp_path):
    book = workbook(tmp_path / "d.xlsx", "赋权事项", "永安镇赋权事项清单",
                    ["序号", "赋权事项", "权力类型", "法律法规依据", "原实施主体", "承接主体", "赋权方式", "赋权依据", "实施日期"],
                    ["一、综合执法",
                     [1, "对擅自占用城市绿地的行政处罚", "行政处罚", "《中华人民共和国城乡规划法》第六十四条",
                      "枣庄市市中区综合行政执法局", "永安镇", "赋权", "鲁政字〔2024〕117号", "2024-07-01"],
                     [2, "对未取得乡村建设规划许可证进行建设的行政处罚", "处罚", "中华人民共和国城乡规划法",
                      "区综合行政执法局", "永安镇、税郭镇", "委托", "鲁政字〔2024〕117号", dt.datetime(2024, 7, 1)]])
    res = run_import(policy, book, "delegated", tmp_path / "out")
    assert res.ok, [p.format() for p in res.problems]
    dels = written(res).delegations
    assert [(d.matter, d.department, d.townships, d.mode.value, d.basis, d.since) for d in dels] == [
        ("ZF-002", "ZF", [YONGAN], "grant", "SD-FQ-2024", dt.date(2024, 7, 1)),
        ("ZF-003", "ZF", [YONGAN, "370402100"], "entrust", "SD-FQ-2024", dt.date(2024, 7, 1)),
    ]
    assert len({d.id for d in dels}) == 2
    (tree / "imported.yaml").write_text(res.path.read_text(encoding="utf-8"), encoding="utf-8")
    assert validate_tree(tree, OPTS).ok


@pytest.mark.parametrize("kind, header, row, check", [
    ("village-duties", ["序号", "事项内容"], [1, "调解民间纠纷"], lambda r: [e.matter for e in r.duties] == ["CZ-001"]),
    ("village-assisting", ["序号", "事项内容", "业务主管部门"], [1, "协助开展低保对象入户调查", "区民政局"],
     lambda r: [(e.matter, e.supervisor, e.category) for e in r.assisting] == [("XZ-001", "MZ", "社会救助")]),
    ("village-assisting", ["序号", "事项内容", "业务主管部门", "角色"], [1, "协助开展低保对象入户调查", "区民政局", "协助"],
     lambda r: [(e.matter, e.role.value) for e in r.assisting] == [("XZ-001", "assist")]),
    ("village-duties", ["序号", "事项内容", "村(社区)角色"], [1, "调解民间纠纷", "责任主体"],
     lambda r: [(e.matter, e.role.value) for e in r.duties] == [("CZ-001", "responsible")]),
    ("village-negative", ["序号", "事项内容"], [1, "行政执法"], lambda r: [e.matter for e in r.negative] == ["FM-001"]),
    ("may-certify", ["序号", "证明名称", "设定依据", "办理用途", "具体流程", "证明式样"],
     [1, "土地承包经营权流转情况证明", "《中华人民共和国城乡规划法》", "申请农业补贴", "申请→核实→出具", "见附件"],
     lambda r: [(e.matter, e.basis, e.purpose, e.procedure) for e in r.may_certify]
     == [("ZM-002", "LAW-CXGH", "申请农业补贴", "申请→核实→出具")]),
    ("must-not-certify", ["序号", "证明事项名称", "依据", "备注"], [1, "亲属关系证明", "枣民发〔2024〕12号", "由公安机关出具"],
     lambda r: [(e.matter, e.basis, e.note) for e in r.must_not_certify] == [("ZM-001", "ZZ-ZM-2024", "由公安机关出具")]),
])
def test_village_kinds(policy, tmp_path, kind, header, row, check):
    book = workbook(tmp_path / "v.xlsx", "清单", "和平社区工作事项清单", header, ["一、社会救助", row])
    res = run_import(policy, book, kind, tmp_path / "out", unit="和平社区")
    assert res.ok, [p.format() for p in res.problems]
    assert res.path.name == "370402101001-village.yaml"
    assert check(written(res).village_lists[0])


def test_new_matters(policy, tree, tmp_path):
    book = workbook(tmp_path / "b.xlsx", "基本", "基本履职事项", ["序号", "事项名称"],
                    ["一、党的建设", [1, "党员发展和教育管理监督"], [2, "基层党建示范点创建"], "二、民生服务", [3, "老年助餐服务"]])
    res = run_import(policy, book, "basic", tmp_path / "out")
    assert errors(res) == [("unknown-matter", "基本!B6"), ("unknown-matter", "基本!B8")]
    assert not (tmp_path / "out").exists()
    res = run_import(policy, book, "basic", tmp_path / "out", new_matters=True)
    assert res.ok
    pf = written(res)
    assert [(m.id, m.name, m.domain, [lv.value for lv in m.levels]) for m in pf.matters] == [
        (f"NEW-{YONGAN}-JB001", "基层党建示范点创建", "党的建设", ["township"]),
        (f"NEW-{YONGAN}-JB002", "老年助餐服务", "民生服务", ["township"])]
    assert [e.matter for e in pf.township_lists[0].basic] == ["DJ-001", f"NEW-{YONGAN}-JB001", f"NEW-{YONGAN}-JB002"]
    # importing again keeps the ids (the names now resolve to the file's own new matters)
    again = run_import(policy, book, "basic", tmp_path / "out", new_matters=True)
    assert again.ok and [m.id for m in written(again).matters] == [m.id for m in pf.matters]
    (tree / "imported.yaml").write_text(res.path.read_text(encoding="utf-8"), encoding="utf-8")
    assert validate_tree(tree, OPTS).ok


def test_new_delegated_matter_takes_the_row_power_type_and_basis(policy, tmp_path):
    book = workbook(tmp_path / "d.xlsx", "赋权", None, ["序号", "赋权事项", "权力类型", "法律法规依据", "原实施主体"],
                    ["综合执法（2项）",
                     [1, "对违规设置摊点的行政处罚", "行政处罚", "《中华人民共和国城乡规划法》", "区综合行政执法局"],
                     [2, "对违规张贴小广告的行政处罚", "处罚", "某市容管理办法", "区综合行政执法局"]])
    res = run_import(policy, book, "delegated", tmp_path / "out", new_matters=True, basis="SD-FQ-2024")
    assert res.ok, [p.format() for p in res.problems]
    assert [(m.name, m.domain, m.power_type.value, m.basis) for m in res.new_matters] == [
        ("对违规设置摊点的行政处罚", "综合执法", "penalty", "LAW-CXGH"), ("对违规张贴小广告的行政处罚", "综合执法", "penalty", None)]
    assert [(p.code, p.where, p.severity) for p in res.problems if p.severity != "info"] == [
        ("unknown-basis", "赋权!D4", "warning")]
    assert {d.basis for d in res.entries} == {"SD-FQ-2024"} and {d.mode.value for d in res.entries} == {"grant"}


def test_columns_file_and_aliases(policy, tmp_path):
    book = workbook(tmp_path / "c.xlsx", "配合", None, ["序号", "工作事项名称", "责任单位", "联系人"],
                    [[1, "农村低保申请受理和初审", "民政"]])
    res = run_import(policy, book, "cooperative", tmp_path / "out")
    assert errors(res) == [("unknown-column", "配合!B1"), ("unknown-column", "配合!C1"),
                           ("unknown-column", "配合!D1"), ("missing-column", "配合!A1"), ("missing-column", "配合!A1")]
    mapping = tmp_path / "cols.yaml"
    mapping.write_text("columns:\n  工作事项名称: name\n  责任单位: lead\n  联系人: null\n"
                       "departments:\n  民政: MZ\n", encoding="utf-8")
    from admission.sheets import load_columns

    res = run_import(policy, book, "cooperative", tmp_path / "out", columns=load_columns(mapping))
    assert res.ok, [p.format() for p in res.problems]
    assert [(e.matter, e.lead) for e in written(res).township_lists[0].cooperative] == [("MS-001", ["MZ"])]


# --------------------------------------------------------------------------- every error at its cell
def test_error_unknown_and_missing_columns(policy, tmp_path):
    book = workbook(tmp_path / "e.xlsx", "配合清单", "永安镇配合履职事项", ["序号", "事项名称", "上级部门职责", "牵头科室"],
                    [[1, "农村低保申请受理和初审", "审核", "x"]])
    res = run_import(policy, book, "cooperative", tmp_path / "out")
    assert errors(res) == [("unknown-column", "配合清单!D3"), ("missing-column", "配合清单!A3")]
    msgs = {p.code: p for p in res.problems}
    assert "牵头科室" in msgs["unknown-column"].message and "对应上级部门" in msgs["missing-column"].message
    assert not (tmp_path / "out").exists()


def test_error_no_header(policy, tmp_path):
    book = workbook(tmp_path / "e.xlsx", "Sheet1", "永安镇清单", ["编码", "内容"], [["A1", "x"]])
    res = run_import(policy, book, "basic", tmp_path / "out")
    assert errors(res) == [("no-header", "Sheet1!A1")]


def test_error_unresolved_department_with_nearest(policy, tmp_path):
    rows = ["一、民生服务", [1, "农村低保申请受理和初审", "区民证局", "审核", "受理"]]
    res = run_import(policy, cooperative_book(tmp_path / "e.xlsx", rows), "cooperative", tmp_path / "out")
    assert errors(res) == [("unknown-department", "配合清单!C5")]
    p = res.problems[0]
    assert "区民证局" in p.message and "枣庄市市中区民政局" in p.help and "（MZ）" in p.help


def test_error_unresolved_matter_with_nearest(policy, tmp_path):
    rows = ["一、民生服务", [1, "农村低保申请受理", "区民政局", "审核", "受理"],
            [2, "完全不存在的一项工作", "区民政局", "审核", "受理"]]
    res = run_import(policy, cooperative_book(tmp_path / "e.xlsx", rows), "cooperative", tmp_path / "out")
    assert errors(res) == [("unknown-matter", "配合清单!B5"), ("unknown-matter", "配合清单!B6")]
    assert "农村低保申请受理和初审" in res.problems[0].help and "--new-matters" in res.problems[0].help


def test_error_duplicate_row(policy, tmp_path):
    rows = ["一、民生服务", [1, "农村低保申请受理和初审", "区民政局", "审核", "受理"], None,
            [2, "农村低保申请受理和初审", "区民政局", "审核", "受理"]]
    res = run_import(policy, cooperative_book(tmp_path / "e.xlsx", rows), "cooperative", tmp_path / "out")
    assert errors(res) == [("duplicate-row", "配合清单!B7")]
    assert "配合清单!B5" in res.problems[0].message


def test_error_empty_required_cells(policy, tmp_path):
    rows = ["一、民生服务", [1, None, "区民政局", "审核", "受理"], [2, "农村低保申请受理和初审", None, "审核", "受理"]]
    res = run_import(policy, cooperative_book(tmp_path / "e.xlsx", rows), "cooperative", tmp_path / "out")
    assert errors(res) == [("empty-cell", "配合清单!B5"), ("empty-cell", "配合清单!C6")]
    assert "对应上级部门" in res.problems[1].message


def test_error_bad_power_type_and_values(policy, tmp_path):
    book = workbook(tmp_path / "d.xlsx", "赋权", "永安镇赋权事项清单",
                    ["序号", "赋权事项", "权力类型", "原实施主体", "赋权方式", "实施日期"],
                    [[1, "对擅自占用城市绿地的行政处罚", "行政罚款", "区综合行政执法局", "赋权", "2024-07-01"],
                     [2, "对未取得乡村建设规划许可证进行建设的行政处罚", "行政处罚", "区综合行政执法局", "下放", "2024-13-01"],
                     ["三", "违法建设查处", "行政检查", "区综合行政执法局", "赋权", None]])
    res = run_import(policy, book, "delegated", tmp_path / "out")
    assert errors(res) == [("bad-power-type", "赋权!C4"), ("bad-value", "赋权!F5"), ("bad-value", "赋权!E5"),
                           ("bad-value", "赋权!A6")]
    assert "行政处罚" in res.problems[0].help
    # a power type that differs from the catalogue is a warning, not an error
    warn = [p for p in res.problems if p.code == "power-type-differs"]
    assert [p.where for p in warn] == ["赋权!C6"] and warn[0].severity == "warning"


def test_error_other_township_and_unknown_basis(policy, tmp_path):
    book = workbook(tmp_path / "d.xlsx", "赋权", None, ["序号", "赋权事项", "原实施主体", "承接主体", "赋权依据"],
                    [[1, "对擅自占用城市绿地的行政处罚", "区综合行政执法局", "税郭镇", "鲁政字〔2024〕117号"],
                     [2, "违法建设查处", "区综合行政执法局", "永安镇", "鲁政字〔2024〕118号"],
                     [3, "对未取得乡村建设规划许可证进行建设的行政处罚", "区综合行政执法局", "永安乡", None]])
    res = run_import(policy, book, "delegated", tmp_path / "out")
    assert errors(res) == [("other-township", "赋权!D2"), ("unknown-basis", "赋权!E3"), ("unknown-township", "赋权!D4")]
    assert "鲁政字〔2024〕117号" in res.problems[1].help and "永安镇" in res.problems[2].help


def test_usage_errors(policy, tmp_path):
    book = cooperative_book(tmp_path / "c.xlsx")
    with pytest.raises(UsageError, match="找不到单位"):
        run_import(policy, book, "cooperative", tmp_path / "out", unit="不存在镇")
    with pytest.raises(UsageError, match="乡镇"):
        run_import(policy, book, "cooperative", tmp_path / "out", unit="和平社区")
    with pytest.raises(UsageError, match="工作表"):
        run_import(policy, book, "cooperative", tmp_path / "out", sheet="没有这张表")
    (tmp_path / "x.xlsx").write_text("not a workbook", encoding="utf-8")
    with pytest.raises(UsageError, match="无法读取工作簿"):
        run_import(policy, tmp_path / "x.xlsx", "cooperative", tmp_path / "out")


# --------------------------------------------------------------------------- nothing half-written
def test_nothing_written_on_failure(policy, tmp_path):
    out = tmp_path / "out"
    good = run_import(policy, cooperative_book(tmp_path / "good.xlsx"), "cooperative", out)
    assert good.ok
    before = good.path.read_bytes()
    bad = cooperative_book(tmp_path / "bad.xlsx", ["一、民生服务", [1, "农村低保申请受理和初审", "区民证局", "审核", "受理"]])
    res = run_import(policy, bad, "cooperative", out)
    assert not res.ok and not res.written
    assert good.path.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == [good.path.name], "no temporary files left"
    # a file the importer did not write is never overwritten
    other = tmp_path / "mine"
    other.mkdir()
    (other / f"{YONGAN}-lists.yaml").write_text("# 手写的文件\nversion: 1\n", encoding="utf-8")
    with pytest.raises(UsageError, match="不会覆盖"):
        run_import(policy, cooperative_book(tmp_path / "good.xlsx"), "cooperative", other)


def test_cli_exit_codes(tree, tmp_path):
    book = cooperative_book(tmp_path / "c.xlsx")
    out = tmp_path / "out"
    args = ["import", "xlsx", str(book), "--kind", "cooperative", "--unit", "永安镇", "-p", str(tree), "-o", str(out)]
    ok = runner.invoke(app, args)
    assert ok.exit_code == 0, ok.output
    assert "3 项" in ok.output and (out / f"{YONGAN}-lists.yaml").exists()
    bad = cooperative_book(tmp_path / "bad.xlsx", ["一、民生服务", [1, "农村低保申请受理和初审", "区民证局", "审核", "受理"]])
    res = runner.invoke(app, ["import", "xlsx", str(bad), *args[3:-1], str(tmp_path / "out2")])
    assert res.exit_code == 1
    assert "配合清单!C5: error[unknown-department]" in res.output and not (tmp_path / "out2").exists()
    assert "未能识别的名称" in res.output and "部门“区民证局”（配合清单!C5）" in res.output
    mapping = tmp_path / "cols.json"
    mapping.write_text('{"departments": {"区民证局": "MZ"}}', encoding="utf-8")
    fixed = runner.invoke(app, ["import", "xlsx", str(bad), *args[3:-1], str(tmp_path / "out2"), "--columns", str(mapping)])
    assert fixed.exit_code == 0, fixed.output
    mapping.write_text('{"columns": {"事项": "nonsense"}}', encoding="utf-8")
    assert runner.invoke(app, ["import", "xlsx", str(bad), *args[3:], "--columns", str(mapping)]).exit_code == 2
    js = runner.invoke(app, ["import", "xlsx", str(bad), *args[3:-1], str(tmp_path / "out2"), "-f", "json"])
    assert js.exit_code == 1 and '"where": "配合清单!C5"' in js.output
    assert runner.invoke(app, [*args[:6], "不存在镇", *args[7:]]).exit_code == 2
    assert runner.invoke(app, [*args[:4], "nonsense", *args[5:]]).exit_code == 2
    exp = runner.invoke(app, ["export", "csv", "--unit", "永安镇", "-p", str(tree), "--on", "2026-11-23",
                              "-o", str(tmp_path / "x.csv")])
    assert exp.exit_code == 0, exp.output
    assert runner.invoke(app, ["export", "csv", "--unit", "和平社区", "-p", str(tree), "--kind", "basic",
                               "-o", str(tmp_path / "y.csv")]).exit_code == 2


# --------------------------------------------------------------------------- export layouts
LISTS = """\
township_lists:
  - township: "370402101"
    basic:
      - {matter: DJ-001, seq: 1}
      - {matter: MS-001, seq: 3}
      - {matter: DJ-002, seq: 2}
      - {matter: MS-002, seq: 4, until: 2025-12-31}
    cooperative:
      - {matter: CJ-001, seq: 1, lead: ZJ, lead_duties: 政策指导和使用监管, township_duties: "受理审核申请: 初审"}
    returned:
      - {matter: SC-001, seq: 1, taken_by: SC, method: 由区市场监管局按计划检查}
delegations:
  - {id: D1, matter: ZF-002, department: ZF, townships: ["370402101"], mode: grant, basis: SD-FQ-2024, since: 2024-07-01}
"""


@pytest.fixture
def listed(tree):
    (tree / "lists.yaml").write_text(LISTS, encoding="utf-8")
    return load_policy(tree, OPTS)


def test_export_xlsx_layout(listed, tmp_path):
    path = tmp_path / "永安镇.xlsx"
    secs = export(listed, "永安镇", ON, "xlsx", path)
    assert [s.sheet for s in secs] == ["基本履职事项", "配合履职事项", "上级部门收回事项", "赋权事项"]
    wb = openpyxl.load_workbook(path)
    ws = wb["基本履职事项"]
    assert ws["A1"].value == "永安镇履行职责事项清单（基本履职事项）"
    assert "A1:B1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A2"].value == "有效日期：2026年11月23日　共3项"          # MS-002 ended 2025-12-31
    assert [c.value for c in ws[3]] == ["序号", "事项名称"]
    assert [[c.value for c in r] for r in ws.iter_rows(min_row=4)] == [
        ["一、党的建设（2项）", None], [1, "党员发展和教育管理监督"], [2, "党群服务中心建设和运行管理"],
        ["二、民生服务（1项）", None], [3, "农村低保申请受理和初审"]]
    assert ws.print_title_rows == "$3:$3" or ws.print_title_rows == "3:3"
    coop = wb["配合履职事项"]
    assert [c.value for c in coop[3]] == ["序号", "事项名称", "对应上级部门", "上级部门职责", "乡镇配合职责"]
    assert [c.value for c in coop[5]] == [1, "住宅专项维修资金使用申请受理(初审)", "枣庄市市中区住房和城乡建设局",
                                          "政策指导和使用监管", "受理审核申请: 初审"]
    assert [c.value for c in wb["上级部门收回事项"][3]] == ["序号", "事项名称", "承接部门", "工作方式"]
    d = wb["赋权事项"]
    assert d["A1"].value == "永安镇赋权事项清单"
    assert [c.value for c in d[3]][:6] == ["序号", "赋权事项", "权力类型", "法律法规依据", "原实施主体", "承接主体"]
    assert [c.value for c in d[5]][:7] == [1, "对擅自占用城市绿地的行政处罚", "行政处罚", "《中华人民共和国城乡规划法》",
                                           "枣庄市市中区综合行政执法局", "永安镇", "赋权"]


def test_export_column_grouping_merges_domain(listed, tmp_path):
    path = tmp_path / "b.xlsx"
    export(listed, YONGAN, ON, "xlsx", path, kinds=["basic"], grouping="column")
    ws = openpyxl.load_workbook(path).active
    assert [c.value for c in ws[3]] == ["序号", "领域", "事项名称"]
    assert "B4:B5" in {str(r) for r in ws.merged_cells.ranges}


def test_export_csv_bom_and_grouping(listed, tmp_path):
    path = tmp_path / "永安镇.csv"
    export(listed, YONGAN, ON, "csv", path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["永安镇履行职责事项清单（基本履职事项）"]
    assert rows[1] == ["有效日期：2026年11月23日　共3项"]
    assert rows[2] == ["序号", "领域", "事项名称"]
    assert rows[3:6] == [["1", "党的建设", "党员发展和教育管理监督"], ["2", "党的建设", "党群服务中心建设和运行管理"],
                         ["3", "民生服务", "农村低保申请受理和初审"]]
    assert rows[6] == [] and rows[7] == ["永安镇履行职责事项清单（配合履职事项）"]
    path2 = tmp_path / "s.csv"
    export(listed, YONGAN, ON, "csv", path2, kinds=["basic"], grouping="sections")
    rows = list(csv.reader(io.StringIO(path2.read_bytes().decode("utf-8-sig"))))
    assert rows[3] == ["一、党的建设（2项）"] and rows[2] == ["序号", "事项名称"]


def test_export_html_printable(listed, tmp_path):
    path = tmp_path / "永安镇.html"
    export(listed, YONGAN, ON, "html", path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in text
    assert "@media print" in text and "@page" in text and "table-header-group" in text
    assert "<h1>永安镇履行职责事项清单（配合履职事项）</h1>" in text
    assert '<tr class="group"><th colspan="2">一、党的建设（2项）</th></tr>' in text
    assert "http" not in text and "<link" not in text and "<script" not in text, "no external assets"
    assert "受理审核申请: 初审" in text
    export(listed, YONGAN, ON, "html", path, kinds=["basic"], grouping="column")
    assert '<td class="grp" rowspan="2">党的建设</td>' in path.read_text(encoding="utf-8")


def test_export_county_one_sheet_per_township_per_list(listed, tmp_path):
    path = tmp_path / "区.xlsx"
    secs = export(listed, "枣庄市市中区", ON, "xlsx", path)
    assert [s.sheet for s in secs] == ["税郭镇-基本", "税郭镇-配合", "税郭镇-收回",
                                       "永安镇-基本", "永安镇-配合", "永安镇-收回", "永安镇-赋权"]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [s.sheet for s in secs]
    assert wb["永安镇-配合"]["A1"].value == "永安镇履行职责事项清单（配合履职事项）"
    # a county workbook imports sheet by sheet: the sheet is found from the kind and the town
    res = run_import(listed, path, "cooperative", tmp_path / "out")
    assert res.ok and res.sheet == "永安镇-配合"


def test_export_village(tree, tmp_path):
    (tree / "v.yaml").write_text("""\
village_lists:
  - village: "370402101001"
    duties: [CZ-001]
    assisting: [{matter: XZ-001, supervisor: MZ, category: 社会救助}]
    must_not_certify: [{matter: ZM-001, basis: ZZ-ZM-2024, note: 由公安机关出具}]
""", encoding="utf-8")
    pol = load_policy(tree, OPTS)
    secs = sections(pol, "和平社区", ON)
    assert [s.title for s in secs] == ["和平社区工作事项清单（依法履职事项）", "和平社区工作事项清单（协助政府工作事项）",
                                       "和平社区不应出具证明事项清单"]
    assert secs[1].headings == ["事项内容", "业务主管部门"] and secs[1].groups[0][0] == "社会救助"
    assert secs[2].headings == ["证明事项名称", "设定依据", "备注"]
    assert secs[2].groups[0][1] == [["亲属关系证明", "枣民发〔2024〕12号", "由公安机关出具"]]


# --------------------------------------------------------------------------- helpers
def test_text_helpers():
    assert [cn_number(n) for n in (1, 10, 11, 20, 21, 99, 100, 105, 120)] == [
        "一", "十", "十一", "二十", "二十一", "九十九", "一百", "一百零五", "一百二十"]
    assert clean_group("一、党的建设（20项）") == "党的建设"
    assert clean_group("（三）民生服务") == "民生服务"
    assert clean_group("第二部分 平安法治 共12项") == "平安法治"
    assert key("住宅专项维修资金（初审）　") == "住宅专项维修资金(初审)"


def test_headings_are_unambiguous_per_kind():
    for kind in KINDS.values():
        seen: dict[str, str] = {}
        for fld, headings in kind.headings().items():
            for h in headings:
                assert seen.setdefault(key(h), fld) == fld, (kind.key, h, seen[key(h)], fld)
    hm = HeadingMap(KINDS["cooperative"])
    assert hm.lookup("乡镇（街道）配合职责") == (True, "township_duties")
    assert hm.lookup("镇（街道） 配合职责*") == (True, "township_duties")
    assert hm.lookup("牵头科室") == (False, None)


# --------------------------------------------------------------------------- round trip (property)
OBJECTS = ("农村低保", "特困人员救助供养", "临时救助", "残疾人两项补贴", "高龄津贴", "城乡居民养老保险", "退役军人优待抚恤",
           "农村自建房", "住宅专项维修资金", "老旧小区改造", "农村公路", "河湖采砂", "秸秆焚烧", "森林防火", "食品小作坊",
           "特种设备", "燃气安全", "电动自行车", "户外广告设施", "建筑垃圾", "占道经营", "餐饮油烟", "违法建设",
           "耕地保护", "宅基地", "高标准农田", "动物防疫", "农药经营", "流动人口", "出租房屋", "人民调解", "社区矫正")
ACTIONS = ("申请受理和初审", "排查整治", "日常巡查", "宣传引导", "监督检查", "信息采集", "隐患排查", "行政处罚",
           "协调服务", "资格认证", "动态管理")
DOMAINS = ("党的建设", "经济发展", "民生服务", "平安法治", "城乡建设", "综合保障", "生态环境", "农业农村")
DEPTS = ("民政局", "住房和城乡建设局", "综合行政执法局", "市场监督管理局", "应急管理局", "农业农村局", "自然资源局",
         "生态环境分局", "交通运输局", "水务局", "卫生健康局", "公安分局", "司法局", "人力资源和社会保障局")
PHRASES = ("负责政策制定和业务指导", "组织实施监督检查", "受理申请，入户调查", "日常巡查，发现问题及时报告",
           "配合做好宣传动员：张贴公告", "协助核实情况并签署意见", "按“双随机、一公开”要求检查", "建立台账 #1 并动态更新",
           "做好资料收集、整理和报送工作", "承担属地管理责任（配合）", "每月 5 日前报送数据", "It's 初审; 复核")


def _flow(entry: dict) -> str:
    return yaml.safe_dump({k: v for k, v in entry.items() if v is not None}, default_flow_style=True,
                          allow_unicode=True, width=10**6).strip()


def _policy_yaml(rng: random.Random, n_matters: int) -> tuple[str, dict]:
    """A county with two townships and a village; random lists for 龙阳镇 and 龙阳社区 with
    realistic names and duty texts; the delegations of 龙阳镇.  Returns the YAML and, per kind,
    the signatures the import must give back."""
    n_village = rng.randint(1, 8)
    names = rng.sample([o + a for o in OBJECTS for a in ACTIONS], n_matters + 6 + 5 * n_village)
    depts = rng.sample(DEPTS, rng.randint(2, 6))
    lines = ["units:",
             '  - {id: "37", name: 山东省, kind: government, level: province}',
             '  - {id: "370481", name: 滕州市, kind: government, level: county, parent: "37"}',
             '  - {id: "370481101", name: 龙阳镇, kind: township, form: township, parent: "370481"}',
             '  - {id: "370481102", name: 级索镇, kind: township, form: township, parent: "370481"}',
             '  - {id: "370481101001", name: 龙阳社区, kind: village, form: community, parent: "370481101"}']
    dept_ids = []
    for i, d in enumerate(depts):
        dept_ids.append(f"D{i}")
        lines.append(f'  - {{id: D{i}, name: 滕州市{d}, kind: department, level: county, parent: "370481"}}')
    lines += ["bases:",
              "  - {id: B1, number: 鲁政字〔2024〕117号, title: 赋权决定, issuer: 山东省人民政府, level: province,"
              " kind: decision, issued: 2024-06-20}",
              "  - {id: LAW1, number: 主席令第二十九号, title: 中华人民共和国村民委员会组织法, issuer: 全国人民代表大会常务委员会,"
              " level: central, kind: law, issued: 2018-12-29}",
              "  - {id: N1, number: 枣民发〔2024〕12号, title: 证明事项清单, issuer: 枣庄市民政局, level: city,"
              " kind: notice, issued: 2024-08-20}",
              "matters:"]
    mids = []
    for i, name in enumerate(names):
        pt = "penalty" if n_matters <= i < n_matters + 6 else rng.choice(["other", "service", "inspection"])
        lines.append(f"  - {{id: M{i:03d}, name: {name}, domain: {rng.choice(DOMAINS)}, power_type: {pt}}}")
        mids.append(f"M{i:03d}")
    pool = mids[:n_matters]
    rng.shuffle(pool)
    cut = sorted(rng.sample(range(1, len(pool)), 2)) if len(pool) > 2 else [1, 1]
    basic, coop, ret = pool[:cut[0]], pool[cut[0]:cut[1]], pool[cut[1]:]
    want: dict = {k: [] for k in KINDS}

    def text():
        return rng.choice(PHRASES) if rng.random() < 0.85 else None

    lines += ["township_lists:", '  - township: "370481101"', "    basic:"]
    for s, m in enumerate(basic, 1):
        lines.append(f"      - {{matter: {m}, seq: {s}}}")
        want["basic"].append((m,))
    lines.append("    cooperative:")
    for s, m in enumerate(coop, 1):
        leads = rng.sample(dept_ids, 2 if rng.random() < 0.1 else 1)
        ld, td = text(), text()
        lines.append("      - " + _flow({"matter": m, "seq": s, "lead": leads, "lead_duties": ld, "township_duties": td}))
        want["cooperative"].append((m, tuple(leads), ld, td))
    lines.append("    returned:")
    for s, m in enumerate(ret, 1):
        taker, method = rng.choice(dept_ids), text()
        lines.append("      - " + _flow({"matter": m, "seq": s, "taken_by": taker, "method": method}))
        want["returned"].append((m, (taker,), method))
    picked = mids[n_matters:n_matters + 6][: rng.randint(0, 6)]
    lines.append("delegations:" if picked else "delegations: []")
    for i, m in enumerate(picked):
        towns = ["370481101", "370481102"] if rng.random() < 0.3 else ["370481101"]
        mode = rng.choice(["grant", "entrust"])
        basis = "B1" if rng.random() < 0.7 else None
        since = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 600))
        lines.append(f"  - {{id: FQ{i}, matter: {m}, department: {rng.choice(dept_ids)}, townships: [{', '.join(towns)}],"
                     f" mode: {mode}{', basis: ' + basis if basis else ''}, since: {since.isoformat()}}}")
        want["delegated"].append((m, tuple(towns), mode, basis, since))
    village = iter(mids[n_matters + 6:])
    lines += ["village_lists:", '  - village: "370481101001"']
    for attr, kind in (("duties", "village-duties"), ("assisting", "village-assisting"),
                       ("negative", "village-negative"), ("may_certify", "may-certify"),
                       ("must_not_certify", "must-not-certify")):
        lines.append(f"    {attr}:")
        for s in range(1, n_village + 1):
            m = next(village)
            entry: dict = {"matter": m, "seq": s}
            if kind == "village-assisting":
                entry.update(supervisor=rng.choice(dept_ids + [None]), category=rng.choice(["社会救助", "社会保障", "平安建设"]))
            if kind in ("may-certify", "must-not-certify"):
                entry.update(basis=rng.choice(["LAW1", "N1", None]), note=text())
            if kind == "may-certify":
                entry.update(purpose=text(), procedure=text())
            lines.append("      - " + _flow(entry))
            want[kind].append(_signature(kind, SimpleNamespace(**{"supervisor": None, "category": None, "basis": None,
                                                                   "note": None, "purpose": None, "procedure": None,
                                                                   **{k: v for k, v in entry.items() if v is not None}})))
    return "\n".join(lines) + "\n", want


def _signature(kind: str, e) -> tuple:
    if kind == "basic":
        return (e.matter,)
    if kind == "cooperative":
        return (e.matter, tuple(e.lead), e.lead_duties, e.township_duties)
    if kind == "returned":
        return (e.matter, tuple(e.taken_by), e.method)
    if kind == "delegated":
        return (e.matter, tuple(e.townships), e.mode.value, e.basis, e.since)
    if kind == "village-assisting":
        return (e.matter, e.supervisor, e.category)
    if kind in ("may-certify", "must-not-certify"):
        return (e.matter, e.basis, e.note, e.purpose, e.procedure)
    return (e.matter,)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(3, 24), grouping=st.sampled_from(["sections", "column"]))
def test_round_trip_export_import(seed, n, grouping):
    rng = random.Random(seed)
    text, want = _policy_yaml(rng, n)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "policies"
        root.mkdir()
        (root / "county.yaml").write_text(text, encoding="utf-8")
        pol = load_policy(root, OPTS)
        out = Path(tmp) / "out"
        for unit, kinds in (("龙阳镇", ("basic", "cooperative", "returned", "delegated")),
                            ("龙阳社区", ("village-duties", "village-assisting", "village-negative", "may-certify",
                                       "must-not-certify"))):
            book = Path(tmp) / f"{unit}.xlsx"
            export(pol, unit, ON, "xlsx", book, grouping=grouping)
            for kind in kinds:
                if not want[kind]:
                    continue
                res = import_workbook(book, pol, ImportOptions(kind=kind, unit=unit, out_dir=out))
                assert res.ok, [p.format() for p in res.problems]
                assert sorted(_signature(kind, e) for e in res.entries) == sorted(want[kind]), kind
                if kind != "delegated":
                    assert [e.seq for e in res.entries] == list(range(1, len(res.entries) + 1))
        # the written lists replace the units' own: with the original lists left out, the tree loads
        (root / "county.yaml").write_text(text.split("township_lists:")[0], encoding="utf-8")
        for f in out.iterdir():
            (root / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
        assert validate_tree(root, OPTS).ok

def test_output_inside_the_policy_tree(tree, tmp_path):
    """Importing into a folder of the policy tree itself, again and again: the file's own records
    are replaced, not reported as defined twice."""
    out = tree / "imported"
    book = workbook(tmp_path / "b.xlsx", "基本", "基本履职事项", ["序号", "事项名称"],
                    ["一、党的建设", [1, "党员发展和教育管理监督"], [2, "基层党建示范点创建"]])
    for _ in range(2):
        pol = load_policy(tree, OPTS)
        res = run_import(pol, book, "basic", out, new_matters=True)
        assert res.ok, [p.format() for p in res.problems]
        assert validate_tree(tree, OPTS).ok
    pol = load_policy(tree, OPTS)
    assert f"NEW-{YONGAN}-JB001" in pol.matters and f"NEW-{YONGAN}-JB002" not in pol.matters
    res = run_import(pol, cooperative_book(tmp_path / "c.xlsx"), "cooperative", out)
    assert res.ok, [p.format() for p in res.problems]
    pol = load_policy(tree, OPTS)
    entries = township_entries(pol, YONGAN)
    assert [e.matter for e in entries.basic] == ["DJ-001", f"NEW-{YONGAN}-JB001"] and len(entries.cooperative) == 3


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_yaml_scalars_read_back_exactly(text):
    from admission.loader.yamlread import read_yaml
    from admission.sheets.yamlout import flow

    doc = f"x: {flow({'a': text, 'b': [text, 'ok']})}  # 注释\n"
    read = read_yaml("f.yaml", doc.encode("utf-8"))
    assert read.data is not None, (doc, [d.format() for d in read.diagnostics])
    assert read.data["x"]["a"] == text and list(read.data["x"]["b"]) == [text, "ok"]


def test_a_reworded_entry_exports_its_parent_wording_and_imports_back(tmp_path):
    """The bundled 市中区 village list rewords one duty of the city's common list: the sheet gets
    an 改写自 column holding the parent's matter code, and importing the sheet keeps the link."""
    root = Path(__file__).resolve().parent.parent / "policies"
    pol = load_policy(root, OPTS)
    book = tmp_path / "永安村.xlsx"
    export(pol, "永安村", ON, "xlsx", book)
    ws = next(ws for ws in openpyxl.load_workbook(book).worksheets if "依法履职" in ws.title)
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    header = next(r for r in rows if "改写自" in r)
    col = header.index("改写自")
    assert [r[col] for r in rows[rows.index(header) + 1:] if r[col]] == ["CZ-005"]
    res = import_workbook(book, pol, ImportOptions(kind="village-duties", unit="永安村", out_dir=tmp_path / "out"))
    assert res.ok, [p.format() for p in res.problems]
    assert [(e.matter, e.rewords) for e in res.entries if e.rewords] == [("CZ-016", "CZ-005")]
