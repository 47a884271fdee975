"""When the store fails under a request, the caller gets a problem (503 with Retry-After when the
store is busy or down, 409 when its constraints refuse a write, 422 when it cannot hold a value;
the request models refuse NUL and control characters before that), never a 500, and the refused step changed nothing.  The failures are real: triggers and locks on
the real SQLite and PostgreSQL stores, raised by the driver itself on the write path."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
import sqlalchemy as sa

from admission.store.failures import failure_kind
from test_api_kit import is_problem, running_api

PG = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(params=["sqlite", "postgresql"])
def api(request, tmp_path):
    with running_api(tmp_path, request.param) as a:
        yield a


def _fail_log_inserts(api, how: str) -> None:
    """Make every insert into the audit log fail, the way `how` says."""
    pg = api.url.startswith("postgresql")
    with api.engine.begin() as c:
        if pg:
            state = {"refused": "23514", "busy": "40001", "unavailable": "57P01"}[how]
            c.exec_driver_sql(f"""CREATE OR REPLACE FUNCTION test_fail_log() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN RAISE EXCEPTION '测试：存储拒绝' USING ERRCODE = '{state}'; END $$""")
            c.exec_driver_sql("CREATE TRIGGER test_fail_log BEFORE INSERT ON transition_log "
                              "FOR EACH ROW EXECUTE FUNCTION test_fail_log()")
        else:
            body = {"refused": "SELECT RAISE(ABORT, '测试：存储拒绝')", "unavailable": "SELECT no_such_function()"}[how]
            c.exec_driver_sql(f"CREATE TRIGGER test_fail_log BEFORE INSERT ON transition_log BEGIN {body}; END")


def _heal(api) -> None:
    with api.engine.begin() as c:
        c.exec_driver_sql("DROP TRIGGER test_fail_log" + (" ON transition_log" if api.url.startswith("postgresql")
                                                          else ""))


def _review(api, app_id: str, headers=None):
    return api.post(f"/v1/applications/{app_id}/actions/review", {}, who="bb", person="编办-王五", headers=headers)


def _read(api, app_id: str) -> dict:
    return api.get(f"/v1/applications/{app_id}", who="bb").json()


@pytest.mark.parametrize("how,status,code", [("refused", 409, "store-refused"), ("unavailable", 503, "store-unavailable"),
                                             ("busy", 503, "store-busy")])
def test_a_step_the_store_fails_is_a_problem_and_changes_nothing(api, how, status, code, caplog):
    if how == "busy" and not api.url.startswith("postgresql"):
        pytest.skip("SQLite's busy is the lock test below")
    app = api.apply()
    api.opinion(app["id"])
    before = _read(api, app["id"])
    history = api.get(f"/v1/applications/{app['id']}/history", who="bb").json()
    _fail_log_inserts(api, how)
    body = is_problem(r := _review(api, app["id"], {"Idempotency-Key": "k-1"}), status, code)
    assert "transition_log" not in r.text and "INSERT" not in r.text and "测试" not in r.text  # no internals
    assert body["instance"] == f"/v1/applications/{app['id']}/actions/review"
    assert (r.headers.get("retry-after") is not None) == (status == 503)
    assert "store failure" in caplog.text  # the operators see it
    after = _read(api, app["id"])
    assert (after["state"], after["version"]) == (before["state"], before["version"])
    assert api.get(f"/v1/applications/{app['id']}/history", who="bb").json() == history
    _heal(api)
    # the same key again: the failed attempt was not kept, so the step is taken now
    r = _review(api, app["id"], {"Idempotency-Key": "k-1"})
    assert r.status_code == 200, r.text
    assert r.headers.get("idempotent-replayed") is None and r.json()["state"] != before["state"]
    assert api.get("/v1/audit/verify", who="operator").json()["intact"] is True


def test_the_openapi_document_names_the_store_problems(tmp_path):
    with running_api(tmp_path, "sqlite") as api:
        doc = api.get("/v1/openapi.json").json()
        ops = [(m, op) for ops in doc["paths"].values() for m, op in ops.items()]
        assert ops and all("503" in op["responses"] for _, op in ops)
        assert all("409" in op["responses"] for m, op in ops if m == "post")


# --------------------------------------------------------------------------- kinds, from real failures
def test_sqlite_busy_and_refused_are_told_apart(tmp_path):
    path = tmp_path / "s.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER NOT NULL)")
    holder.execute("BEGIN EXCLUSIVE")
    other = sqlite3.connect(path, timeout=0)
    with pytest.raises(sqlite3.OperationalError) as busy:
        other.execute("INSERT INTO t VALUES (1)")
    assert failure_kind(busy.value) == "busy"
    holder.execute("ROLLBACK")
    with pytest.raises(sqlite3.IntegrityError) as refused:
        other.execute("INSERT INTO t VALUES (NULL)")
    assert failure_kind(refused.value) == "refused"
    other.close()
    holder.close()
    engine = sa.create_engine(f"sqlite:///{path}")
    with pytest.raises(sa.exc.DBAPIError) as wrapped, engine.begin() as c:  # the same, through SQLAlchemy
        c.exec_driver_sql("INSERT INTO t VALUES (NULL)")
    assert failure_kind(wrapped.value) == "refused"
    with pytest.raises(sa.exc.DBAPIError) as missing, engine.begin() as c:
        c.exec_driver_sql("SELECT * FROM not_there")
    assert failure_kind(missing.value) == "unavailable"
    engine.dispose()
    assert failure_kind(ValueError("ours")) is None


def test_postgresql_kinds(tmp_path):
    a, b = psycopg.connect(PG), psycopg.connect(PG)
    try:
        a.execute("CREATE TEMP TABLE IF NOT EXISTS x (k int)")  # a's own table: b cannot see it
        with pytest.raises(psycopg.Error) as missing:
            b.execute("SELECT * FROM pg_temp.not_there")
        assert failure_kind(missing.value) == "unavailable"
        b.rollback()
        a.execute("SELECT pg_advisory_xact_lock(4242)")  # held until a's transaction ends
        b.execute("SET lock_timeout = '50ms'")
        with pytest.raises(psycopg.Error) as busy:
            b.execute("SELECT pg_advisory_xact_lock(4242)")
        assert failure_kind(busy.value) == "busy"
        b.rollback()
        with pytest.raises(psycopg.Error) as bad:
            b.execute("SELECT %s::text", ("a\x00b",))
        assert failure_kind(bad.value) == "bad-value"
        b.rollback()
        with pytest.raises(psycopg.Error) as refused:
            b.execute("CREATE TEMP TABLE y (k int NOT NULL)")
            b.execute("INSERT INTO y VALUES (NULL)")
        assert failure_kind(refused.value) == "refused"
    finally:
        a.close()
        b.close()
    with pytest.raises(psycopg.OperationalError) as down:
        psycopg.connect("postgresql://postgres@127.0.0.1:1/test", connect_timeout=2)
    assert failure_kind(down.value) == "unavailable"
    with pytest.raises(sa.exc.OperationalError) as wrapped:
        sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:1/test").connect()
    assert failure_kind(wrapped.value) == "unavailable"


def test_the_decision_fast_path_answers_a_store_failure_with_a_problem(api):
    """Decisions are answered outside FastAPI's stack; a token that must be read from a store that
    has lost its table is a 503 there too, not the fast path's last resort."""
    assert api.post("/v1/decisions", {"actor": "D-ZJ", "matter": "M-WXZJ", "target": "370402101"},
                    who="reader").status_code in (200, 422)
    with api.engine.begin() as c:
        c.exec_driver_sql("ALTER TABLE api_token RENAME TO api_token_away")
    try:
        r = api.post("/v1/decisions", {"actor": "D-ZJ", "matter": "M-WXZJ", "target": "370402101"}, who="reader")
        body = is_problem(r, 503, "store-unavailable")
        assert r.headers["retry-after"] == "5" and "api_token" not in r.text
        assert body["instance"] == "/v1/decisions"
    finally:
        with api.engine.begin() as c:
            c.exec_driver_sql("ALTER TABLE api_token_away RENAME TO api_token")
