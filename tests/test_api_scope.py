"""Issue 17: an admin token sees only its unit's subtree (applications, dossiers, histories,
opinions, decision logs), exactly as if the rest did not exist; the system-wide operations
(reload, tick, audit verification, system-wide decision logs) belong to the new `operator` role."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from admission.api.auth import ROLES, check_unit_fits_role, lookup, token_hash
from admission.cli.main import app as cli
from admission.store.db import make_engine, migrate

from flowkit import load, make_db_url
from test_api_kit import COUNTY, D_TJ, TOWN, WHO, is_problem, running_api


@pytest.fixture(params=["sqlite", "pg"])
def db(request):
    return "postgresql" if request.param == "pg" else request.param


@pytest.fixture
def api(tmp_path, db):
    with running_api(tmp_path, db) as a:
        yield a


def test_the_kit_has_an_operator_and_another_countys_admin():
    assert "operator" in ROLES
    assert WHO["other_admin"] == ("370403", "admin") and WHO["operator"][1] == "operator"


# --------------------------------------------------------------------------- applications
def test_another_countys_admin_cannot_see_an_application_it_looks_missing(api):
    app = api.apply()
    aid = app["id"]
    api.opinion(aid)
    # the county's own admin sees it, everywhere
    assert api.get(f"/v1/applications/{aid}", who="admin").status_code == 200
    assert api.get(f"/v1/applications/{aid}/dossier", who="admin").status_code == 200
    assert api.get(f"/v1/applications/{aid}/history", who="admin").json()
    assert api.get(f"/v1/applications/{aid}/opinions", who="admin").json()
    assert [a["id"] for a in api.get("/v1/applications", who="admin").json()["items"]] == [aid]
    # 薛城区's admin: exactly as a missing one
    missing = is_problem(api.get("/v1/applications/nope", who="other_admin"), 404, "no-such-application")
    for tail in ("", "/dossier", "/history", "/opinions"):
        body = is_problem(api.get(f"/v1/applications/{aid}{tail}", who="other_admin"), 404, "no-such-application")
        assert body["title"] == missing["title"] and set(body) == set(missing)
    page = api.get("/v1/applications", who="other_admin").json()
    assert page["total"] == 0 and page["items"] == []
    assert api.get(f"/v1/applications?applicant={D_TJ}", who="other_admin").json()["total"] == 0
    # nor may it act on it
    r = api.post(f"/v1/applications/{aid}/actions/review", {}, who="other_admin", person="某人")
    assert r.status_code in (403, 404)


def test_an_admins_list_pages_over_its_subtree_only(api):
    ids = [api.apply()["id"] for _ in range(3)]
    page = api.get("/v1/applications?limit=2", who="admin").json()
    assert page["total"] == 3 and len(page["items"]) == 2
    rest = api.get("/v1/applications?limit=2&offset=2", who="admin").json()
    assert set(a["id"] for a in page["items"] + rest["items"]) == set(ids)
    assert api.get("/v1/applications?limit=2", who="other_admin").json()["total"] == 0


def test_the_operator_plays_no_flow_role_and_sees_no_application(api):
    aid = api.apply()["id"]
    is_problem(api.get("/v1/applications", who="operator"), 403, "role-not-allowed")
    is_problem(api.get(f"/v1/applications/{aid}", who="operator"), 403, "role-not-allowed")
    # but everything a reader may do
    assert api.get("/v1/policy", who="operator").status_code == 200
    assert api.decide(who="operator")["outcome"] in ("allow", "deny")


# --------------------------------------------------------------------------- decision logs
def test_decision_logs_are_scoped_to_the_admins_subtree_in_the_query(api):
    mine = api.decide(who="reader")  # 市中区民政局 asking about 住建局 in 永安镇: all 市中区
    r = api.post("/v1/decisions", {"actor": "D-XC-ZJ", "matter": "M-WXZJ", "target": TOWN, "on": "2025-03-10"},
                 who="other_county")  # 薛城区 asks about its own 住建局 (target in 市中区)
    assert r.status_code == 200, r.text
    theirs = r.json()
    for _ in range(3):
        api.decide(who="reader")
    every = api.get("/v1/decision-logs", who="operator").json()["items"]
    assert len(every) == 5
    admin = api.get("/v1/decision-logs", who="admin").json()["items"]
    assert len(admin) == 5  # every one names a unit of 市中区 (the target)
    other = api.get("/v1/decision-logs", who="other_admin").json()["items"]
    assert [x["decision_id"] for x in other] == [theirs["decision_id"]]
    assert mine["decision_id"] not in {x["decision_id"] for x in other}
    # the scope is applied before paging: the first page of one is not empty for want of matches
    assert len(api.get("/v1/decision-logs?limit=1", who="other_admin").json()["items"]) == 1
    assert api.get(f"/v1/decision-logs?decision_id={mine['decision_id']}", who="other_admin").json()["items"] == []
    lines = api.get("/v1/decision-logs/export", who="other_admin").text.splitlines()
    assert [json.loads(x)["decision_id"] for x in lines] == [theirs["decision_id"]]
    assert len(api.get("/v1/decision-logs/export", who="operator").text.splitlines()) == 5
    # the counters are system-wide: the operator's
    is_problem(api.get("/v1/decision-logs/stats", who="admin"), 403, "role-not-allowed")
    assert api.get("/v1/decision-logs/stats", who="operator").json()["totals"]["written"] >= 5
    is_problem(api.get("/v1/decision-logs", who="reader"), 403, "role-not-allowed")


# --------------------------------------------------------------------------- operator routes
def test_reload_tick_and_verify_are_the_operators(api):
    for who in ("admin", "other_admin", "county", "reader"):
        is_problem(api.post("/v1/policy/reload", who=who), 403, "role-not-allowed")
        is_problem(api.post("/v1/workflow/tick", who=who), 403, "role-not-allowed")
        is_problem(api.get("/v1/audit/verify", who=who), 403, "role-not-allowed")
    assert api.post("/v1/policy/reload", who="operator").json()["changed"] is False
    assert "exited" in api.post("/v1/workflow/tick", who="operator").json()
    assert api.get("/v1/audit/verify", who="operator").json()["intact"] is True


def test_openapi_marks_the_operator_routes(api):
    paths = api.client.get("/v1/openapi.json").json()["paths"]
    for path, method in (("/v1/policy/reload", "post"), ("/v1/workflow/tick", "post"), ("/v1/audit/verify", "get"),
                         ("/v1/decision-logs/stats", "get")):
        assert "（运维）" in paths[path][method]["summary"], path


# --------------------------------------------------------------------------- tokens
def test_token_create_operator_through_the_cli(tmp_path, db):
    url = make_db_url(db, tmp_path)
    engine = make_engine(url)
    migrate(engine)
    runner = CliRunner()
    r = runner.invoke(cli, ["token", "create", "--unit", COUNTY, "--role", "operator", "--db", url])
    assert r.exit_code == 0, r.output
    token = r.stdout.strip().splitlines()[-1]
    caller = lookup(engine, token_hash(token))
    assert caller is not None and caller.role == "operator" and caller.unit == COUNTY
    listed = runner.invoke(cli, ["token", "list", "--db", url])
    assert listed.exit_code == 0 and "operator" in listed.output
    bad = runner.invoke(cli, ["token", "create", "--unit", COUNTY, "--role", "superuser", "--db", url])
    assert bad.exit_code != 0 and "operator" in bad.output
    engine.dispose()


def test_an_operators_unit_is_only_a_label_any_unit_of_the_policy(tmp_path):
    from flowkit import build_policy_dir

    policy = load(build_policy_dir(tmp_path))
    for unit in (COUNTY, "3704", TOWN, D_TJ):
        assert check_unit_fits_role(policy, unit, "operator") is None
    assert check_unit_fits_role(policy, "NOPE", "operator") is not None
