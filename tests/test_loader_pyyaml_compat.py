"""The loader's limits are the project's, not libyaml's: the hostile-input tests pass on the
oldest PyYAML the ranges allow (6.0.1, whose libyaml has no depth limit) as on the locked one
(whose libyaml stops flow nesting at 1000 levels with its own error)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).parent
LOCK = HERE / "compat" / "pyyaml-6.0.1.lock"
DEPTH_TESTS = ["tests/test_loader_hostile.py", "tests/test_loader_errors.py", "-k",
               "deep or nesting or one_bad_file or too_deep"]


@pytest.fixture(scope="module")
def pyyaml_601(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("pyyaml601")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") or k == "PIP_CERT"}
    env["PIP_CONFIG_FILE"] = os.devnull
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                           "--require-hashes", "--no-deps", "--only-binary", ":all:", "--target", str(target),
                           "-r", str(LOCK)], env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.fail(f"could not install PyYAML 6.0.1 from {LOCK.name}: {done.stderr[-2000:]}")
    return target


def run_depth_tests(extra_path: Path | None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if extra_path is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(extra_path), env.get("PYTHONPATH", "")])
    probe = "import yaml, sys; print(yaml.__version__, yaml.__with_libyaml__)"
    version = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True).stdout
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", *DEPTH_TESTS],
                          cwd=HERE.parent, env=env, capture_output=True, text=True, timeout=300)
    done.version = version.strip()
    return done


def test_depth_limits_on_pyyaml_601(pyyaml_601):
    done = run_depth_tests(pyyaml_601)
    assert done.version == "6.0.1 True", done.version
    assert done.returncode == 0 and "7 passed" in done.stdout, done.stdout[-3000:]


def test_depth_limits_on_locked_pyyaml():
    """The locked PyYAML's libyaml has its own limit; the tests still see `yaml-too-deep` at our limit."""
    done = run_depth_tests(None)
    assert done.version == f"{yaml.__version__} True"
    assert done.returncode == 0 and "7 passed" in done.stdout, done.stdout[-3000:]
