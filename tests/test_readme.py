"""Every command in README.md runs as written: each line of each ```sh block, in order, in a copy of
the repository (its tracked files) whose `.venv` is the interpreter running these tests, with the
exit code the line's comment documents — `(exit N` — or 0.  `./scripts/test` is left out: it is
the command running this test."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
LOCKS = ("requirements-build.lock", "requirements.lock")
NOT_RUN = {"./scripts/test": "the command that runs this test"}
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=\S*$")


def sh_blocks(text: str) -> list[list[str]]:
    """The command lines of each fenced ```sh block (blank lines and whole-line comments dropped)."""
    blocks, current = [], None
    for line in text.splitlines():
        fence = line.strip()
        if current is None and fence.startswith("```"):
            current = [] if fence[3:].strip() == "sh" else False
        elif current is not None and fence.startswith("```"):
            if current is not False:
                blocks.append(current)
            current = None
        elif current and line.strip() or current == [] and line.strip():
            if not line.lstrip().startswith("#"):
                current.append(line.strip())
    return blocks


def expected_exit(line: str) -> int:
    """The exit code a line documents in its trailing comment, `(exit N`; 0 when it names none."""
    _, _, comment = line.partition(" # ")
    found = re.search(r"\(exit (\d+)", comment)
    return int(found.group(1)) if found else 0


def test_sh_blocks_and_exit_codes_are_read_as_documented():
    text = "```sh\nA=x\n# a comment\n$A one   # fine\n$A two  # bad (exit 1: findings)\n```\n" \
           "```console\n./not-run\n```\n```sh\n./scripts/run\n```\n"
    assert sh_blocks(text) == [["A=x", "$A one   # fine", "$A two  # bad (exit 1: findings)"], ["./scripts/run"]]
    assert [expected_exit(x) for x in sh_blocks(text)[0][1:]] == [0, 1]


def venv_is_setups() -> bool:
    """Whether the running venv is one ./scripts/setup built from today's locks, so that
    ./scripts/run finds it current and never rebuilds the interpreter running the tests."""
    stamp = hashlib.sha256(b"".join((ROOT / f).read_bytes() for f in (*LOCKS, "pyproject.toml"))).hexdigest()
    made = Path(sys.prefix) / ".admission-lock"
    return made.is_file() and made.read_text().strip() == stamp


@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory) -> Path:
    """The tracked files of the repository, as a fresh clone has them, with `.venv` → this venv."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the tracked files are unknown")
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True).stdout
    dest = tmp_path_factory.mktemp("readme") / "repo"
    for name in filter(None, listed.decode().split("\0")):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    (dest / ".venv").symlink_to(Path(sys.prefix))
    return dest


BLOCKS = sh_blocks(README.read_text(encoding="utf-8"))


def test_readme_has_the_two_setup_commands_and_the_tour():
    assert BLOCKS[0] == [line for line in BLOCKS[0] if line.split()[0] in ("./scripts/run", "./scripts/test")]
    assert any(line.startswith("$A render county") for line in BLOCKS[1])


@pytest.mark.parametrize("block", range(len(BLOCKS)))
def test_every_readme_command_runs_with_its_documented_exit_code(block, repo_copy):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADMISSION_") or k == "ADMISSION_TEST_PG_URL"}
    env["ADMISSION_VENV"] = str(repo_copy / ".venv")
    prelude, wrong = [], []
    for line in BLOCKS[block]:
        if ASSIGNMENT.match(line.split(" #")[0].strip()):
            prelude.append(line)
            continue
        command = line.split()[0]
        if command in NOT_RUN:
            continue
        if command == "./scripts/run" and not venv_is_setups():
            pytest.skip("this venv was not built by ./scripts/setup from today's locks; ./scripts/run would rebuild it")
        done = subprocess.run(["bash", "-c", "\n".join([*prelude, line])], cwd=repo_copy, env=env,
                              capture_output=True, text=True, timeout=600)
        if done.returncode != expected_exit(line):
            wrong.append(f"{line}\n  exit {done.returncode}, documented {expected_exit(line)}\n"
                         f"  {(done.stderr or done.stdout)[-800:]}")
    assert not wrong, "\n".join(wrong)
