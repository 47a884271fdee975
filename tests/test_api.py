"""The compliance API through the real HTTP stack (FastAPI TestClient), on SQLite and on
PostgreSQL: every endpoint, every role and refusal, idempotent retries, stale ETags, the change
feed, the reload that must not replace a good policy, the audit chain and its tampering, the
decision log and its durability rule, tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
import sqlalchemy as sa

from test_api_kit import (
    COUNTY, D_BB, D_TJ, STREET, TOWN, VILLAGE, WHO, admission_request, is_problem, running_api,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def api(request, tmp_path):
    with running_api(tmp_path, request.param) as a:
        yield a


# --------------------------------------------------------------------------- decisions
def test_decisions_single_and_batch_with_reasons_basis_revision_and_sequence(api):
    r = api.post("/v1/decisions", {"actor": "D-ZJ", "matter": "M-WXZJ", "target": TOWN, "on": "2025-03-01"},
                 who="reader")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    ok = r.json()
    assert ok["outcome"] == "allow" and ok["allowed"] is True
    assert ok["authority"]["kind"] == "cooperative" and ok["reasons"][0]["code"] == "allowed"
    assert ok["revision"] == api.get("/v1/policy").json()["effective_revision"]
    assert ok["admission_seq"] == 0 and ok["decision_id"]
    # a known matter that may not be pushed down: a reasoned denial, not an error
    no = api.decide(actor=TOWN, matter="M-CJ", target=VILLAGE, on="2025-03-01")
    assert no["outcome"] == "deny" and no["reasons"][0]["code"] == "pushdown-negative"
    unlisted = api.decide(actor="D-MZ", matter="M-WXZJ", target=STREET, on="2025-03-01")
    assert unlisted["outcome"] == "deny" and unlisted["reasons"][0]["code"] in ("pushdown-no-standing", "pushdown-unlisted")
    r = api.post("/v1/decisions", {"on": "2025-03-01", "questions": [
        {"actor": "D-ZJ", "matter": "M-WXZJ", "target": TOWN},
        {"actor": TOWN, "matter": "M-CJ", "target": VILLAGE, "role": "responsible"},
        {"actor": TOWN, "matter": "M-ZM", "target": VILLAGE, "kind": "certification_request", "on": "2025-03-02"},
    ]}, who="town")
    batch = r.json()
    assert r.status_code == 200 and batch["count"] == 3
    assert [x["outcome"] for x in batch["results"]] == ["allow", "deny", "allow"]
    assert batch["results"][2]["on"] == "2025-03-02" and batch["results"][0]["on"] == "2025-03-01"
    assert batch["results"][1]["decision_id"] == f"{batch['batch_id']}-1"
    # default date: today (the configured 2025-03-03)
    assert api.decide(actor="D-ZJ", matter="M-WXZJ", target=TOWN, on=None)["on"] == "2025-03-03"


def test_unknown_ids_are_422_naming_them_and_could_not_decide_is_not_a_denial(api):
    body = is_problem(api.post("/v1/decisions", {"actor": "D-NOPE", "matter": "M-X", "target": TOWN}), 422,
                      "unknown-id")
    assert body["unknown_ids"] == ["actor:D-NOPE", "matter:M-X"]
    assert body["errors"] == [{"index": 0, "code": "unknown-id", "message": "未知标识 unknown id: actor:D-NOPE、matter:M-X",
                               "ids": ["actor:D-NOPE", "matter:M-X"]}]
    # in a batch each question is answered on its own: the unknown one gets its own problem
    r = api.post("/v1/decisions", {"questions": [
        {"actor": "D-ZJ", "matter": "M-WXZJ", "target": TOWN, "correlation_id": "任务-甲"},
        {"actor": "D-ZJ", "matter": "M-WXZJ", "target": "T-NOPE", "correlation_id": "任务-乙"},
        {"actor": "D-ZJ", "matter": "M-WXZJ", "target": "D-MZ"}]})
    assert r.status_code == 200, r.text
    batch = r.json()
    assert batch["count"] == 3 and batch["errors"] == 2
    first, second, third = batch["results"]
    assert (first["index"], first["correlation_id"], first["outcome"]) == (0, "任务-甲", "allow")
    assert "problem" not in first
    assert (second["index"], second["correlation_id"], second["outcome"], second["allowed"]) == (1, "任务-乙", "error", False)
    problem = second["problem"]
    assert problem["status"] == 422 and problem["code"] == "unknown-id" and problem["unknown_ids"] == ["target:T-NOPE"]
    assert problem["type"] == "urn:admission:problem:unknown-id" and problem["detail"].startswith("第 2 题无法判定")
    assert third["index"] == 2 and "correlation_id" not in third and third["problem"]["code"] == "cannot-decide"
    single = api.post("/v1/decisions", {"actor": "D-ZJ", "matter": "M-WXZJ", "target": TOWN, "correlation_id": "c-1"})
    assert single.json()["correlation_id"] == "c-1"
    body = is_problem(api.post("/v1/decisions", {"actor": "D-ZJ", "matter": "M-WXZJ", "target": "D-MZ"}), 422,
                      "cannot-decide")
    assert "乡镇" in body["detail"]
    is_problem(api.post("/v1/exercise-checks", {"unit": "U-NOPE", "matter": "M-WZJY"}), 422, "unknown-id")


def test_exercise_checks(api):
    ok = api.post("/v1/exercise-checks", {"unit": TOWN, "matter": "M-WZJY", "on": "2025-03-01"}).json()
    assert ok["outcome"] == "allow" and ok["reasons"][0]["code"] == "delegated"
    r = api.post("/v1/exercise-checks", {"questions": [{"unit": VILLAGE, "matter": "M-WZJY"},
                                                       {"unit": "D-SCJG", "matter": "M-TZSB"}]}, who="tj")
    assert [x["reasons"][0]["code"] for x in r.json()["results"]] == ["exercise-village", "held"]


STRICT = [
    ({"actor": "D-ZJ", "matter": "M-WXZJ", "target": TOWN, "extra": 1}, "extra"),
    ({"actor": "D-ZJ", "matter": "M-WXZJ", "target": TOWN, "on": "2025-3-1"}, "on"),
    ({"actor": "D-ZJ", "matter": "M-WXZJ", "target": TOWN, "on": 20250301}, "on"),
    ({"actor": "D-ZJ", "matter": "M-WXZJ", "target": TOWN, "on": "2025-03-01T00:00:00"}, "on"),
    ({"actor": 370402, "matter": "M-WXZJ", "target": TOWN}, "actor"),
    ({"actor": "D-ZJ", "matter": "M-WXZJ"}, "target"),
    ({"actor": "D-ZJ", "matter": "M-WXZJ", "target": TOWN, "kind": "order"}, "kind"),
    ({"actor": "D-ZJ", "matter": "M-WXZJ", "target": "永安 镇"}, "target"),
    ({"questions": []}, "questions"),
    ({"questions": [{"actor": "D-ZJ", "matter": "M-WXZJ", "target": TOWN, "x": 1}]}, "questions.0.x"),
    ([1, 2], ""),
]


def test_strict_validation(api):
    for body, field in STRICT:
        problem = is_problem(api.post("/v1/decisions", body), 422, "invalid-request")
        assert any(e["field"] == field for e in problem["errors"]), (body, problem["errors"])
        assert all(e["message"] and e["message_en"] for e in problem["errors"])  # Chinese, English beside
    problem = is_problem(api.post("/v1/applications", {"request": {}, "person": "p", "flow": "admission", "x": 1},
                                  who="tj"), 422, "invalid-request")
    assert [e["field"] for e in problem["errors"]] == ["x"]
    is_problem(api.post("/v1/applications/WF-1/actions/review", {"passed": "yes"}, who="bb", person="p"), 422)


def test_bad_bodies_sizes_and_media_types(tmp_path):
    with running_api(tmp_path, "sqlite", max_body_bytes=4096, max_batch=5) as api:
        h = {**api.h("reader"), "content-type": "application/json"}
        is_problem(api.client.post("/v1/decisions", content=b"{not json", headers=h), 422, "invalid-request")
        is_problem(api.client.post("/v1/decisions", content=b"", headers=h), 422, "invalid-request")
        is_problem(api.client.post("/v1/decisions", content=b"x" * 5000, headers=h), 413, "too-large")
        is_problem(api.client.post("/v1/applications", content=b"x" * 5000, headers=h), 413, "too-large")
        is_problem(api.client.post("/v1/decisions", content=b"actor=D-ZJ",
                                   headers={**api.h("reader"), "content-type": "text/plain"}), 415)
        q = {"actor": "D-ZJ", "matter": "M-WXZJ", "target": TOWN}
        is_problem(api.post("/v1/decisions", {"questions": [q] * 6}), 422, "batch-too-large")
        assert api.post("/v1/decisions", {"questions": [q] * 5}).json()["count"] == 5
        is_problem(api.client.get("/v1/nowhere"), 404, "no-such-resource")
        is_problem(api.client.delete("/v1/decisions", headers=api.h("admin")), 405, "method-not-allowed")
        is_problem(api.get("/v1/units/370402101/duties?on=tomorrow"), 422, "invalid-request")


def test_authentication(api):
    q = {"actor": "D-ZJ", "matter": "M-WXZJ", "target": TOWN}
    for path, body in (("/v1/decisions", q), ("/v1/exercise-checks", {"unit": TOWN, "matter": "M-WZJY"})):
        r = api.client.post(path, json=body)
        assert is_problem(r, 401, "unauthenticated") and r.headers["www-authenticate"] == "Bearer"
        is_problem(api.client.post(path, json=body, headers={"Authorization": "Bearer adm_wrong"}), 401, "bad-token")
        is_problem(api.client.post(path, json=body, headers={"Authorization": "Basic eDp5"}), 401)
    for path in ("/v1/policy", "/v1/matters", "/v1/applications", "/v1/changes", "/v1/decision-logs"):
        is_problem(api.client.get(path), 401, "unauthenticated")
        is_problem(api.client.get(path, headers={"Authorization": "Bearer nope"}), 401, "bad-token")
    assert api.client.get("/v1/health").json()["status"] == "ok"  # no token needed
    assert api.client.get("/v1/ready").json()["status"] == "ready"
    me = api.get("/v1/me", who="bb").json()
    assert me == {"token_id": api.token_ids["bb"], "unit": D_BB, "unit_name": "中共市中区委机构编制委员会办公室",
                  "role": "reviewer"}


def test_tokens_are_stored_as_hashes_and_revocable(api):
    from admission.api.auth import revoke_token

    with api.engine.begin() as c:
        rows = c.exec_driver_sql("SELECT id, token_hash FROM api_token").all()
    stored = {h for _, h in rows}
    for token in api.tokens.values():
        assert len(token) >= 43 + 4 and token not in stored
        assert hashlib.sha256(token.encode()).hexdigest() in stored
    assert api.get("/v1/me", who="reader").status_code == 200
    assert revoke_token(api.engine, api.token_ids["reader"])
    is_problem(api.get("/v1/me", who="reader"), 401, "bad-token")
    is_problem(api.post("/v1/decisions", {"actor": "D-ZJ", "matter": "M-WXZJ", "target": TOWN}, who="reader"), 401)
    assert not revoke_token(api.engine, api.token_ids["reader"])  # already revoked


# --------------------------------------------------------------------------- reading the policy
def test_duties_owners_matters_findings_policy(api):
    town = api.get(f"/v1/units/{TOWN}/duties?on=2025-03-03", who="reader").json()
    assert town["unit"] == {"id": TOWN, "name": "永安镇", "kind": "township", "county": COUNTY}
    assert {e["matter"] for e in town["lists"]["basic"]} == {"M-DJ", "M-DB"}
    assert [e["matter"] for e in town["lists"]["cooperative"]] == ["M-WXZJ"]
    assert town["lists"]["cooperative"][0]["lead"] == ["D-ZJ"]
    assert [e["matter"] for e in town["lists"]["returned"]] == ["M-TZSB"]
    assert [(p["matter"], p["via"]) for p in town["powers"]] == [("M-WZJY", "grant")]
    assert [a["id"] for a in town["admissions"]] == ["ADM-1"]
    village = api.get(f"/v1/units/{VILLAGE}/duties?on=2025-03-03").json()
    assert [e["matter"] for e in village["lists"]["negative"]] == ["M-CJ"]
    dept = api.get("/v1/units/D-SCJG/duties?on=2025-03-03").json()
    assert {(p["matter"], p["via"]) for p in dept["powers"]} == {("M-TZSB", "power_list"), ("M-WZJY", "power_list"),
                                                                 ("M-WZJY", "delegated_out")}
    is_problem(api.get("/v1/units/U-NOPE/duties"), 422, "unknown-id")

    owners = api.get(f"/v1/owners?matter=M-WXZJ&unit={TOWN}", who="town").json()
    assert ("legal_party", "D-ZJ") in {(r["role"], r["unit"]) for r in owners["roles"]}
    assert ("cooperates", TOWN) in {(r["role"], r["unit"]) for r in owners["roles"]}
    body = is_problem(api.get(f"/v1/owners?matter=M-NOPE&unit={TOWN}"), 422, "unknown-id")
    assert "matter:M-NOPE" in body["detail"]
    is_problem(api.get("/v1/owners?matter=M-WXZJ"), 422, "invalid-request")

    found = api.get("/v1/matters?q=维修资金").json()
    assert [m["id"] for m in found["items"]] == ["M-WXZJ"]
    assert api.get("/v1/matters?q=m-wzjy").json()["items"][0]["id"] == "M-WZJY"  # ids, case-insensitive
    page = api.get("/v1/matters?domain=民生服务&limit=1&offset=1").json()
    assert page["total"] == 2 and len(page["items"]) == 1
    assert api.get("/v1/matters?power_type=penalty").json()["items"][0]["id"] == "M-WZJY"

    assert api.get("/v1/findings?on=2025-03-03", who="reader").json()["total"] == 0
    (api.root / "dispatch.yaml").write_text(
        "assignments:\n"
        "  - {id: A-STREET, by: D-MZ, to: \"370402002\", matter: M-WXZJ, date: 2025-03-01}\n"
        "  - {id: A-VILLAGE, by: D-ZJ, to: \"370402101201\", matter: M-CJ, date: 2025-03-01}\n", encoding="utf-8")
    assert api.post("/v1/policy/reload", who="operator").json()["changed"] is True
    everything = api.get("/v1/findings?on=2025-03-03&limit=1000").json()
    assert everything["total"] == len(everything["items"]) == 2
    assert {(f["subject"], f["code"], tuple(f["units"])) for f in everything["items"]} == {
        ("A-STREET", "pushdown-no-standing", (STREET,)), ("A-VILLAGE", "village-bypass", (VILLAGE,))}
    only = api.get("/v1/findings?on=2025-03-03&rule=village-bypass").json()
    assert [f["subject"] for f in only["items"]] == ["A-VILLAGE"]
    assert [f["subject"] for f in api.get(f"/v1/findings?township={TOWN}").json()["items"]] == ["A-VILLAGE"]
    assert api.get(f"/v1/findings?county={COUNTY}").json()["total"] == 2
    assert api.get("/v1/findings?county=370403").json()["total"] == 0
    assert api.get("/v1/findings?severity=warning").json()["total"] == 0
    assert api.get("/v1/findings?subject=A-STREET").json()["total"] == 1
    paged = api.get("/v1/findings?on=2025-03-03&limit=1&offset=1").json()
    assert paged["total"] == 2 and len(paged["items"]) == 1
    item = paged["items"][0]
    assert item["file"].endswith("dispatch.yaml") and item["line"] and item["message"]

    policy = api.get("/v1/policy", who="reader").json()
    assert policy["counts"]["matters"] == 10 and policy["counts"]["assignments"] == 3 and policy["counts"]["flows"] == 3
    assert {f["id"] for f in policy["flows"]} == {"admission", "adjustment", "secondment"}


# --------------------------------------------------------------------------- the workflow
def test_workflow_end_to_end_reaches_decisions_and_the_change_feed(api):
    before = api.decide()
    assert before["reasons"][0]["code"] == "pushdown-unlisted"
    app = api.apply()
    assert app["state"] == "consulting" and app["applicant_unit"] == D_TJ and app["applicant_person"] == "统计局-张三"
    r = api.get(f"/v1/applications/{app['id']}", who="tj")
    assert r.headers["etag"] == app["etag"] == f'"{app["version"]}"'
    entered = api.enter(app["id"])
    assert entered["state"] == "entered" and entered["effective_from"] == "2025-03-10"
    ok = api.decide()  # the worker that took the step refreshed its index at once
    assert ok["outcome"] == "allow" and ok["authority"]["kind"] == "admission"
    assert ok["authority"]["record"] == app["id"] and ok["admission_seq"] >= 1
    duties = api.get(f"/v1/units/{TOWN}/duties?on=2025-03-10").json()
    assert app["id"] in [a["id"] for a in duties["admissions"] if a["workflow"]]
    feed = api.get("/v1/changes?since=0", who="reader").json()
    assert [c["kind"] for c in feed["items"]] == ["admission-entered"]
    assert feed["items"][0]["application_id"] == app["id"] and feed["next_since"] == feed["items"][0]["seq"]
    api.state.today = lambda: dt.date(2025, 6, 30)
    api.step(app["id"], "exit", "county", "区政府-赵六", reason="评估认为不宜继续由乡镇承担")
    assert api.decide(on="2025-06-30")["outcome"] == "allow"
    assert api.decide(on="2025-07-01")["reasons"][0]["code"] == "lapse-after-exit"
    later = api.get(f"/v1/changes?since={feed['next_since']}").json()
    assert [c["kind"] for c in later["items"]] == ["admission-exited"]
    assert later["admission_seq"] == later["next_since"]
    assert api.get(f"/v1/changes?since={later['next_since']}").json()["items"] == []
    history = api.get(f"/v1/applications/{app['id']}/history", who="tj").json()
    assert [h["action"] for h in history] == ["apply", "opinion", "review", "approve", "enter", "exit"]
    assert history[1]["person"] == "永安镇-李四" and history[2]["person"] == "编办-王五"
    assert all(h["prev_hash"] == p["hash"] for p, h in zip(history, history[1:]))
    opinions = api.get(f"/v1/applications/{app['id']}/opinions", who="town").json()
    assert [(o["unit"], o["stance"], o["person"]) for o in opinions] == [(TOWN, "agree", "永安镇-李四")]
    dossier = api.get(f"/v1/applications/{app['id']}/dossier", who="county").json()
    assert dossier["application"]["state"] == "exited" and len(dossier["history"]) == 6


def test_roles_units_and_refusals(api):
    app = api.apply()
    aid = app["id"]
    # readers ask decisions but see no applications; only departments apply for admission
    is_problem(api.get("/v1/applications", who="reader"), 403, "role-not-allowed")
    is_problem(api.post("/v1/applications", {"request": admission_request()}, who="reader", person="x"), 403)
    is_problem(api.post("/v1/applications", {"request": admission_request()}, who="town", person="x"), 403,
               "role-not-allowed")
    is_problem(api.post("/v1/applications", {"request": admission_request()}, who="admin", person="x"), 403)
    # another department, a township not concerned, another county: as if it did not exist
    missing = is_problem(api.get("/v1/applications/WF-2025-999999", who="zj"), 404, "no-such-application")
    for who in ("zj", "street", "other_county"):
        hidden = is_problem(api.get(f"/v1/applications/{aid}", who=who), 404, "no-such-application")
        assert hidden["detail"] == missing["detail"].replace("WF-2025-999999", aid)
        is_problem(api.get(f"/v1/applications/{aid}/dossier", who=who), 404)
    is_problem(api.post(f"/v1/applications/{aid}/opinions", {"stance": "agree"}, who="street", person="p"), 404)
    for who in ("tj", "town", "bb", "county", "city", "admin"):
        assert api.get(f"/v1/applications/{aid}", who=who).status_code == 200, who
    # the role of the token decides which steps it may ask for at all
    is_problem(api.post(f"/v1/applications/{aid}/actions/review", {}, who="tj", person="统计局-张三"), 403,
               "role-not-allowed")
    is_problem(api.post(f"/v1/applications/{aid}/opinions", {"stance": "agree"}, who="bb", person="p"), 403)
    # the unit must hold the flow role on this application (the service decides)
    r = api.post(f"/v1/applications/{aid}/opinions", {"stance": "agree"}, who="zj", person="住建局-甲")
    is_problem(r, 404)  # zj cannot even see it
    api.opinion(aid)
    is_problem(api.post(f"/v1/applications/{aid}/opinions", {"stance": "agree"}, who="town", person="永安镇-李四"),
               409, "opinion-exists")
    api.step(aid, "review", "bb", "编办-王五")
    # separation of duties, per person: the reviewer in person cannot approve, even for the county
    body = is_problem(api.post(f"/v1/applications/{aid}/actions/approve", {"document": "d", "meeting": "m"},
                               who="county", person="编办-王五"), 403, "separation-of-duties")
    assert "审批" in body["detail"]
    is_problem(api.post(f"/v1/applications/{aid}/actions/approve", {"document": "d", "meeting": "m"},
                        who="county", person="统计局-张三"), 403, "separation-of-duties")
    is_problem(api.post(f"/v1/applications/{aid}/actions/approve", {}, who="county", person="区政府-赵六"), 422,
               "missing-input")
    is_problem(api.post(f"/v1/applications/{aid}/actions/review", {}, who="bb", person="编办-王五"), 409,
               "no-transition")
    is_problem(api.post(f"/v1/applications/{aid}/actions/fly", {}, who="county", person="p"), 422, "no-such-action")
    is_problem(api.post(f"/v1/applications/{aid}/actions/approve", {"document": "d"}, who="county"), 422,
               "missing-person")
    is_problem(api.post(f"/v1/applications/{aid}/actions/approve", {"document": "d", "person": "甲"}, who="county",
                        person="乙"), 422, "person-mismatch")
    approved = api.step(aid, "approve", "county", None, headers={"X-Acting-Person": "%E8%B5%B5%E5%85%AD"},
                        document="市中委〔2025〕8号", meeting="常委会")
    assert approved["state"] == "approved"
    refusals = api.get(f"/v1/applications/{aid}/dossier", who="admin").json()["refusals"]
    assert {(x["action"], x["person"]) for x in refusals} >= {("approve", "编办-王五"), ("approve", "统计局-张三")}
    # a guard refusal is a 409 with the guard named, and changes nothing
    bad = api.post("/v1/applications", {"request": admission_request(resources={})}, who="tj", person="统计局-张三")
    assert [e["guard"] for e in is_problem(bad, 409, "refused-by-guard")["errors"]] == ["resources-declared"]
    unknown = api.post("/v1/applications", {"request": admission_request(basis="B-NOPE")}, who="tj", person="p")
    is_problem(unknown, 422, "unknown-id")
    nonsense = api.post("/v1/applications", {"request": {"matter": "M-RKPC"}}, who="tj", person="p")
    assert is_problem(nonsense, 422, "invalid-request")["errors"]
    is_problem(api.post("/v1/applications", {"flow": "nope", "request": {}}, who="tj", person="p"), 404,
               "no-such-flow")


def test_list_filters_pagination_and_visibility(api):
    ids = [api.apply()["id"] for _ in range(3)]
    other = api.apply(targets=[STREET])["id"]
    api.step(ids[0], "withdraw", "tj", "统计局-张三")
    page = api.get("/v1/applications?state=consulting&offset=1&limit=2", who="tj").json()
    assert page["total"] == 3 and [a["id"] for a in page["items"]] == [ids[2], other]
    assert api.get("/v1/applications", who="zj").json()["total"] == 0
    assert {a["id"] for a in api.get("/v1/applications", who="town").json()["items"]} == set(ids)
    assert [a["id"] for a in api.get("/v1/applications", who="street").json()["items"]] == [other]
    assert api.get("/v1/applications", who="bb").json()["total"] == 4
    assert api.get("/v1/applications", who="city").json()["total"] == 4
    assert api.get("/v1/applications", who="other_county").json()["total"] == 0
    assert api.get("/v1/applications?phase=closed", who="admin").json()["total"] == 1
    assert api.get(f"/v1/applications?applicant={D_TJ}&limit=1", who="admin").json()["total"] == 4
    is_problem(api.get("/v1/applications?limit=0", who="admin"), 422)
    is_problem(api.get("/v1/applications?phase=flying", who="admin"), 422)


def test_idempotent_retries(api):
    body = {"request": admission_request(), "person": "统计局-张三"}
    first = api.post("/v1/applications", body, who="tj", headers={"Idempotency-Key": "apply-1"})
    again = api.post("/v1/applications", body, who="tj", headers={"Idempotency-Key": "apply-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert again.headers["etag"] == first.headers["etag"] and again.headers["location"] == first.headers["location"]
    assert api.get("/v1/applications", who="tj").json()["total"] == 1
    changed = {"request": admission_request(reason="另一个理由"), "person": "统计局-张三"}
    is_problem(api.post("/v1/applications", changed, who="tj", headers={"Idempotency-Key": "apply-1"}), 422,
               "idempotency-key-reused")
    # keys belong to a token: another token's identical key is another request
    aid = first.json()["id"]
    api.opinion(aid)
    step = {"person": "编办-王五"}
    tag = api.current(aid, "bb")  # a retry repeats the request as it was, its If-Match included
    r1 = api.post(f"/v1/applications/{aid}/actions/review", step, who="bb", headers={**tag, "Idempotency-Key": "rv"})
    r2 = api.post(f"/v1/applications/{aid}/actions/review", step, who="bb", headers={**tag, "Idempotency-Key": "rv"})
    assert r1.status_code == r2.status_code == 200 and r1.json() == r2.json()
    history = api.get(f"/v1/applications/{aid}/history").json()
    assert [h["action"] for h in history].count("review") == 1  # the retry did not act twice
    # a refusal is replayed too, and not retried against the new state
    tag = api.current(aid, "county")
    r3 = api.post(f"/v1/applications/{aid}/actions/approve", {"person": "编办-王五", "document": "d", "meeting": "m"},
                  who="county", headers={**tag, "Idempotency-Key": "ap"})
    r4 = api.post(f"/v1/applications/{aid}/actions/approve", {"person": "编办-王五", "document": "d", "meeting": "m"},
                  who="county", headers={**tag, "Idempotency-Key": "ap"})
    assert r3.status_code == r4.status_code == 403 and r3.json() == r4.json()
    assert r4.headers["content-type"].startswith("application/problem+json")
    assert len(api.get(f"/v1/applications/{aid}/dossier").json()["refusals"]) == 1
    is_problem(api.post(f"/v1/applications/{aid}/actions/approve", {}, who="county", person="p",
                        headers={"Idempotency-Key": "bad key"}), 422, "bad-idempotency-key")
    # the opinion endpoint takes keys too
    app2 = api.apply()["id"]
    tag = api.current(app2, "town")
    o1 = api.post(f"/v1/applications/{app2}/opinions", {"stance": "agree"}, who="town", person="p",
                  headers={**tag, "Idempotency-Key": "op"})
    o2 = api.post(f"/v1/applications/{app2}/opinions", {"stance": "agree"}, who="town", person="p",
                  headers={**tag, "Idempotency-Key": "op"})
    assert o1.status_code == o2.status_code == 201 and o1.json() == o2.json()


def test_stale_etags(api):
    app = api.apply()
    aid, tag = app["id"], app["etag"]
    api.opinion(aid)
    body = is_problem(api.post(f"/v1/applications/{aid}/actions/review", {}, who="bb", person="编办-王五",
                               headers={"If-Match": tag}), 412, "stale-etag")
    assert "版本" in body["detail"]
    for bad in ('W/"3"', "3x", '"abc"'):
        is_problem(api.post(f"/v1/applications/{aid}/actions/review", {}, who="bb", person="编办-王五",
                            headers={"If-Match": bad}), 412)
    fresh = api.get(f"/v1/applications/{aid}", who="bb").headers["etag"]
    done = api.post(f"/v1/applications/{aid}/actions/review", {}, who="bb", person="编办-王五",
                    headers={"If-Match": fresh})
    assert done.status_code == 200 and done.headers["etag"] != fresh == f'"{done.json()["version"] - 1}"'
    star = api.post(f"/v1/applications/{aid}/actions/send_back", {"reason": "补充材料"}, who="county",
                    person="区政府-赵六", headers={"If-Match": "*"})
    assert star.status_code == 200 and star.json()["state"] == "revising"
    # opinions and answers to dissent take If-Match too
    other = api.apply()
    stale = other["etag"]
    api.opinion(other["id"], stance="dissent", text="无专职人员承担")
    is_problem(api.post(f"/v1/applications/{other['id']}/opinions/{TOWN}/answer", {"text": "随事项下沉2名普查员"},
                        who="bb", person="编办-王五", headers={"If-Match": stale}), 412, "stale-etag")
    current = api.get(f"/v1/applications/{other['id']}", who="bb").headers["etag"]
    answered = api.post(f"/v1/applications/{other['id']}/opinions/{TOWN}/answer", {"text": "随事项下沉2名普查员"},
                        who="bb", person="编办-王五", headers={"If-Match": current})
    assert answered.status_code == 200 and answered.json()["answer"] == "随事项下沉2名普查员"
    is_problem(api.post(f"/v1/applications/{other['id']}/opinions/{STREET}/answer", {"text": "x"}, who="bb",
                        person="编办-王五"), 409, "no-dissent")
    assert api.step(other["id"], "review", "bb", "编办-王五")["state"] == "approving"
    third = api.apply()
    is_problem(api.post(f"/v1/applications/{third['id']}/opinions", {"stance": "agree"}, who="town", person="p",
                        headers={"If-Match": '"1"'}), 412)


@pytest.mark.parametrize("write", ["step", "opinion", "answer"])
def test_writes_to_an_application_require_if_match_by_default(api, write):
    app = api.apply()
    aid = app["id"]
    if write == "answer":
        api.opinion(aid, stance="dissent", text="无专职人员承担")
    path, body, who, stranger = {
        "step": (f"/v1/applications/{aid}/actions/withdraw", {}, "tj", "other_county"),
        "opinion": (f"/v1/applications/{aid}/opinions", {"stance": "agree"}, "town", "street"),
        "answer": (f"/v1/applications/{aid}/opinions/{TOWN}/answer", {"text": "随事项下沉2名普查员"}, "bb", None),
    }[write]
    before = api.get(f"/v1/applications/{aid}/dossier").json()
    body_ = is_problem(api.post(path, body, who=who, person="经办人", headers={"If-Match": None}),
                       428, "if-match-required")
    assert "ETag" in body_["detail"] and f"GET /v1/applications/{aid}" in body_["detail"]
    assert api.get(f"/v1/applications/{aid}/dossier").json() == before  # the refusal changed nothing
    # an invisible application is still answered as missing, not with 428
    if stranger:
        is_problem(api.post(path, body, who=stranger, person="经办人", headers={"If-Match": None}), 404)
    ok = api.post(path, body, who=who, person="经办人")  # with the current ETag
    assert ok.status_code in (200, 201), ok.text


def test_if_match_star_and_the_last_writer_wins_setting(tmp_path):
    with running_api(tmp_path / "star", "sqlite") as api:
        app = api.apply()
        ok = api.post(f"/v1/applications/{app['id']}/actions/withdraw", {}, who="tj", person="统计局-张三",
                      headers={"If-Match": "*"})  # an explicit choice, per request
        assert ok.status_code == 200 and ok.json()["state"] == "withdrawn"
    with running_api(tmp_path / "lww", "sqlite", require_if_match=False) as api:
        app = api.apply()
        ok = api.post(f"/v1/applications/{app['id']}/actions/withdraw", {}, who="tj", person="统计局-张三",
                      headers={"If-Match": None})
        assert ok.status_code == 200


def test_a_decided_adjustment_rebuilds_the_runtime(api):
    request = {"township": TOWN, "change": "add", "list": "cooperative", "matter": "M-RKPC", "lead": D_TJ,
               "reason": "人口普查常态化，需乡镇配合", "departments": [D_TJ]}
    is_problem(api.post("/v1/applications", {"flow": "adjustment", "request": request}, who="tj", person="p"), 403)
    r = api.post("/v1/applications", {"flow": "adjustment", "request": request}, who="town", person="永安镇-李四")
    assert r.status_code == 201, r.text
    aid = r.json()["id"]
    assert api.get(f"/v1/applications/{aid}", who="tj").status_code == 200  # consulted department sees it
    api.opinion(aid, who="tj", person="统计局-张三")
    api.step(aid, "review", "bb", "编办-王五")
    api.step(aid, "decide", "county", "区政府-赵六", document="市中政字〔2025〕12号", effective="2025-04-01")
    assert api.decide(on="2025-03-31")["reasons"][0]["code"] == "pushdown-unlisted"
    ok = api.decide(on="2025-04-01")
    assert ok["outcome"] == "allow" and ok["authority"]["kind"] == "cooperative" and "+" in ok["revision"]
    assert [c["kind"] for c in api.get("/v1/changes").json()["items"]] == ["adjustment-decided"]


# --------------------------------------------------------------------------- policy reload
def test_reload_validates_first_and_never_replaces_a_good_policy(api):
    before = api.get("/v1/policy").json()
    is_problem(api.post("/v1/policy/reload", who="county"), 403, "role-not-allowed")
    same = api.post("/v1/policy/reload", who="operator").json()
    assert same["changed"] is False and same["revision"] == before["revision"]
    broken = api.root / "broken.yaml"
    broken.write_text("matters:\n  - {id: M-NEW, name: 新事项, domain: 综合保障\n", encoding="utf-8")
    body = is_problem(api.post("/v1/policy/reload", who="operator"), 422, "policy-invalid")
    assert body["errors"] and body["errors"][0]["file"].endswith("broken.yaml") and body["errors"][0]["line"]
    assert before["revision"] in body["detail"]
    broken.write_text("matters:\n  - {id: M-NEW, name: 新事项, domain: 综合保障, kind: nope}\n", encoding="utf-8")
    is_problem(api.post("/v1/policy/reload", who="operator"), 422, "policy-invalid")
    assert api.get("/v1/policy").json()["revision"] == before["revision"]  # still the good one
    assert api.decide(actor="D-ZJ", matter="M-WXZJ", target=TOWN)["revision"] == before["effective_revision"]
    broken.write_text("matters:\n  - {id: M-NEW, name: 新事项（测试）, domain: 综合保障}\n", encoding="utf-8")
    done = api.post("/v1/policy/reload", who="operator").json()
    assert done["changed"] is True and done["previous_revision"] == before["revision"]
    after = api.get("/v1/policy").json()
    assert after["revision"] == done["revision"] != before["revision"] and after["counts"]["matters"] == 11
    assert api.get("/v1/matters?q=新事项").json()["items"][0]["id"] == "M-NEW"
    feed = api.get("/v1/changes").json()["items"]
    assert feed[-1]["kind"] == "policy-reloaded" and feed[-1]["payload"]["revision"] == done["revision"]
    assert api.decide(actor="D-ZJ", matter="M-WXZJ", target=TOWN)["revision"] == done["revision"]


# --------------------------------------------------------------------------- audit chain
def test_audit_chain_verification_detects_a_tampered_row(api, request):
    app = api.apply()
    api.opinion(app["id"])
    api.step(app["id"], "review", "bb", "编办-王五")
    is_problem(api.get("/v1/audit/verify", who="bb"), 403, "role-not-allowed")
    ok = api.get("/v1/audit/verify", who="operator").json()
    assert ok["intact"] is True and ok["problems"] == []
    pg = api.url.startswith("postgresql")
    with pytest.raises(sa.exc.DBAPIError):  # append-only at the database
        with api.engine.begin() as c:
            c.exec_driver_sql("UPDATE transition_log SET person = 'someone else' WHERE seq = 2")
    with api.engine.begin() as c:  # someone with the rights to drop the guard
        c.exec_driver_sql("ALTER TABLE transition_log DISABLE TRIGGER transition_log_append_only" if pg
                          else "DROP TRIGGER transition_log_no_update")
        c.exec_driver_sql("UPDATE transition_log SET person = 'someone else' WHERE seq = 2")
    bad = api.get("/v1/audit/verify", who="operator").json()
    assert bad["intact"] is False and "2" in bad["problems"][0]


def test_tick_is_operator_only(api):
    app = api.apply()
    api.enter(app["id"])
    is_problem(api.post("/v1/workflow/tick", who="county"), 403)
    api.state.today = lambda: dt.date(2026, 1, 1)
    assert api.post("/v1/workflow/tick", who="operator").json()["exited"] == [app["id"]]
    assert api.decide(on="2026-01-01")["reasons"][0]["code"] == "lapse-after-exit"


# --------------------------------------------------------------------------- decision logs
def test_decision_log_is_queryable_and_exportable(api):
    single = api.decide(actor="D-ZJ", matter="M-WXZJ", target=TOWN, on="2025-03-01")
    denied = api.decide(actor="D-ZJ", matter="M-CJ", target=VILLAGE, on="2025-03-01", who="town")
    batch = api.post("/v1/decisions", {"questions": [{"actor": "D-ZJ", "matter": "M-WXZJ", "target": TOWN},
                                                     {"actor": "D-ZJ", "matter": "M-CJ", "target": VILLAGE}]}).json()
    api.post("/v1/exercise-checks", {"unit": TOWN, "matter": "M-WZJY"})
    api.post("/v1/decisions", {"actor": "D-NOPE", "matter": "M-WXZJ", "target": TOWN})  # 422: not a decision
    is_problem(api.get("/v1/decision-logs", who="bb"), 403)
    items = api.get("/v1/decision-logs", who="operator").json()["items"]
    assert [e["path"] for e in items] == ["decisions", "decisions", "decisions", "exercise-checks"]
    first = items[0]
    assert first["decision_id"] == single["decision_id"] and first["result"] == single
    assert first["input"] == {"actor": "D-ZJ", "matter": "M-WXZJ", "target": TOWN, "on": "2025-03-01"}
    assert first["caller"] == {"token_id": api.token_ids["reader"], "unit": "D-MZ", "role": "reader"}
    assert first["revision"] == single["revision"] and first["count"] == 1 and first["timestamp"]
    assert items[2]["count"] == 2 and items[2]["decision_id"] == batch["batch_id"]
    by_matter = api.get("/v1/decision-logs?matter=M-CJ", who="operator").json()["items"]
    assert [e["decision_id"] for e in by_matter] == [denied["decision_id"]]
    assert len(api.get("/v1/decision-logs?outcome=deny", who="operator").json()["items"]) == 2  # the single denial and the batch
    member = batch["results"][1]["decision_id"]
    assert api.get(f"/v1/decision-logs?decision_id={member}", who="operator").json()["items"][0]["count"] == 2
    page = api.get("/v1/decision-logs?limit=2", who="operator").json()
    assert len(page["items"]) == 2 and api.get(f"/v1/decision-logs?after={page['next_after']}", who="operator").json()["items"]
    assert api.get("/v1/decision-logs?since=2099-01-01T00:00:00Z", who="operator").json()["items"] == []
    r = api.get("/v1/decision-logs/export", who="operator")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(x) for x in r.text.splitlines()]
    assert len(lines) == 5  # one line per decision, the batch expanded
    assert [x["batch_id"] for x in lines].count(batch["batch_id"]) == 2
    assert lines[3]["input"] == {"actor": "D-ZJ", "matter": "M-CJ", "target": VILLAGE}
    assert lines[3]["result"]["decision_id"] == member == lines[3]["decision_id"]
    stats = api.get("/v1/decision-logs/stats", who="operator").json()
    assert stats["mode"] == "buffered" and stats["totals"]["written"] == 4 and stats["totals"]["dropped"] == 0


def test_buffered_log_bound_drops_and_counts_then_flushes_on_shutdown(tmp_path):
    from admission.store.db import make_engine

    q = {"actor": "D-ZJ", "matter": "M-WXZJ", "target": TOWN}
    with running_api(tmp_path, "sqlite", decision_log_buffer=3, decision_log_flush_seconds=3600) as api:
        url = api.url
        for _ in range(5):
            assert api.post("/v1/decisions", q, who="reader").status_code == 200  # answered even when dropped
        local = api.state.log.local_stats()
        assert (local["buffered"], local["dropped"], local["written"]) == (3, 2, 0)
        stats = api.get("/v1/decision-logs/stats", who="operator").json()
        assert stats["totals"]["dropped"] == 2 and stats["totals"]["buffered"] == 3
    # the flusher never ran (an hour's interval): the shutdown wrote the buffer
    with make_engine(url).begin() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM decision_log").scalar() == 3
        assert c.exec_driver_sql("SELECT sum(dropped), sum(written) FROM decision_log_worker").one() == (2, 3)


def test_sync_log_is_written_before_the_answer_or_there_is_no_answer(tmp_path):
    q = {"actor": "D-ZJ", "matter": "M-WXZJ", "target": TOWN}
    with running_api(tmp_path, "sqlite", decision_log="sync") as api:
        d = api.post("/v1/decisions", q, who="reader").json()
        with api.engine.begin() as c:
            assert c.exec_driver_sql("SELECT decision_id FROM decision_log").scalars().all() == [d["decision_id"]]

        def broken(entries):
            raise RuntimeError("disk full")

        api.state.log.write_now = broken
        is_problem(api.post("/v1/decisions", q, who="reader"), 503, "decision-log-unavailable")


def test_logging_off_and_sampling(tmp_path):
    q = {"actor": "D-ZJ", "matter": "M-WXZJ", "target": TOWN}
    with running_api(tmp_path, "sqlite", decision_log="off") as api:
        api.post("/v1/decisions", q, who="reader")
        assert api.get("/v1/decision-logs", who="operator").json()["items"] == []
    with running_api(tmp_path / "s", "sqlite", decision_log_sample=0.0) as api:
        for _ in range(3):
            api.post("/v1/decisions", q, who="reader")
        assert api.get("/v1/decision-logs", who="operator").json()["items"] == []
        assert api.get("/v1/decision-logs/stats", who="operator").json()["totals"]["sampled_out"] == 3


# --------------------------------------------------------------------------- the CLI
def test_token_and_export_commands(tmp_path):
    from typer.testing import CliRunner

    from admission.cli.main import app as cli

    runner = CliRunner()
    with running_api(tmp_path, "sqlite") as api:
        url = api.url
        made = runner.invoke(cli, ["token", "create", "--unit", TOWN, "--role", "township", "--db", url,
                                   "--name", "网格平台", "-p", str(api.root)])
        assert made.exit_code == 0, made.output
        token = made.stdout.strip().splitlines()[-1]
        assert token.startswith("adm_") and len(token) == 47
        r = api.client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert r["unit"] == TOWN and r["role"] == "township"
        listed = runner.invoke(cli, ["token", "list", "--db", url, "-f", "json"])
        rows = json.loads(listed.stdout)["tokens"]
        assert token not in listed.stdout and hashlib.sha256(token.encode()).hexdigest() not in listed.stdout
        assert {(x["unit"], x["role"]) for x in rows} >= {(TOWN, "township")}
        mine = [x["id"] for x in rows if x["name"] == "网格平台"][0]
        assert runner.invoke(cli, ["token", "revoke", mine, "--db", url]).exit_code == 0
        assert api.client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        assert runner.invoke(cli, ["token", "revoke", mine, "--db", url]).exit_code == 1
        bad = runner.invoke(cli, ["token", "create", "--unit", D_TJ, "--role", "township", "--db", url,
                                  "-p", str(api.root)])
        assert bad.exit_code == 1 and "不是乡镇" in bad.output
        assert runner.invoke(cli, ["token", "create", "--unit", D_TJ, "--role", "boss", "--db", url]).exit_code == 2
        api.post("/v1/decisions", {"questions": [{"actor": "D-ZJ", "matter": "M-WXZJ", "target": TOWN}] * 3})
        api.state.log.flush()
    out = tmp_path / "decisions.jsonl"
    done = runner.invoke(cli, ["decisions", "export", "--db", url, "-o", str(out)])
    assert done.exit_code == 0, done.output
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 3 and {x["result"]["outcome"] for x in lines} == {"allow"}
    assert all(x["caller"]["role"] == "admin" for x in lines)


def test_roles_in_the_kit_match_units():
    from admission.api.auth import ROLES

    assert {role for _, role in WHO.values()} <= set(ROLES)


def test_the_last_resort_is_a_problem_not_a_stack_trace(tmp_path, caplog):
    with running_api(tmp_path, "sqlite") as api:
        def boom(*a, **kw):
            raise RuntimeError("secret internals")

        api.state.decider.decide = boom
        body = is_problem(api.post("/v1/decisions", {"actor": "D-ZJ", "matter": "M-WXZJ", "target": TOWN}), 500,
                          "internal-error")
        assert "secret" not in json.dumps(body, ensure_ascii=False)
        assert "unhandled error" in caplog.text  # logged for the operators


def test_answers_name_paths_relative_to_the_policy_root_never_the_servers(api):
    """Findings, decisions, owners, the review page and the graphs name files as the policy root
    has them (`dispatch.yaml`, `sub/extra.yaml`), never where the tree lies on the server."""
    (api.root / "sub").mkdir()
    (api.root / "sub" / "dispatch.yaml").write_text(
        "assignments:\n  - {id: A-STREET, by: D-MZ, to: \"370402002\", matter: M-WXZJ, date: 2025-03-01}\n",
        encoding="utf-8")
    assert api.post("/v1/policy/reload", who="operator").json()["changed"] is True
    found = api.get("/v1/findings?on=2025-03-03").json()["items"]
    assert [f["file"] for f in found] == ["sub/dispatch.yaml"]
    answers = [
        api.get("/v1/findings?on=2025-03-03"),
        api.client.post("/v1/decisions", json={"actor": "D-ZJ", "matter": "M-WXZJ", "target": TOWN, "on": "2025-03-03"},
                        headers=api.h("reader")),
        api.get(f"/v1/owners?matter=M-WXZJ&unit={TOWN}"),
        api.get(f"/v1/units/{TOWN}/duties?on=2025-03-03"),
        api.get("/v1/policy"),
    ]
    api.client.cookies.set("admission_token", api.tokens["admin"])  # the workbench's session cookie
    answers.append(api.client.get("/review/findings?on=2025-03-03"))
    machine = str(api.root.resolve())
    for r in answers:
        assert r.status_code == 200, (r.request.url, r.text[:300])
        body = r.text
        assert machine not in body and str(api.root.parent) not in body, r.request.url
    assert "sub/dispatch.yaml" in answers[-1].text  # the review page names the finding's file as the root has it
    decision = answers[1].json()
    assert decision["authority"]["source"] == "county.yaml:45:9"
    assert [r["source"] for r in decision["reasons"]] == ["county.yaml:45:9"]
