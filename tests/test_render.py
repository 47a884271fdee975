"""The Graphviz renderers (`admission.render`, issue 6): for each view the structure of its DOT
output on the bundled policies and on examples/violations (findings marked red with the rule
id in the tooltip), determinism, Chinese glyphs in PNG output, the `render` commands, and the
staleness of the committed `diagrams/*.dot`."""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from functools import lru_cache
from pathlib import Path

import graphviz
import pytest
from typer.testing import CliRunner

from admission.evaluate.checks import run_checks
from admission.cli.main import app
from admission.compile.index import build_index
from admission.loader import LoadOptions, load_policy
from admission.render import (
    DIAGRAMS_ON, FONT, county_view, department_view, diagram_set, diff_view, dot_source, flow_view, format_for,
    matter_view, render_bytes, unit_view,
)
from admission.render.data import KIND_ORDER, by_domain, township_items
from admission.render.findings import involves_unit

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
VIOLATIONS = ROOT / "examples" / "violations"
MINI = ROOT / "tests" / "fixtures" / "mini"
DIAGRAMS = ROOT / "diagrams"
ON = dt.date(2026, 11, 23)

YONGAN = "370402101"  # 永安镇, the 340-item list
SHIZHONG = "370402"
ZJ = "11370402MB4668964R"  # 区住房和城乡建设局
RED = "#d62728"

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed (scripts/setup)")


@lru_cache(maxsize=None)
def loaded(path: Path):
    policy = load_policy(path, LoadOptions(workers=1))
    index = build_index(policy)
    return policy, index, tuple(run_checks(policy, ON, index))


# --------------------------------------------------------------------------- reading DOT
def statement(src: str, name: str) -> str:
    """The node statement of `name` (one line per statement in the graphviz package's output)."""
    pat = re.compile(r'^\s*"?' + re.escape(name) + r'"? \[(.*)\]$', re.M)
    m = pat.search(src)
    assert m, f"node {name} not in DOT"
    return m.group(1)


def edges(src: str) -> list[tuple[str, str, str]]:
    out = []
    for m in re.finditer(r'^\s*"?([^"\n]+?)"?(?::(\w+))? -> "?([^"\n]+?)"?(?::(\w+))?(?: \[(.*)\])?$', src, re.M):
        out.append((m.group(1), m.group(3), m.group(5) or ""))
    return out


def attr(stmt: str, key: str) -> str | None:
    m = re.search(r'(?:^|\s)' + key + r'=("(?:[^"\\]|\\.)*"|<.*>|[^\s\]]+)', stmt)
    if not m:
        return None
    v = m.group(1)
    return v[1:-1] if v.startswith('"') else v


def clusters(src: str) -> list[str]:
    return re.findall(r"subgraph (cluster_\S+) \{", src)


# --------------------------------------------------------------------------- township view
def test_unit_summary_groups_every_list_by_domain_with_counts_linking_to_the_expanded_form():
    policy, index, findings = loaded(POLICIES)
    g = unit_view(policy, index, YONGAN, on=ON, findings=findings)
    src = g.source
    assert {"cluster_basic", "cluster_cooperative", "cluster_returned", "cluster_delegated",
            "cluster_admitted"} <= set(clusters(src))
    items = township_items(policy, index, YONGAN, ON)
    assert (len(items["basic"]), len(items["cooperative"]), len(items["returned"])) == (117, 99, 124)
    expanded = unit_view(policy, index, YONGAN, on=ON, findings=findings, expanded=True).source
    for kind in ("basic", "cooperative", "returned", "delegated"):
        for domain, its in by_domain(policy, items[kind]):
            stmt = statement(src, f"{kind}/{domain}")
            assert f"{domain}\\n{len(its)} 项" in attr(stmt, "label")
            url = attr(stmt, "URL")
            assert url.startswith(f"unit-{YONGAN}-expanded.svg#")
            anchor = url.split("#", 1)[1]
            assert f'id="{anchor}"' in expanded or f"id={anchor}" in expanded  # the count links to its table
    # the township at the centre, tied to every group; departments with the counts on the edges
    t = f"unit/{YONGAN}"
    assert "永安镇" in attr(statement(src, t), "label")
    es = edges(src)
    assert ("basic/党的建设", t) not in [(a, b) for a, b, _ in es]
    assert (t, "basic/党的建设") in [(a, b) for a, b, _ in es]
    leads = Counter((e.parties[0], policy.matters[e.matter].domain) for e in items["cooperative"])
    (dept, domain), n = sorted(leads.items())[0]
    assert any(a == f"unit/{dept}" and b == f"cooperative/{domain}" and f"label={n}" in rest for a, b, rest in es)
    takers = Counter((policy.matters[e.matter].domain, e.parties[0]) for e in items["returned"])
    (domain, dept), n = sorted(takers.items())[0]
    assert any(a == f"returned/{domain}" and b == f"taker/{dept}" and f"label={n}" in rest for a, b, rest in es)
    grants = [e for a, b, e in es if b.startswith("delegated/") and "赋权" in e]
    assert grants and sum(int(re.search(r"赋权 (\d+)", e).group(1)) for e in grants) == 92
    # admitted matters one by one, with their term
    for it in items["admitted"]:
        stmt = statement(src, "admitted/" + it.ref.split(":", 1)[1])
        assert ("短期准入" if it.mode == "short" else "长期准入") in attr(stmt, "label")
    # legible: a summary has a few dozen nodes, not hundreds
    assert len(re.findall(r"^\s*\"[^\"]+\" \[", src, re.M)) < 120


def test_unit_expanded_lists_every_entry():
    policy, index, findings = loaded(POLICIES)
    src = unit_view(policy, index, YONGAN, on=ON, findings=findings, expanded=True).source
    items = township_items(policy, index, YONGAN, ON)
    total = sum(len(items[k]) for k in KIND_ORDER)
    assert total >= 340 + 92
    assert len(re.findall(r'PORT="r\d+"', src)) == total
    for kind in KIND_ORDER:
        for it in items[kind]:
            assert f">{it.matter}<" in src, it.matter
    row = re.search(r'<TD ALIGN="LEFT" PORT="r0" ID="([^"]+)" HREF="#\1" TOOLTIP="([^"]*)"', src)
    assert row and "zaozhuang/" in row.group(2)  # the source location, relative to the policy root


def test_unit_findings_are_red_with_rule_id_and_message_in_tooltips():
    policy, index, findings = loaded(VIOLATIONS)
    tid = "370405102"  # 泥沟镇
    mine = [f for f in findings if involves_unit(f, policy, tid)]
    assert {"overlap-basic-returned", "overlap-grant-exercised", "pushdown-returned", "lapse-after-revocation"} \
        <= {f.code for f in mine}
    for expanded in (False, True):
        src = unit_view(policy, index, tid, on=ON, findings=findings, expanded=expanded).source
        assert "cluster_findings" in src
        notes = re.findall(r'^\s*"(finding/\d+)" \[(.*)\]$', src, re.M)
        assert len(notes) == len(mine)
        for f in mine:
            (stmt,) = [s for _, s in notes if attr(s, "label").startswith(f.code)]
            assert attr(stmt, "color") == RED and attr(stmt, "shape") == "note"
            assert f"[{f.code}]" in attr(stmt, "tooltip") and f.message[:20] in attr(stmt, "tooltip")
        # the township and the entries a finding names are red, their tooltips name the rule
        t = statement(src, f"unit/{tid}")
        assert attr(t, "color") == RED and "[overlap-basic-returned]" in attr(t, "tooltip")
        if expanded:
            # 公共场所卫生监督检查 (M-GGWS) is both a basic duty and a returned item: both rows red
            rows = re.findall(r'<TD ALIGN="LEFT" PORT="r\d+" ID="[^"]+" HREF="[^"]+" TOOLTIP="([^"]*)" BGCOLOR="#fde0e0">'
                              r'<FONT COLOR="#d62728">公共场所卫生监督检查', src)
            assert len(rows) == 2 and all("[overlap-basic-returned]" in r for r in rows)
        else:
            basic = statement(src, "basic/卫生健康")
            assert attr(basic, "color") == RED and "[overlap-basic-returned]" in attr(basic, "tooltip")
            ret = statement(src, "returned/卫生健康")
            assert attr(ret, "color") == RED
            # a finding whose matter is on no list of the township still gets a (red) node
            assert attr(statement(src, "matter/M-GDBH"), "color") == RED  # level-skipping 耕地保护日常巡查
        finding_edges = [(a, b) for a, b, rest in edges(src) if a.startswith("finding/")]
        assert finding_edges and all(f'color="{RED}"' in rest for a, b, rest in edges(src) if a.startswith("finding/"))


def test_unit_view_rejects_what_is_not_a_township():
    policy, index, findings = loaded(POLICIES)
    with pytest.raises(ValueError):
        unit_view(policy, index, ZJ, on=ON)
    with pytest.raises(ValueError):
        unit_view(policy, index, "no-such-unit", on=ON)


# --------------------------------------------------------------------------- department view
def test_department_view_township_by_township():
    policy, index, findings = loaded(POLICIES)
    src = department_view(policy, index, ZJ, on=ON, findings=findings).source
    assert "cluster_county_370402" in src
    d = f"unit/{ZJ}"
    assert "枣庄市市中区住房和城乡建设局" in attr(statement(src, d), "label")
    tables = [b for a, b, _ in edges(src) if a == d]
    assert f"table/{YONGAN}" in tables and len(tables) == 11
    yongan = statement(src, f"table/{YONGAN}")
    for word in ("牵头配合履职事项", "承接收回事项", "申请准入", "下派记录"):
        assert word in yongan
    items = township_items(policy, index, YONGAN, ON)
    led = sum(1 for it in items["cooperative"] if ZJ in it.parties)
    assert re.search(r'PORT="cooperative".*?<B>' + str(led) + "</B>", yongan)
    expanded = department_view(policy, index, ZJ, on=ON, findings=findings, expanded=True).source
    yongan = statement(expanded, f"table/{YONGAN}")
    for it in items["cooperative"]:
        if ZJ in it.parties:
            assert f">{it.matter}<" in yongan
    assert ">CJ-QT-016<" in yongan and "2026-04-15" in yongan  # the recorded assignment ASG-2026-0001


def test_department_view_marks_findings():
    policy, index, findings = loaded(VIOLATIONS)
    dept = "TEZ-SCJG"
    src = department_view(policy, index, dept, on=ON, findings=findings, expanded=True).source
    mine = [f for f in findings if involves_unit(f, policy, dept)]
    assert {"pushdown-returned", "delegation-major-penalty", "taker-without-power"} <= {f.code for f in mine}
    notes = re.findall(r'^\s*"(finding/\d+)" \[(.*)\]$', src, re.M)
    assert len(notes) == len(mine)
    table = statement(src, "table/370405102")  # 泥沟镇: the returned item assigned back down
    assert f'COLOR="{RED}"' in table
    m = re.search(r'TOOLTIP="([^"]*)" BGCOLOR="#fde0e0"><FONT COLOR="#d62728">特种设备安全监督检查', table)
    assert m and "[pushdown-returned]" in m.group(1)


# --------------------------------------------------------------------------- matter view
def test_matter_view_owners_across_townships():
    policy, index, findings = loaded(POLICIES)
    src = matter_view(policy, index, "ZF-CF-013", on=ON, findings=findings, county=SHIZHONG).source
    m = "matter/ZF-CF-013"
    out = {b: rest for a, b, rest in edges(src) if a == m}
    assert len(out) == 11  # every township of 市中区
    assert "赋权" in out[f"unit/{YONGAN}"]
    assert sum("收回" in rest for rest in out.values()) == 10
    into = [(a, rest) for a, b, rest in edges(src) if b == m]
    assert any("承接收回 10" in rest for _, rest in into) and any("持有" in rest for _, rest in into)


def test_matter_view_marks_overlaps_and_missing_owners():
    policy, index, findings = loaded(VIOLATIONS)
    src = matter_view(policy, index, "M-WFJS", on=ON, findings=findings).source  # two leads in 邳庄镇
    t = statement(src, "unit/370405100")
    assert attr(t, "color") == RED and "[overlap-two-leads]" in attr(t, "tooltip")
    for lead in ("TEZ-ZHZF", "TEZ-ZRZY"):
        assert attr(statement(src, f"unit/{lead}"), "color") == RED
    src = matter_view(policy, index, "M-TYJR", on=ON, findings=findings)  # nobody owns it in 邳庄镇
    t = statement(src.source, "unit/370405100")
    assert "[missing-owner]" in attr(t, "tooltip") and "未列入任何清单" in attr(t, "label")


# --------------------------------------------------------------------------- county view
def test_county_view_counts_and_findings_per_township():
    policy, index, findings = loaded(POLICIES)
    src = county_view(policy, index, SHIZHONG, on=ON, findings=findings).source
    table = statement(src, "unit/370402")
    for kind in ("基本", "配合", "收回", "赋权", "准入", "问题"):
        assert f"<B>{kind}</B>" in table
    row = re.search(r'ID="row-' + YONGAN + r'".*?</TR>', table).group(0)
    cells = re.findall(r'<TD ALIGN="RIGHT">(?:<FONT[^>]*>)?(\d+)', row)
    assert cells[:4] == ["117", "99", "124", "340"]
    policy, index, findings = loaded(VIOLATIONS)
    src = county_view(policy, index, "370405", on=ON, findings=findings).source
    table = statement(src, "unit/370405")
    cell = re.search(r'ID="findings-370405102" TOOLTIP="([^"]*)"><FONT COLOR="#d62728"><B>(\d+)</B>', table)
    mine = [f for f in findings if involves_unit(f, policy, "370405102")
            or any(involves_unit(f, policy, v) for v in policy.units if policy.units[v].parent == "370405102")]
    assert int(cell.group(2)) == len(mine) and "[overlap-basic-returned]" in cell.group(1)
    by_rule = statement(src, "findings/by-rule")
    assert all(f.code in by_rule for f in findings)  # every finding of the tree is in this county


# --------------------------------------------------------------------------- flow view
def test_flow_view_states_by_phase_transitions_and_counts():
    policy, index, _ = loaded(POLICIES)
    flow = policy.flows["admission"]
    src = flow_view(policy, "admission", counts={"consulting": 3, "entered": 7}).source
    phases = {s.phase.value for s in flow.states}
    assert {f"cluster_phase_{p}" for p in phases} == set(clusters(src))
    for s in flow.states:
        stmt = statement(src, f"state/{s.id}")
        assert s.name in attr(stmt, "label")
        assert (f"{ {'consulting': 3, 'entered': 7}.get(s.id, 0)} 件") in attr(stmt, "label")
    es = edges(src)
    for t in flow.transitions:
        for s in t.source:
            found = [rest for a, b, rest in es if a == f"state/{s}" and b == f"state/{t.to}"
                     and f"label=\"{t.action}" in rest]
            assert found, (t.action, s)
            for guard in t.guards:
                assert guard.id in attr(found[0], "tooltip")
            assert ", ".join(t.roles) in attr(found[0], "label")
    plain = flow_view(policy, "adjustment").source
    assert "件" not in plain
    with pytest.raises(ValueError):
        flow_view(policy, "no-such-flow")


# --------------------------------------------------------------------------- diff view
def test_diff_view_colours_added_removed_moved(tmp_path):
    new = tmp_path / "new"
    shutil.copytree(MINI, new)
    path = new / "county.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("    basic: [M-DB]\n", "    basic: [M-DB, M-TZSB]\n", 1)  # moved: returned -> basic+returned
    text = text.replace('  - township: "370402002"\n    template: TPL-SZ\n',
                        '  - township: "370402002"\n    template: TPL-SZ\n    remove: [M-DJ]\n    basic: [M-CJ]\n', 1)
    path.write_text(text, encoding="utf-8")
    old_p, new_p = load_policy(MINI, LoadOptions(workers=1)), load_policy(new, LoadOptions(workers=1))
    src = diff_view(old_p, new_p, on=dt.date(2025, 3, 1)).source
    es = {(a, b): rest for a, b, rest in edges(src) if not a.startswith("findings/")}
    assert 'color="#2b8a3e"' in es[("unit/370402002", "matter/M-CJ")]  # added: green
    assert 'color="#d62728"' in es[("unit/370402002", "matter/M-DJ")]  # removed: red
    assert 'color="#f08c00"' in es[("unit/370402101", "matter/M-TZSB")]  # moved: orange
    assert "overlap-basic-returned" in statement(src, "findings/added")


# --------------------------------------------------------------------------- determinism, fonts
def test_views_are_deterministic():
    policy, index, findings = loaded(VIOLATIONS)

    def all_views():
        out = []
        for tid in sorted(u for u, x in policy.units.items() if x.kind.value == "township"):
            out.append(unit_view(policy, index, tid, on=ON, findings=findings).source)
            out.append(unit_view(policy, index, tid, on=ON, findings=list(reversed(findings)), expanded=True).source)
        out.append(department_view(policy, index, "TEZ-SCJG", on=ON, findings=findings, expanded=True).source)
        out.append(matter_view(policy, index, "M-WFJS", on=ON, findings=findings).source)
        out.append(county_view(policy, index, "370405", on=ON, findings=findings).source)
        return out

    first, second = all_views(), all_views()
    assert first == second
    assert not any(re.search(r"\d{2}:\d{2}:\d{2}", s) for s in first)  # no timestamps
    p2, i2, f2 = loaded(POLICIES)
    a = unit_view(p2, i2, YONGAN, on=ON, findings=f2, expanded=True).source
    assert a == unit_view(p2, build_index(p2), YONGAN, on=ON, findings=f2, expanded=True).source


def test_cjk_font_is_set_on_graph_nodes_and_edges():
    policy, index, findings = loaded(POLICIES)
    for g in (unit_view(policy, index, YONGAN, on=ON, findings=findings), flow_view(policy, "admission"),
              county_view(policy, index, SHIZHONG, on=ON)):
        head = g.source.split("\n", 5)
        for kind in ("graph", "node", "edge"):
            assert any(line.strip().startswith(f"{kind} [") and f'fontname="{FONT}"' in line for line in head), kind


def _png_pixels(data: bytes) -> tuple[int, int, list[bytearray], int]:
    """Width, height, unfiltered rows and bytes per pixel of an 8-bit RGB/RGBA/grey PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if ctype == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and interlace == 0
            bpp = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
        elif ctype == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        ftype, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, rows, bpp


def _ink(label: str, font: str = FONT) -> tuple[list[tuple[int, int]], int, int]:
    g = graphviz.Digraph(graph_attr={"fontname": font, "bgcolor": "white", "pad": "0.1", "dpi": "96"},
                         node_attr={"fontname": font, "shape": "plaintext", "fontsize": "28"})
    g.node("n", label=label)
    w, h, rows, bpp = _png_pixels(render_bytes(g, "png"))
    dark = [(x, y) for y, row in enumerate(rows) for x in range(w)
            if sum(row[x * bpp + k] for k in range(min(3, bpp))) < 3 * 100 and (bpp < 4 or row[x * bpp + 3] > 128)]
    return dark, w, h


@needs_dot
def test_chinese_labels_render_as_glyphs_in_png():
    out = subprocess.run(["fc-match", FONT], capture_output=True, text=True)
    assert "CJK" in out.stdout, f"{FONT} is not installed (fonts-noto-cjk): fc-match gives {out.stdout!r}"
    dark, w, h = _ink("永安镇乡镇清单")
    assert len(dark) > 200, "the label left no ink"
    xs, ys = [x for x, _ in dark], [y for _, y in dark]
    assert max(xs) - min(xs) > 0.6 * w and max(ys) - min(ys) > 0.3 * h  # ink spans the label's box
    # a real glyph, not a missing-glyph box: 一 is one flat horizontal stroke (a box with the
    # code point in it, as Pango draws a missing glyph, is about as tall as it is wide)
    one, _, _ = _ink("一")
    xs, ys = [x for x, _ in one], [y for _, y in one]
    width, height = max(xs) - min(xs) + 1, max(ys) - min(ys) + 1
    assert width > 15 and height * 4 < width, f"一 drawn {width}×{height}: no CJK glyph"
    missing, _, _ = _ink("\U000F0001")  # a private-use character no font has: the box
    xs, ys = [x for x, _ in missing], [y for _, y in missing]
    assert (max(ys) - min(ys) + 1) * 4 > max(xs) - min(xs) + 1  # (the check above would catch it)


# --------------------------------------------------------------------------- formats and CLI
def test_format_from_suffix_or_option():
    assert format_for(Path("a.svg"), None) == "svg"
    assert format_for(Path("a.PNG"), None) == "png"
    assert format_for(Path("a.gv"), None) == "dot"
    assert format_for(Path("a.pdf"), "dot") == "dot"
    assert format_for(None, None) == "svg" and format_for(Path("a.txt"), None) == "svg"
    with pytest.raises(ValueError):
        format_for(None, "jpeg2000")


@needs_dot
def test_cli_render_views_in_every_format(tmp_path):
    runner = CliRunner()
    args = ["--policies", str(VIOLATIONS), "--on", ON.isoformat()]
    cases = [
        (["unit", "370405102", *args, "-o", str(tmp_path / "t-summary.svg")], b"<?xml"),
        (["unit", "370405102", "--expanded", *args, "-o", str(tmp_path / "t-expanded.png")], b"\x89PNG"),
        (["department", "TEZ-SCJG", *args, "-o", str(tmp_path / "d.pdf")], b"%PDF"),
        (["matter", "M-WFJS", *args, "--county", "370405", "-o", str(tmp_path / "m.dot")], b"digraph"),
        (["county", "370405", *args, "-o", str(tmp_path / "c.out"), "--format", "svg"], b"<?xml"),
        (["flow", "admission", "--policies", str(POLICIES), "--counts", '{"entered": 4}',
          "-o", str(tmp_path / "f.svg")], b"<?xml"),
        (["diff", str(MINI), str(MINI), "--on", "2025-03-01", "-o", str(tmp_path / "diff.dot")], b"digraph"),
    ]
    for argv, magic in cases:
        res = runner.invoke(app, ["render", *argv])
        assert res.exit_code == 0, (argv, res.output)
        out = Path(argv[argv.index("-o") + 1])
        assert out.read_bytes().startswith(magic), argv
    svg = html.unescape((tmp_path / "t-summary.svg").read_text(encoding="utf-8"))
    assert "t-expanded.svg#" in svg  # the summary's counts link to the expanded file beside it
    assert "overlap-basic-returned" in svg and "Noto Sans CJK SC" in svg
    assert "4 件" in (tmp_path / "f.svg").read_text(encoding="utf-8")
    res = runner.invoke(app, ["render", "unit", "370405102", *args, "--format", "dot"])
    assert res.exit_code == 0 and res.stdout.startswith("digraph")


def test_cli_render_bad_input_exits_2(tmp_path):
    runner = CliRunner()
    args = ["--policies", str(VIOLATIONS), "--on", ON.isoformat(), "-o", str(tmp_path / "x.svg")]
    assert runner.invoke(app, ["render", "unit", "TEZ-SCJG", *args]).exit_code == 2
    assert runner.invoke(app, ["render", "matter", "M-NONE", *args]).exit_code == 2
    assert runner.invoke(app, ["render", "county", "370405102", *args]).exit_code == 2
    assert runner.invoke(app, ["render", "flow", "admission", "--policies", str(POLICIES), "--counts", "[1]"]).exit_code == 2
    assert runner.invoke(app, ["render", "unit", "370405102", *args[:-2], "-f", "bmp"]).exit_code == 2
    assert not (tmp_path / "x.svg").exists()


@needs_dot
def test_cli_render_all_writes_dot_and_svg(tmp_path):
    out = tmp_path / "diagrams"
    (out).mkdir()
    (out / "unit-0-summary.svg").write_text("stale", encoding="utf-8")
    (out / "notes.txt").write_text("kept", encoding="utf-8")
    res = CliRunner().invoke(app, ["render", "all", "--policies", str(POLICIES), "--out", str(out)])
    assert res.exit_code == 0, res.output
    names = {p.name for p in out.iterdir()}
    for stem in ("county-370402", "county-370403", f"unit-{YONGAN}-summary", f"unit-{YONGAN}-expanded",
                 f"department-{ZJ}", "matter-ZF-CF-013", "flow-admission", "flow-adjustment"):
        assert {f"{stem}.dot", f"{stem}.svg"} <= names, stem
    assert "unit-0-summary.svg" not in names and "notes.txt" in names and "README.md" in names
    for dot in out.glob("*.dot"):
        assert dot.read_bytes() == (DIAGRAMS / dot.name).read_bytes(), f"{dot.name} differs from diagrams/"


# --------------------------------------------------------------------------- staleness of diagrams/
def test_committed_diagrams_are_up_to_date():
    """Regenerate the DOT sources of diagrams/ and compare with the committed ones (SVGs carry
    Graphviz's version, so only DOT is compared).  Fix: `admission render all`."""
    policy, index, _ = loaded(POLICIES)
    graphs = diagram_set(policy, index, DIAGRAMS_ON)
    committed = {p.stem for p in DIAGRAMS.glob("*.dot")}
    hint = "diagrams/ is stale: run `.venv/bin/admission render all --policies policies --out diagrams`"
    assert committed == set(graphs), hint
    stale = [stem for stem, g in graphs.items()
             if (DIAGRAMS / f"{stem}.dot").read_text(encoding="utf-8") != dot_source(g)]
    assert not stale, f"{hint} ({', '.join(stale)})"
    for stem in graphs:
        assert (DIAGRAMS / f"{stem}.svg").exists(), f"{hint} ({stem}.svg missing)"
