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
