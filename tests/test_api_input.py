"""Hostile and malformed input to the API (issue 17): every bad request is a 4xx problem, never a 500."""

from __future__ import annotations

import threading

import pytest

from test_api_kit import is_problem, running_api
from flowkit import admission_request


def test_concurrent_first_applications_on_a_fresh_postgresql_store(tmp_path):
    """Several first applications at once all remember the flow revision; none is a 500."""
    with running_api(tmp_path, "postgresql") as api:
        bodies = [{"request": admission_request()} for _ in range(6)]
        results: list = []
        barrier = threading.Barrier(len(bodies))

        def one(body):
            barrier.wait()
            results.append(api.post("/v1/applications", body, who="tj", person="统计局-张三"))

        threads = [threading.Thread(target=one, args=(b,)) for b in bodies]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(r.status_code for r in results) == [201] * len(bodies), [r.text for r in results]


@pytest.mark.parametrize("raw, code", [
    (b'{"request": {"reason": "\\ud800"}}', "invalid-unicode"),
    (b'{"request": {"reason": "\\udfff\\ud800"}}', "invalid-unicode"),
    (b'{"request": {"reason": "\xff"}}', "invalid-unicode"),
    (b'{"request": {"reason": "a", "reason": "b"}}', "duplicate-key"),
])
def test_invalid_unicode_and_duplicate_keys_are_422(tmp_path, raw, code):
    with running_api(tmp_path, "sqlite") as api:
        headers = {**api.h("tj", "统计局-张三"), "Content-Type": "application/json", "Idempotency-Key": "k1"}
        body = is_problem(api.client.post("/v1/applications", content=raw, headers=headers), 422, code)
        if code == "duplicate-key":
            assert "reason" in body["detail"]
        dup = b'{"actor": "D-TJ", "actor": "D-TJ", "matter": "M-RKPC", "target": "T", "on": "2025-03-10"}'
        is_problem(api.client.post("/v1/decisions", content=dup, headers=headers), 422, "duplicate-key")
        # a surrogate pair written as escapes is fine
        ok = dict(admission_request(), reason="\U0001f600")
        assert api.post("/v1/applications", {"request": ok}, who="tj", person="统计局-张三").status_code == 201


def test_a_raw_utf8_acting_person_header_is_refused_not_stored_garbled(tmp_path):
    with running_api(tmp_path, "sqlite") as api:
        headers = {"Authorization": f"Bearer {api.tokens['tj']}", "X-Acting-Person": "张三".encode()}
        r = api.client.post("/v1/applications", json={"request": admission_request()}, headers=headers)
        assert "百分号" in is_problem(r, 422, "bad-person")["detail"]


def test_concurrent_first_applications_after_a_reload_with_two_workers_on_postgresql(tmp_path):
    """A reload that changes the flow makes a new flow revision; the first applications under it,
    sent at once to both workers, all remember it (ON CONFLICT DO NOTHING) and none is a 500."""
    import os

    import httpx

    from admission.api.auth import create_token
    from admission.store.db import make_engine, migrate
    from flowkit import COUNTY, D_TJ, build_policy_dir, make_db_url
    from test_api_serve import each_worker, serving

    root = build_policy_dir(tmp_path)
    url = make_db_url("postgresql", tmp_path)
    engine = make_engine(url)
    migrate(engine)
    tj = create_token(engine, unit=D_TJ, role="department")[1]
    op = create_token(engine, unit=COUNTY, role="operator")[1]
    engine.dispose()
    env = {**os.environ, "ADMISSION_TODAY": "2025-03-03", "ADMISSION_REFRESH_SECONDS": "0.2",
           "ADMISSION_TOKEN_CACHE_SECONDS": "0"}
    headers = {"Authorization": f"Bearer {tj}", "X-Acting-Person": "%E5%BC%A0%E4%B8%89"}

    def burst(base, n=8):
        barrier, out = threading.Barrier(n), []

        def one():
            barrier.wait()
            out.append(httpx.post(f"{base}/v1/applications", json={"request": admission_request()}, headers=headers,
                                  timeout=30))  # a fresh connection each: both workers

        threads = [threading.Thread(target=one) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(r.status_code for r in out) == [201] * n, [r.text for r in out if r.status_code != 201]
        return {r.json()["flow_revision"] for r in out}

    with serving(root, url, tmp_path, env, workers=2) as base:
        before = burst(base)
        flow = root / "flows" / "admission.yaml"
        flow.write_text(flow.read_text(encoding="utf-8").replace("opinion_working_days: 10", "opinion_working_days: 12"),
                        encoding="utf-8")
        done = httpx.post(f"{base}/v1/policy/reload", headers={"Authorization": f"Bearer {op}"}, timeout=60).json()
        assert done["changed"] is True
        each_worker(base, "/v1/ready", lambda b: b["revision"] == done["revision"])
        after = burst(base)
        assert len(before) == len(after) == 1 and before != after  # a new flow revision, remembered once
