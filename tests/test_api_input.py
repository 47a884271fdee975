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
