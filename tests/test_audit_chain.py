"""The audit chain per application (migration 0004): steps on different applications do not wait
for each other, every removal shows in `verify_chain`, and a store written under the old single
chain upgrades and still verifies."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from admission.flow import steps as steps_module
from admission.flow.runtime import open_runtime
from admission.flow.statements import GENESIS, entry_hash
from admission.store.db import make_engine

from flowkit import COUNTY, D0, D_BB, D_TJ, TOWN, admission_request, build_policy_dir, load, make_db_url


def _approving(wf, person: str = "统计局-张三"):
    app = wf.apply(flow_id="admission", unit=D_TJ, person=person, request=admission_request(), on=D0)
    wf.give_opinion(app_id=app.id, unit=TOWN, person="永安镇-李四", stance="agree", text=None, on=D0)
    return wf.step(app_id=app.id, action="review", unit=D_BB, person="编办-王五", on=D0)


def _approve(wf, app_id: str) -> None:
    wf.step(app_id=app_id, action="approve", unit=COUNTY, person="区政府-赵六", on=D0, document="d", meeting="m")


@pytest.mark.parametrize("db", ["postgresql"])
def test_a_step_in_flight_does_not_hold_up_a_step_on_another_application(tmp_path, db, monkeypatch):
    """Under the single chain every writer waited for one lock until its commit; now a step on B
    finishes while a step on A is stopped just before its commit (A's row stays locked)."""
    root = build_policy_dir(tmp_path)
    url = make_db_url(db, tmp_path)
    wf = open_runtime(load(root), url).workflow
    a, b = _approving(wf, "统计局-甲"), _approving(wf, "统计局-乙")
    holding, release = threading.Event(), threading.Event()

    def crash_point(name: str) -> None:  # stops the step on A, and only that one
        if name == "after-log" and threading.current_thread() is first:
            holding.set()
            release.wait(30)

    monkeypatch.setattr(steps_module, "_crash_point", crash_point)
    first = threading.Thread(target=_approve, args=(wf, a.id), daemon=True)
    first.start()
    assert holding.wait(30)
    other = open_runtime(load(root), url).workflow  # its own pool
    done = threading.Thread(target=_approve, args=(other, b.id), daemon=True)
    done.start()
    done.join(10)
    still_waiting = done.is_alive()
    release.set()
    first.join(30)
    done.join(30)
    assert not still_waiting, "a step on B waited for the step in flight on A"
    assert {wf.get(a.id).state, wf.get(b.id).state} == {"approved"}
    assert wf.verify_chain() == []


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_concurrent_clients_leave_every_chain_linked(tmp_path, db):
    root = build_policy_dir(tmp_path)
    url = make_db_url(db, tmp_path)
    wf = open_runtime(load(root), url).workflow
    errors: list = []

    def client(c: int) -> None:
        try:
            for _ in range(3):
                _approve(wf, _approving(wf, f"统计局-{c}").id)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(exc))

    threads = [threading.Thread(target=client, args=(c,)) for c in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert wf.verify_chain() == []
    with make_engine(url).begin() as c:
        rows = c.exec_driver_sql("SELECT application_id, prev_hash, hash, action FROM transition_log ORDER BY seq").all()
        heads = dict(c.exec_driver_sql("SELECT id, log_head FROM application").all())
    by_app: dict = {}
    for app_id, prev, h, action in rows:
        by_app.setdefault(app_id, []).append((prev, h, action))
    assert len(by_app) == 18
    ids = sorted(by_app)
    for n, app_id in enumerate(ids):
        chain = by_app[app_id]
        assert chain[0][2] == "apply"
        assert chain[0][0] == (GENESIS if n == 0 else by_app[ids[n - 1]][0][1])  # numbered one after another
        assert all(later[0] == earlier[1] for earlier, later in zip(chain, chain[1:]))
        assert heads[app_id] == chain[-1][1]


def _unguarded(url: str):
    """The store with its append-only guard dropped (what an attacker with the rights could do)."""
    engine = make_engine(url)
    with engine.begin() as c:
        c.exec_driver_sql("DROP TRIGGER IF EXISTS transition_log_no_update")
        c.exec_driver_sql("DROP TRIGGER IF EXISTS transition_log_no_delete")
    return engine


def test_removing_entries_or_applications_shows(tmp_path):
    root = build_policy_dir(tmp_path)
    url = make_db_url("sqlite", tmp_path)
    wf = open_runtime(load(root), url).workflow
    apps = [_approving(wf, f"统计局-{i}").id for i in range(3)]
    assert wf.verify_chain() == []
    engine = _unguarded(url)
    with engine.begin() as c:  # the newest entry of the first application: its history cut short
        c.exec_driver_sql(f"DELETE FROM transition_log WHERE seq = (SELECT max(seq) FROM transition_log "
                          f"WHERE application_id = '{apps[0]}')")
    problems = wf.verify_chain()
    assert any(apps[0] in p and "链尾" in p for p in problems), problems
    with engine.begin() as c:  # the second application entirely: the third's first entry points at nothing
        c.exec_driver_sql(f"DELETE FROM transition_log WHERE application_id = '{apps[1]}'")
        c.exec_driver_sql(f"DELETE FROM opinion WHERE application_id = '{apps[1]}'")
        c.exec_driver_sql(f"DELETE FROM application WHERE id = '{apps[1]}'")
    problems = wf.verify_chain()
    assert any(apps[1] in p and "首条" in p for p in problems), problems
    with engine.begin() as c:  # the newest application: the year's counter still names it
        c.exec_driver_sql(f"DELETE FROM transition_log WHERE application_id = '{apps[2]}'")
        c.exec_driver_sql(f"DELETE FROM opinion WHERE application_id = '{apps[2]}'")
        c.exec_driver_sql(f"DELETE FROM application WHERE id = '{apps[2]}'")
    problems = wf.verify_chain()
    assert any(apps[2] in p and "计数器" in p for p in problems), problems


def _alembic(url: str, target: str) -> None:
    from alembic import command
    from alembic.config import Config

    import admission.store.db as db

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(db.__file__).resolve().parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)
    engine.dispose()


def _legacy_store(url: str) -> list[str]:
    """A store at revision 0002 holding two applications whose entries form the old single chain
    (each entry links to the one written before it, whichever application it belongs to)."""
    _alembic(url, "0002")
    engine = sa.create_engine(url)
    ids = ["WF-2025-000001", "WF-2025-000002"]
    prev = GENESIS
    now = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.timezone.utc)
    steps = [(ids[0], "apply", None, "consulting"), (ids[1], "apply", None, "consulting"),
             (ids[0], "opinion", "consulting", "consulting")]
    with engine.begin() as c:
        for app_id in ids:
            c.execute(sa.text(
                "INSERT INTO application (id, flow_id, flow_revision, kind, state, phase, applicant_unit, "
                "applicant_person, matter, targets, payload, version, state_since, overdue, created_at, updated_at) "
                "VALUES (:id, 'admission', 'legacy', 'admission', 'consulting', 'review', :unit, '统计局-张三', "
                "'M-RKPC', '[]', '{}', 2, :on, 0, :now, :now)"), {"id": app_id, "unit": D_TJ, "on": D0, "now": now})
        for seq, (app_id, action, before, to) in enumerate(steps, 1):
            row = {"application_id": app_id, "action": action, "from_state": before, "to_state": to, "unit": D_TJ,
                   "person": "统计局-张三", "role": "applicant", "on_date": D0, "guards": [], "reason": None,
                   "documents": {}, "payload": {}, "prev_hash": prev}
            row["hash"] = prev = entry_hash(SimpleNamespace(**row))
            c.execute(sa.text(
                "INSERT INTO transition_log (seq, application_id, action, from_state, to_state, unit, person, role, "
                "at, on_date, guards, reason, documents, payload, prev_hash, hash) VALUES (:seq, :application_id, "
                ":action, :from_state, :to_state, :unit, :person, :role, :at, :on_date, '[]', NULL, '{}', '{}', "
                ":prev_hash, :hash)"), {**row, "seq": seq, "at": now})
        c.execute(sa.text("INSERT INTO counter (name, value) VALUES ('app-2025', 2)"))
    engine.dispose()
    return ids


def test_a_store_written_under_the_single_chain_upgrades_and_verifies(tmp_path):
    root = build_policy_dir(tmp_path)
    url = make_db_url("sqlite", tmp_path)
    old = _legacy_store(url)
    wf = open_runtime(load(root), url).workflow  # migrates to the newest revision
    assert wf.verify_chain() == []
    new = wf.apply(flow_id="admission", unit=D_TJ, person="统计局-李四", request=admission_request(), on=D0)
    assert new.id == "WF-2025-000003"
    wf.give_opinion(app_id=new.id, unit=TOWN, person="永安镇-李四", stance="agree", text=None, on=D0)
    assert wf.verify_chain() == []
    with make_engine(url).begin() as c:
        first_new = c.exec_driver_sql(f"SELECT prev_hash FROM transition_log WHERE application_id = '{new.id}' "
                                      "ORDER BY seq LIMIT 1").scalar()
        first_old = c.exec_driver_sql(f"SELECT hash FROM transition_log WHERE application_id = '{old[1]}' "
                                      "ORDER BY seq LIMIT 1").scalar()
    assert first_new == first_old  # the new chain goes on from the last application numbered before it
    engine = _unguarded(url)
    with engine.begin() as c:  # an entry written before the upgrade, edited
        c.exec_driver_sql("UPDATE transition_log SET person = '别人' WHERE seq = 2")
    problems = wf.verify_chain()
    assert problems and "第 2 条" in problems[0]


def test_one_applications_chain_is_verified_on_its_own(tmp_path):
    """What a dossier shows: the application's own entries, its link to the one numbered before
    it, and its head; another application's damage is not its problem."""
    root = build_policy_dir(tmp_path)
    url = make_db_url("sqlite", tmp_path)
    wf = open_runtime(load(root), url).workflow
    first, second = (_approving(wf, f"统计局-{i}").id for i in range(2))
    assert wf.verify_application(first) == [] and wf.verify_application(second) == []
    engine = _unguarded(url)
    with engine.begin() as c:
        c.exec_driver_sql(f"UPDATE transition_log SET reason = '改过' WHERE application_id = '{first}' "
                          "AND action = 'opinion'")
    assert any("篡改" in p for p in wf.verify_application(first))
    assert wf.verify_application(second) == []
    with engine.begin() as c:  # the second's newest entry removed: its head no longer matches
        c.exec_driver_sql(f"DELETE FROM transition_log WHERE seq = (SELECT max(seq) FROM transition_log "
                          f"WHERE application_id = '{second}')")
    assert any("链尾" in p for p in wf.verify_application(second))


def test_an_idle_pooled_connection_is_tested_and_a_dead_one_replaced(tmp_path, monkeypatch):
    """Connections in use are not pinged at every checkout (it cost a round trip a step); one idle
    past the threshold is, and a connection the server dropped meanwhile is replaced unseen."""
    import admission.store.db as db

    url = make_db_url("postgresql", tmp_path)
    engine = make_engine(url)
    pings = []
    real = db._ping
    monkeypatch.setattr(db, "_ping", lambda c: (pings.append(1), real(c)))
    for _ in range(3):
        with engine.begin() as c:
            pid = c.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    assert pings == []  # used moments ago
    with sa.create_engine(make_db_url("postgresql", tmp_path)).begin() as other:
        other.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)
    with engine.begin() as c:
        assert c.exec_driver_sql("SELECT pg_backend_pid()").scalar() != pid
    assert pings  # the idle one was tested, found dead and replaced
    engine.dispose()
