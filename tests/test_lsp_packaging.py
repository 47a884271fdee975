"""The editor packaging of `admission lsp`: the VS Code extension starts the real command and
wires in the current JSON Schema, and the pre-commit hooks run CLI commands that exist and pass
on the bundled policies."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import yaml
from typer.testing import CliRunner

from admission.cli.main import app
from admission.language.schema import policy_schema

ROOT = Path(__file__).resolve().parent.parent
VSCODE = ROOT / "editors" / "vscode"


def test_the_vscode_extension_starts_admission_lsp_and_wires_the_schema():
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    props = manifest["contributes"]["configuration"]["properties"]
    command = [props["admission.server.command"]["default"], *props["admission.server.args"]["default"]]
    assert command == ["admission", "lsp"]
    assert manifest["main"] == "./extension.js" and "vscode-languageclient" in manifest["dependencies"]
    source = (VSCODE / "extension.js").read_text(encoding="utf-8")
    assert 'getConfiguration("admission.server")' in source and "vscode-languageclient/node" in source
    (wired,) = manifest["contributes"]["yamlValidation"]
    schema = json.loads((VSCODE / wired["url"]).read_text(encoding="utf-8"))
    assert schema == policy_schema()  # regenerate with `npm run schema` when the language changes
    assert "admission schema -o " + wired["url"].removeprefix("./") == manifest["scripts"]["schema"]
    lock = json.loads((VSCODE / "package-lock.json").read_text(encoding="utf-8"))
    assert "node_modules/vscode-languageclient" in lock["packages"]
    result = CliRunner().invoke(app, ["lsp", "--help"])
    assert result.exit_code == 0 and "--root" in result.output


def test_the_pre_commit_hooks_run_real_commands_that_pass_on_the_bundled_policies():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["admission-validate", "admission-check"]
    runner = CliRunner()
    for hook in hooks:
        argv = shlex.split(hook["entry"]) + hook["args"]
        assert argv[0] == "admission" and hook["pass_filenames"] is False
        args = [str(ROOT / a) if a == "policies" else a for a in argv[1:]]
        result = runner.invoke(app, [*args, "--on", "2025-06-01"] if argv[1] == "check" else args)
        assert result.exit_code == 0, (hook["id"], result.output)
    assert "--fail-on error" in hooks[1]["entry"]
    bad = runner.invoke(app, ["check", str(ROOT / "examples" / "violations"), "--fail-on", "error", "--on", "2025-06-01"])
    assert bad.exit_code == 1  # the hook fails a commit that brings an error
