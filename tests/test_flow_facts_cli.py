"""`admission flow facts`: the facts a guard may read, as text, JSON and the table docs/flows.md
carries between its markers (a test fails when that table drifts from `FACTS`)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from admission.cli.main import app
from admission.evaluate.checks.docs import splice
from admission.language.facts import BEGIN, END, FACTS, facts_markdown

FLOWS_MD = Path(__file__).resolve().parent.parent / "docs" / "flows.md"
runner = CliRunner()


def test_flows_md_lists_every_fact_as_facts_generates():
    text = FLOWS_MD.read_text(encoding="utf-8")
    assert splice(text, facts_markdown(), BEGIN, END) == text, \
        "run `admission flow facts --write-docs docs/flows.md`"
    for name, spec in FACTS.items():
        assert f"| `{name}` | {spec.type} | {spec.description} |" in text


def test_text_lists_each_fact_with_type_and_meaning():
    out = runner.invoke(app, ["flow", "facts"])
    assert out.exit_code == 0, out.output
    rows = [line.split(None, 2) for line in out.output.splitlines()]
    assert [(r[0], r[1], r[2]) for r in rows] == [(n, f.type, f.description) for n, f in FACTS.items()]


def test_json_is_the_fact_table():
    out = runner.invoke(app, ["flow", "facts", "--json"])
    assert out.exit_code == 0
    assert json.loads(out.output)["facts"] == {n: {"type": f.type, "description": f.description} for n, f in FACTS.items()}


def test_write_docs_rewrites_between_markers_and_refuses_a_file_without_them(tmp_path):
    doc = tmp_path / "flows.md"
    doc.write_text(f"# f\n{BEGIN}\nstale\n{END}\nrest\n", encoding="utf-8")
    first = runner.invoke(app, ["flow", "facts", "--write-docs", str(doc)])
    assert first.exit_code == 0 and "已更新 updated" in first.output
    assert doc.read_text(encoding="utf-8") == f"# f\n{BEGIN}\n{facts_markdown()}{END}\nrest\n"
    assert "无变化 unchanged" in runner.invoke(app, ["flow", "facts", "--write-docs", str(doc)]).output
    bare = tmp_path / "bare.md"
    bare.write_text("# none\n", encoding="utf-8")
    refused = runner.invoke(app, ["flow", "facts", "--write-docs", str(bare)])
    assert refused.exit_code == 2 and bare.read_text(encoding="utf-8") == "# none\n"
