"""The responsibility graph and `admission diff` on the mini fixture."""

import datetime as dt
import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from admission.cli.main import app
from admission.explain.diff import diff_policies
from admission.compile.graph import build_graph, edges_of, matter_node, unit_node
from admission.loader import LoadOptions, load_policy

MINI = Path(__file__).parent / "fixtures" / "mini"
ON = dt.date(2025, 3, 1)


def _load(path):
    return load_policy(path, LoadOptions(workers=1))


def test_graph_has_typed_edges_with_spans():
    g = build_graph(_load(MINI))
    t = unit_node("370402101")
    coop = edges_of(g, t, "cooperative")
    assert [v for _, v, _ in coop] == [matter_node("M-WXZJ")]
    assert coop[0][2]["lead"] == ("D-ZJ",) and coop[0][2]["span"].line == 45
    leads = edges_of(g, unit_node("D-ZJ"), "leads")
    assert {d["township"] for _, _, d in leads} == {"370402101", "370402002"}
    assert [v for _, v, _ in edges_of(g, t, "returned")] == [matter_node("M-TZSB")]
    delegated = edges_of(g, t, "delegated")
    assert delegated[0][2]["mode"] == "grant" and delegated[0][2]["department"] == "D-SCJG"
    assert [v for _, v, _ in edges_of(g, unit_node("370402"), "parent")].count(t) == 1
    assert g.nodes[matter_node("M-WZJY")]["power_type"] == "penalty"
    assert g.nodes[t]["county"] == "370402"


def test_graph_of_one_county_leaves_other_counties_out():
    g = build_graph(_load(MINI), counties=["370403"])
    assert unit_node("370402101") not in g
    assert unit_node("D-XC-ZJ") in g and unit_node("37") in g


def _edited(tmp_path, old, new):
    dst = tmp_path / "new"
    shutil.copytree(MINI, dst)
    path = dst / "county.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return dst


def test_diff_reports_moves_pushdowns_and_findings(tmp_path):
    new = _edited(tmp_path, "    basic: [M-DB]", "    basic: [M-DB, M-TZSB]")
    d = diff_policies(_load(MINI), _load(new), ON)
    (uc,) = [u for u in d.units if u.moved]
    assert uc.unit == "370402101"
    assert uc.moved == [("M-TZSB", frozenset({"returned"}), frozenset({"basic", "returned"}))]
    assert d.pushed_down == 1
    assert [(f.code, f.subject) for f in d.added] == [("overlap-basic-returned", "370402101/M-TZSB")]
    assert d.removed == []


def test_diff_counts_matters_losing_their_owner(tmp_path):
    new = _edited(tmp_path, "{matter: M-WXZJ, lead: D-ZJ,", "{matter: M-WXZJ,")
    d = diff_policies(_load(MINI), _load(new), ON)
    assert d.lost_owner == 2  # both townships use the template
    # and the recorded assignment by the former lead loses its standing
    assert {(f.code, f.subject) for f in d.added} == {
        ("missing-lead", "370402101/M-WXZJ"), ("missing-lead", "370402002/M-WXZJ"),
        ("pushdown-no-standing", "A-OK")}


def test_diff_cli_json(tmp_path):
    new = _edited(tmp_path, "    basic: [M-DB]", "    basic: []")
    out = CliRunner().invoke(app, ["diff", str(MINI), str(new), "--on", "2025-03-01", "-f", "json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)["diff"]
    (unit,) = doc["units"]
    assert unit["lost"] == [{"matter": "M-DB", "lists": ["basic"]}]
    assert doc["pushed_down"] == 0
