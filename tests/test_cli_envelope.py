"""Issue 17, the CLI part: one JSON envelope on every `--format json` / `--json`, `-p/--policies`
on every command that reads a policy tree, and a progress line only on a terminal."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from admission.cli.common import POLICIES_HELP
from admission.cli.main import app
from admission.cli.output import envelope, progress, progress_enabled

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "mini"
YONGAN = "370402101"
VILLAGE = "370402101201"
runner = CliRunner()

#: commands that read no policy tree (or two: diff), so need no -p
NO_POLICIES = {"schema", "synth", "keygen", "publish", "rules", "diff", "render diff", "flow facts",
               "token revoke", "token list", "decisions export", "import registers"}


def _commands(group: click.Group, prefix: str = ""):
    for name, cmd in group.commands.items():
        full = f"{prefix}{name}"
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, full + " ")
        else:
            yield full, cmd


COMMANDS = dict(_commands(typer.main.get_command(app)))


@pytest.mark.parametrize("name", sorted(set(COMMANDS) - NO_POLICIES))
def test_every_policy_reading_command_takes_p(name):
    opts = {o: p for p in COMMANDS[name].params for o in p.opts}
    assert "-p" in opts and "--policies" in opts, f"{name} has no -p/--policies"
    param = opts["-p"]
    assert opts["--policies"] is param and param.help.startswith(POLICIES_HELP)
    # token create: -p is optional (only given, the unit is checked against it); lsp: the editor's
    # workspace folder is the default
    if name not in ("token create", "lsp"):
        assert Path(param.default) == Path("policies"), name


def test_the_exemptions_are_real_commands():
    assert NO_POLICIES <= set(COMMANDS)


def _doc(res) -> dict:
    doc = json.loads(res.stdout)
    assert isinstance(doc["ok"], bool)
    assert doc["revision"] is None or isinstance(doc["revision"], str)
    assert isinstance(doc["diagnostics"], list)
    for d in doc["diagnostics"]:
        assert {"code", "severity", "message", "file", "line", "column", "help"} <= set(d)
    assert list(doc)[:3] == ["ok", "revision", "diagnostics"]
    return doc


ON = ["--on", "2025-03-01"]
JSON_COMMANDS = {
    "validate": (["validate", "-p", "{p}", "-f", "json"], "stats"),
    "check": (["check", "-p", "{p}", *ON, "-f", "json"], "summary"),
    "decide": (["decide", "-p", "{p}", *ON, "--actor", "D-MZ", "--matter", "M-DB", "--target", VILLAGE,
                "--basis", "B-COUNTY", "--role", "assist", "-f", "json"], "decision"),
    "who": (["who", "-p", "{p}", *ON, "--matter", "M-DB", "--unit", YONGAN, "-f", "json"], "roles"),
    "test": (["test", "-p", "{p}", "-f", "json"], "results"),
}


@pytest.mark.parametrize("name", sorted(JSON_COMMANDS))
def test_envelope_ok(name):
    args, key = JSON_COMMANDS[name]
    res = runner.invoke(app, [a.replace("{p}", str(MINI)) for a in args])
    doc = _doc(res)
    assert key in doc and isinstance(doc["revision"], str), res.output


@pytest.mark.parametrize("name", sorted(JSON_COMMANDS))
def test_envelope_of_a_broken_tree(tmp_path, name):
    root = tmp_path / "broken"
    shutil.copytree(MINI, root)
    (root / "bad.yaml").write_text("matters:\n  - {id: M1, name: [x\n", encoding="utf-8")
    args, _ = JSON_COMMANDS[name]
    res = runner.invoke(app, [a.replace("{p}", str(root)) for a in args])
    assert res.exit_code != 0
    doc = _doc(res)
    assert doc["ok"] is False and doc["revision"] is None
    bad = [d for d in doc["diagnostics"] if d["file"] == "bad.yaml"]
    assert bad and bad[0]["severity"] == "error" and isinstance(bad[0]["line"], int)
    assert isinstance(bad[0]["column"], int)


def test_envelope_of_the_other_json_commands(tmp_path):
    for args, key in ((["rules", "--json"], "rules"), (["flow", "facts", "--json"], "facts"),
                      (["diff", str(MINI), str(MINI), *ON, "-f", "json"], "diff")):
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
        assert key in _doc(res)


def test_envelope_order():
    assert list(envelope(True, "r", (), decision={})) == ["ok", "revision", "diagnostics", "decision"]


def test_no_progress_when_not_a_terminal(monkeypatch, capsys):
    monkeypatch.delenv("ADMISSION_PROGRESS", raising=False)
    assert not progress_enabled(io.StringIO())
    with progress("加载策略 loading …") as line:
        line.update("x")
        line.count(1, 2, "分片")
    assert capsys.readouterr() == ("", "")
    res = runner.invoke(app, ["validate", "-p", str(MINI), "-f", "json"])
    json.loads(res.stdout)  # nothing but the JSON
    assert "loading" not in res.output


def test_progress_on_a_forced_terminal(monkeypatch):
    from rich.console import Console

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=80)
    with progress("加载策略 loading …", console=console) as line:
        assert line.shown
        with progress("inner …") as inner:  # nested: reuses the line
            inner.update("inner 2")
    assert "loading" in buf.getvalue()
    monkeypatch.setenv("ADMISSION_PROGRESS", "always")
    assert progress_enabled(io.StringIO())
    monkeypatch.setenv("ADMISSION_PROGRESS", "never")
    assert not progress_enabled()
