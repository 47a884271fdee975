"""The sharded check on a Dask cluster (`admission check --bundle URL --executor dask://HOST:PORT`)
finds exactly what the local run finds (issue 19): an in-process LocalCluster, the bundled
violations published to a SQLite store that its worker reads by URL."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parent.parent
VIOLATIONS = ROOT / "examples" / "violations"
ON = "2026-11-23"


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=None) as c:
        yield c


def test_dask_findings_equal_local_findings(tmp_path, cluster):
    from admission.cli.main import app

    runner = CliRunner()
    tree = tmp_path / "tree"
    shutil.copytree(VIOLATIONS, tree)
    store = tmp_path / "store"
    assert runner.invoke(app, ["build", str(tree), "-o", str(store)]).exit_code == 0
    url = f"sqlite:///{tmp_path / 'bundles.db'}"
    assert runner.invoke(app, ["publish", str(store), "--db", url]).exit_code == 0

    local = runner.invoke(app, ["check", "--bundle", url, "--on", ON, "-f", "json", "--workers", "1"])
    address = cluster.scheduler_address.replace("tcp://", "dask://")
    remote = runner.invoke(app, ["check", "--bundle", url, "--on", ON, "-f", "json", "--executor", address])
    assert remote.exit_code == local.exit_code == 1, remote.output
    a, b = json.loads(local.output), json.loads(remote.output)
    assert a["diagnostics"], "the violations must produce findings"
    assert b["diagnostics"] == a["diagnostics"]
    assert b["summary"] == a["summary"] and b["revision"] == a["revision"]
    assert b["shards"]["checked"] == b["shards"]["total"] > 1
    assert "check_job" in cluster.scheduler.task_prefixes  # the shards ran on the cluster


def test_executor_must_be_a_dask_address(tmp_path):
    from admission.cli.main import app

    runner = CliRunner()
    res = runner.invoke(app, ["check", "--bundle", str(tmp_path), "--executor", "tcp://127.0.0.1:8786"])
    assert res.exit_code == 2 and "dask://" in res.output
    res = runner.invoke(app, ["check", "--executor", "dask://127.0.0.1:8786"])
    assert res.exit_code == 2 and "--bundle" in res.output
