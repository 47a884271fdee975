"""Bad input that used to be accepted, and contract items (issue 17): lists are lists, one date
range for every date and date-time a request names, no unknown query parameters, the
X-Acting-Person header as documented, the 400s documented; and, against a real server, malformed
HTTP answered with problem+json, a body that stops short answered 408, and invalid Unicode not
costing the keep-alive connection."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import time
from urllib.parse import quote

import pytest

from admission.api.auth import create_token
from admission.language.base import DATE_MAX, DATE_MIN
from admission.store.db import make_engine, migrate

from flowkit import D_TJ, TOWN, admission_request, build_policy_dir
from test_api_kit import is_problem, running_api


@pytest.fixture
def api(tmp_path):
    with running_api(tmp_path, "sqlite") as api:
        yield api


# --------------------------------------------------------------------------- 1. strict lists
def test_targets_must_be_a_list_not_a_string(api):
    r = api.post("/v1/applications", {"request": admission_request(targets=TOWN)}, who="tj", person="统计局-张三")
    body = is_problem(r, 422, "invalid-request")
    assert "targets" in json.dumps(body, ensure_ascii=False)
    assert api.get("/v1/applications").json()["total"] == 0
    api.apply()  # a list still is fine


def test_adjustment_departments_must_be_a_list(api):
    req = {"township": TOWN, "change": "add", "list": "basic", "matter": "M-RKPC", "reason": "需要",
           "departments": D_TJ}
    r = api.post("/v1/applications", {"flow": "adjustment", "request": req}, who="town", person="永安镇-李四")
    assert r.status_code == 422, r.text
    assert "departments" in r.text


# --------------------------------------------------------------------------- 2. one date range
@pytest.mark.parametrize("on", ["0001-01-01", "9999-12-31", "1949-09-30", "2200-01-01"])
def test_dates_out_of_range_are_refused(api, on):
    q = {"actor": D_TJ, "matter": "M-RKPC", "target": TOWN, "on": on}
    body = is_problem(api.post("/v1/decisions", q, who="reader"), 422, "invalid-request")
    assert "1949-10-01" in body["detail"] and "2199-12-31" in body["detail"]
    assert body["errors"][0]["code"] == "date_range" and "1949-10-01" in body["errors"][0]["message"]
    body = is_problem(api.post("/v1/decisions", {"questions": [q]}, who="reader"), 422)
    assert "2199-12-31" in body["detail"]
    is_problem(api.get(f"/v1/units/{TOWN}/duties", params={"on": on}), 422)
    app = api.apply()
    api.opinion(app["id"])
    api.step(app["id"], "review", "bb", "编办-王五")
    api.step(app["id"], "approve", "county", "区政府-赵六", document="市中委〔2025〕8号", meeting="区委常委会")
    r = api.post(f"/v1/applications/{app['id']}/actions/enter", {"effective": on}, who="county", person="区政府-赵六")
    assert "2199-12-31" in is_problem(r, 422)["detail"]
    r = api.post("/v1/applications", {"request": admission_request(start=on)}, who="tj", person="统计局-张三")
    assert r.status_code == 422 and "1949-10-01" in r.text, r.text


def test_range_edges_are_accepted(api):
    for on in (DATE_MIN.isoformat(), DATE_MAX.isoformat()):
        assert api.decide(on=on)["outcome"] in ("allow", "deny")
    assert api.get("/v1/decision-logs", params={"since": "1949-10-01T00:00:00+08:00",
                                                 "until": "2199-12-31"}).status_code == 200


@pytest.mark.parametrize("value", ["0.5", "-1", "0", "1700000000", "0001-01-01T00:00:00", "9999-12-31T00:00:00Z",
                                   "2025-13-01", "yesterday"])
def test_datetimes_are_iso_text_in_range(api, value):
    for path in ("/v1/decision-logs", "/v1/decision-logs/export"):
        for name in ("since", "until"):
            body = is_problem(api.get(path, params={name: value}), 422, "invalid-request")
            assert body["errors"][0]["field"] == name


def test_openapi_shows_the_range(api):
    doc = api.get("/v1/openapi.json").json()
    params = {p["name"]: p for p in doc["paths"]["/v1/decision-logs"]["get"]["parameters"]}
    for name in ("since", "until"):
        schema = json.dumps(params[name]["schema"])
        assert "1949-10-01" in schema and "2199-12-31" in schema and "formatMinimum" in schema
    params = {p["name"]: p for p in doc["paths"]["/v1/units/{unit_id}/duties"]["get"]["parameters"]}
    assert "formatMaximum" in json.dumps(params["on"]["schema"])
    assert "2199-12-31" in json.dumps(doc["components"]["schemas"]["StepBody"])


# --------------------------------------------------------------------------- 3. unknown query parameters
def test_unknown_query_parameter_is_refused_with_the_nearest_name(api):
    r = api.get("/v1/findings", params={"unit": TOWN, "code": "x"})
    body = is_problem(r, 422, "unknown-parameter")
    assert [e["field"] for e in body["errors"]] == ["unit", "code"]
    assert all(e["message"].startswith("未知的查询参数 ") for e in body["errors"])
    r = api.get("/v1/findings", params={"rul": "x"})
    body = is_problem(r, 422, "unknown-parameter")
    assert body["detail"] == "未知的查询参数 rul；是否要写 rule？"
    assert api.get("/v1/findings", params={"rule": "x"}).status_code == 200


def test_aliases_and_dependency_parameters_count_as_declared(api):
    assert api.get("/v1/applications", params={"state": "draft"}).status_code == 200
    body = is_problem(api.get("/v1/applications", params={"state_": "draft"}), 422, "unknown-parameter")
    assert "是否要写 state？" in body["detail"]
    body = is_problem(api.get("/v1/policy", params={"x": "1"}), 422, "unknown-parameter")
    assert "x" in body["detail"]
    # the decision fast path has no query parameters either
    q = {"actor": D_TJ, "matter": "M-RKPC", "target": TOWN, "on": "2025-03-10"}
    is_problem(api.client.post("/v1/decisions?on=2025-03-10", json=q, headers=api.h("reader")), 422,
               "unknown-parameter")
