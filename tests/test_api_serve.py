"""`admission serve` for real: a uvicorn server with 2 worker processes on loopback, on SQLite
and on PostgreSQL.  Both workers answer; a workflow step taken through one reaches the decisions
of the other; concurrent identical steps act once (the store serialises them); a reload through
one worker reaches the other; a graceful stop writes every buffered decision-log entry."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from admission.api.auth import create_token
from admission.store.db import make_engine, migrate

from flowkit import COUNTY, D_BB, D_TJ, TOWN, admission_request, build_policy_dir, make_db_url

ADMISSION = str(Path(sys.executable).with_name("admission"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base: str, proc, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read().decode(errors='replace')}")
        try:
            if httpx.get(f"{base}/v1/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("server did not become ready")


@contextmanager
def serving(policies: Path, db_url: str, cwd: Path, env: dict | None = None, workers: int = 1):
    """`admission serve` (one worker unless told) on a free loopback port, ready; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([ADMISSION, "serve", "--policies", str(policies), "--db", db_url, "--port", str(port),
                             "--workers", str(workers)], cwd=cwd, env=env or dict(os.environ),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_ready(base, proc)
        yield base
    finally:
        proc.terminate()
        proc.wait(20)


def each_worker(base: str, path: str, want, seconds: float = 20) -> dict[int, dict]:
    """Ask `path` over fresh connections until two workers (pids) both satisfy `want`."""
    seen: dict[int, dict] = {}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        body = httpx.get(f"{base}{path}", timeout=5).json()
        if want(body):
            seen[body["pid"]] = body
        if len(seen) >= 2:
            return seen
        time.sleep(0.05)
    raise AssertionError(f"fewer than 2 workers satisfied the condition: {seen}")


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_two_workers_serve_one_consistent_api(tmp_path, db):
    root = build_policy_dir(tmp_path)
    url = make_db_url(db, tmp_path)
    engine = make_engine(url)
    migrate(engine)
    made = subprocess.run([ADMISSION, "token", "create", "--unit", COUNTY, "--role", "admin", "--db", url],
                          capture_output=True, text=True, check=True)
    tokens = {"admin": made.stdout.strip()}
    for name, unit, role in (("operator", COUNTY, "operator"), ("tj", D_TJ, "department"), ("town", TOWN, "township"), ("bb", D_BB, "reviewer"),
                             ("county", COUNTY, "approver"), ("reader", "D-MZ", "reader")):
        tokens[name] = create_token(engine, unit=unit, role=role)[1]
    engine.dispose()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "ADMISSION_TODAY": "2025-03-03", "ADMISSION_REFRESH_SECONDS": "0.2",
           "ADMISSION_TOKEN_CACHE_SECONDS": "0"}
    proc = subprocess.Popen([ADMISSION, "serve", "--policies", str(root), "--db", url, "--port", str(port),
                             "--workers", "2"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_ready(base, proc)
        second = subprocess.run([ADMISSION, "serve", "--policies", str(root), "--db", url, "--port", str(port),
                                 "--workers", "2"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 1 and "Address already in use" in second.stderr  # never shares the port
        revision = each_worker(base, "/v1/ready", lambda b: True)
        assert len({b["revision"] for b in revision.values()}) == 1

        c = httpx.Client(base_url=base, timeout=10)

        def h(who, person=None, **extra):
            out = {"Authorization": f"Bearer {tokens[who]}", **extra}
            if person:
                out["X-Acting-Person"] = quote(person)
            return out

        decisions = 0

        def decide(on="2025-03-10"):
            nonlocal decisions
            decisions += 1
            r = httpx.post(f"{base}/v1/decisions", json={"actor": D_TJ, "matter": "M-RKPC", "target": TOWN, "on": on},
                           headers=h("reader"), timeout=5)  # a fresh connection: either worker
            assert r.status_code == 200, r.text
            return r.json()

        assert decide()["reasons"][0]["code"] == "pushdown-unlisted"
        r = c.post("/v1/applications", json={"request": admission_request()}, headers=h("tj", "统计局-张三"))
        assert r.status_code == 201, r.text
        aid = r.json()["id"]

        def tag(who):
            return {"If-Match": c.get(f"/v1/applications/{aid}", headers=h(who)).headers["etag"]}

        assert c.post(f"/v1/applications/{aid}/opinions", json={"stance": "agree"},
                      headers=h("town", "永安镇-李四") | tag("town")).status_code == 201
        # the same review sent at once, many times, to both workers: exactly one acts, the others
        # find their ETag stale
        results = []
        seen = tag("bb")

        def review():
            with httpx.Client(base_url=base, timeout=30) as own:
                results.append(own.post(f"/v1/applications/{aid}/actions/review", json={},
                                        headers=h("bb", "编办-王五") | seen).status_code)

        threads = [threading.Thread(target=review) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == [200] + [412] * 5, results
        history = c.get(f"/v1/applications/{aid}/history", headers=h("admin")).json()
        assert [e["action"] for e in history].count("review") == 1
        assert c.post(f"/v1/applications/{aid}/actions/approve", json={"document": "d", "meeting": "m"},
                      headers=h("county", "区政府-赵六") | tag("county")).status_code == 200
        entered = c.post(f"/v1/applications/{aid}/actions/enter", json={"effective": "2025-03-10"},
                         headers=h("county", "区政府-赵六") | tag("county"))
        assert entered.status_code == 200 and entered.json()["state"] == "entered"
        feed = c.get("/v1/changes", headers=h("reader")).json()
        seq = feed["items"][-1]["seq"]
        each_worker(base, "/v1/ready", lambda b: b["admission_seq"] >= seq)  # both workers refreshed
        for _ in range(10):
            ok = decide()
            assert ok["outcome"] == "allow" and ok["authority"]["record"] == aid
        # a reload through one worker reaches the other
        (root / "more.yaml").write_text("matters:\n  - {id: M-NEW, name: 新事项, domain: 综合保障}\n", encoding="utf-8")
        done = c.post("/v1/policy/reload", headers=h("operator")).json()
        assert done["changed"] is True
        each_worker(base, "/v1/ready", lambda b: b["revision"] == done["revision"])
        for _ in range(4):
            assert decide()["outcome"] == "allow"
        c.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    # the graceful stop flushed both workers' buffers: every decision is in the log
    out = subprocess.run([ADMISSION, "decisions", "export", "--db", url], capture_output=True, text=True, check=True)
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    assert len(lines) == decisions
    assert {x["caller"]["role"] for x in lines} == {"reader"}
