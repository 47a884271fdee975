"""The workflow under stress: concurrent conflicting steps on PostgreSQL, a process killed in the
middle of a step, thousands of applications in one process, the audit chain and its tampering,
the dynamic-adjustment flow reaching the checks and the diff, and flow revisions."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from admission.evaluate.checks import run_checks
from admission.evaluate.decide import Decider
from admission.explain.diff import diff_policies
from admission.flow.engine import flow_engine
from admission.flow.runtime import open_runtime
from admission.flow.service import Conflict, WorkflowError
from admission.store.db import make_engine

from flowkit import (
    COUNTY, D0, D_BB, D_TJ, ROOT, TOWN, admission_request, build_policy_dir, load, make_db_url,
)


def _approving(rt):
    app = rt.workflow.apply(flow_id="admission", unit=D_TJ, person="统计局-张三", request=admission_request(), on=D0)
    rt.workflow.give_opinion(app_id=app.id, unit=TOWN, person="永安镇-李四", stance="agree", text=None, on=D0)
    return rt.workflow.step(app_id=app.id, action="review", unit=D_BB, person="编办-王五", on=D0)


@pytest.mark.parametrize("db", ["postgresql", "sqlite"])
def test_two_conflicting_steps_at_once_exactly_one_succeeds(tmp_path, db):
    root = build_policy_dir(tmp_path)
    url = make_db_url(db, tmp_path)
    setup = open_runtime(load(root), url)
    app = _approving(setup)
    barrier = threading.Barrier(2)
    outcomes: list = []

    def worker(person: str, action: str, **kw):
        try:
            rt = open_runtime(load(root), url)  # its own engine and connection pool
        except Exception as exc:  # surfaced through `outcomes`
            outcomes.append((repr(exc), action))
            barrier.abort()
            return
        barrier.wait(timeout=60)
        try:
            rt.workflow.step(app_id=app.id, action=action, unit=COUNTY, person=person, on=D0, **kw)
            outcomes.append(("ok", action))
        except WorkflowError as exc:
            outcomes.append((type(exc).__name__, action))

    threads = [threading.Thread(target=worker, args=("区政府-赵六", "approve"), kwargs={"document": "d", "meeting": "m"},
                                daemon=True),
               threading.Thread(target=worker, args=("区政府-孙八", "reject"), kwargs={"reason": "不同意"}, daemon=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(o[0] for o in outcomes) == ["Conflict", "ok"], outcomes
    final = setup.workflow.get(app.id)
    winner = next(a for o, a in outcomes if o == "ok")
    assert final.state == {"approve": "approved", "reject": "rejected"}[winner]
    assert [e.action for e in setup.workflow.history(app.id)][-1] == winner
    assert setup.workflow.verify_chain() == []


CRASH_SCRIPT = """
import datetime as dt, sys
sys.path.insert(0, {tests!r})
from admission.loader import LoadOptions, load_policy
from admission.flow.runtime import open_runtime
rt = open_runtime(load_policy({root!r}, LoadOptions(workers=1)), {url!r})
rt.workflow.step(app_id={app!r}, action="approve", unit="370402", person="区政府-赵六", on=dt.date(2025, 3, 3),
                 document="d", meeting="m")
print("survived")
"""


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
@pytest.mark.parametrize("point", ["before-write", "after-app", "after-log"])
def test_a_process_killed_mid_step_leaves_the_old_state(tmp_path, db, point):
    root = build_policy_dir(tmp_path)
    url = make_db_url(db, tmp_path)
    rt = open_runtime(load(root), url)
    app = _approving(rt)
    before = rt.workflow.get(app.id)
    log_before = len(rt.workflow.history(app.id))
    script = CRASH_SCRIPT.format(tests=str(ROOT / "tests"), root=str(root), url=url, app=app.id)
    env = {**os.environ, "ADMISSION_CRASH_AT": point}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 137, proc.stderr
    assert "survived" not in proc.stdout
    after = rt.workflow.get(app.id)
    assert (after.state, after.version) == (before.state, before.version)
    assert len(rt.workflow.history(app.id)) == log_before
    assert rt.workflow.verify_chain() == []
    # and the step can still be taken afterwards
    done = rt.workflow.step(app_id=app.id, action="approve", unit=COUNTY, person="区政府-赵六", on=D0,
                            document="d", meeting="m")
    assert done.state == "approved"


def test_on_postgresql_a_step_commits_with_its_writes(tmp_path):
    """The COMMIT goes out in the writes' round trip: when the transaction block commits, the
    connection is idle already, so that commit sends nothing."""
    rt = open_runtime(load(build_policy_dir(tmp_path)), make_db_url("postgresql", tmp_path))
    app = _approving(rt)
    statuses = []
    engine = rt.workflow.db
    listener = lambda conn: statuses.append(conn.connection.driver_connection.pgconn.transaction_status)  # noqa: E731
    sa.event.listen(engine, "commit", listener)
    try:
        rt.workflow.step(app_id=app.id, action="approve", unit=COUNTY, person="区政府-赵六", on=D0,
                         document="d", meeting="m")
    finally:
        sa.event.remove(engine, "commit", listener)
    from psycopg.pq import TransactionStatus
    assert statuses == [TransactionStatus.IDLE]


@pytest.mark.parametrize("db", ["postgresql", "sqlite"])
def test_a_write_the_server_refuses_commits_nothing(tmp_path, db, monkeypatch):
    """A log entry the store refuses (NOT NULL): on PostgreSQL the COMMIT sent after it in the
    same round trip is skipped, and the step leaves the application and its chain as they were."""
    from admission.flow import steps as steps_module

    rt = open_runtime(load(build_policy_dir(tmp_path)), make_db_url(db, tmp_path))
    app = _approving(rt)
    before, log_before = rt.workflow.get(app.id), len(rt.workflow.history(app.id))
    real_entry = steps_module.StepsMixin._entry
    monkeypatch.setattr(steps_module.StepsMixin, "_entry",
                        lambda self, *a: {**real_entry(self, *a), "to_state": None})
    import sqlite3

    import psycopg

    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):  # from the driver itself
        rt.workflow.step(app_id=app.id, action="approve", unit=COUNTY, person="区政府-赵六", on=D0,
                         document="d", meeting="m")
    monkeypatch.undo()
    after = rt.workflow.get(app.id)
    assert (after.state, after.version) == (before.state, before.version)
    assert len(rt.workflow.history(app.id)) == log_before
    assert rt.workflow.verify_chain() == []


def test_more_than_two_thousand_applications_in_one_process(tmp_path):
    root = build_policy_dir(tmp_path)
    rt = open_runtime(load(root), make_db_url("sqlite", tmp_path))
    n = 2100
    ids = []
    for i in range(n):
        app = rt.workflow.apply(flow_id="admission", unit=D_TJ, person=f"p{i % 7}", request=admission_request(),
                                on=D0)
        ids.append(app.id)
    for app_id in ids[::3]:
        rt.workflow.step(app_id=app_id, action="withdraw", unit=D_TJ, person="p0", on=D0)
    rows, total = rt.workflow.list(state="withdrawn", limit=1)
    assert total == len(ids[::3])
    assert rt.workflow.list(state="consulting", limit=1)[1] == n - total
    assert rt.workflow.verify_chain() == []
    # the engine keeps no sessions between calls (its hard limit is 1,024 live sessions per ruleset)
    host = flow_engine()._host
    for name in list(host._ruleset_directory):
        with pytest.raises(Exception):
            host.get_state(name, "g1")


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_audit_chain_detects_tampering_and_postgres_refuses_updates(tmp_path, db):
    root = build_policy_dir(tmp_path)
    url = make_db_url(db, tmp_path)
    rt = open_runtime(load(root), url)
    _approving(rt)
    assert rt.workflow.verify_chain() == []
    engine = make_engine(url)
    with pytest.raises(sa.exc.DBAPIError):
        with engine.begin() as c:
            c.exec_driver_sql("UPDATE transition_log SET person = 'someone else' WHERE seq = 2")
    with pytest.raises(sa.exc.DBAPIError):
        with engine.begin() as c:
            c.exec_driver_sql("DELETE FROM transition_log WHERE seq = 1")
    # an attacker with the rights to drop the guard still cannot hide the change
    with engine.begin() as c:
        if db == "postgresql":
            c.exec_driver_sql("ALTER TABLE transition_log DISABLE TRIGGER transition_log_append_only")
        else:
            c.exec_driver_sql("DROP TRIGGER transition_log_no_update")
        c.exec_driver_sql("UPDATE transition_log SET person = 'someone else' WHERE seq = 2")
    problems = rt.workflow.verify_chain()
    assert problems and "2" in problems[0]


def test_verify_cli_reports_a_broken_chain(tmp_path):
    from typer.testing import CliRunner

    from admission.cli.main import app as cli

    root = build_policy_dir(tmp_path)
    url = make_db_url("sqlite", tmp_path)
    rt = open_runtime(load(root), url)
    _approving(rt)
    ok = CliRunner().invoke(cli, ["flow", "verify", "-p", str(root), "--db", url])
    assert ok.exit_code == 0 and "完整" in ok.output
    with make_engine(url).begin() as c:
        c.exec_driver_sql("DROP TRIGGER transition_log_no_update")
        c.exec_driver_sql("UPDATE transition_log SET reason = 'x' WHERE seq = 1")
    bad = CliRunner().invoke(cli, ["flow", "verify", "-p", str(root), "--db", url])
    assert bad.exit_code == 1


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_dynamic_adjustment_reaches_decide_checks_and_diff(tmp_path, db):
    root = build_policy_dir(tmp_path)
    url = make_db_url(db, tmp_path)
    policy = load(root)
    rt = open_runtime(policy, url)
    request = {"township": TOWN, "change": "add", "list": "cooperative", "matter": "M-RKPC", "lead": D_TJ,
               "reason": "人口普查常态化，需乡镇配合", "departments": [D_TJ]}
    with pytest.raises(WorkflowError):  # only the township itself asks
        rt.workflow.apply(flow_id="adjustment", unit=D_TJ, person="p", request=request, on=D0)
    app = rt.workflow.apply(flow_id="adjustment", unit=TOWN, person="永安镇-李四", request=request, on=D0)
    assert app.state == "conferring"
    with pytest.raises(WorkflowError):
        rt.workflow.step(app_id=app.id, action="review", unit=D_BB, person="编办-王五", on=D0)
    rt.workflow.give_opinion(app_id=app.id, unit=D_TJ, person="统计局-张三", stance="agree", text=None, on=D0)
    rt.workflow.step(app_id=app.id, action="review", unit=D_BB, person="编办-王五", on=D0)
    app = rt.workflow.step(app_id=app.id, action="decide", unit=COUNTY, person="区政府-赵六", on=D0,
                           document="市中政字〔2025〕12号", effective=dt.date(2025, 4, 1))
    assert app.state == "decided"
    after = open_runtime(policy, url)  # reopening applies decided adjustments
    decider = Decider(after.index)
    assert decider.decide(D_TJ, "M-RKPC", TOWN, dt.date(2025, 3, 31)).code == "pushdown-unlisted"
    ok = decider.decide(D_TJ, "M-RKPC", TOWN, dt.date(2025, 4, 1))
    assert ok.allowed and ok.authority.kind == "cooperative"
    d = diff_policies(policy, after.policy, dt.date(2025, 4, 1))
    (unit,) = [u for u in d.units if u.gained]
    assert unit.unit == TOWN and unit.gained == [("M-RKPC", frozenset({"cooperative"}))]
    assert not [f for f in run_checks(after.policy, dt.date(2025, 4, 1), after.index) if f.severity.value == "error"]
    # a decided removal of a template entry: the township no longer has it from the effective day
    rm = {"township": TOWN, "change": "remove", "list": "basic", "matter": "M-DJ", "reason": "并入街道党工委统一开展",
          "departments": [D_TJ]}
    app2 = after.workflow.apply(flow_id="adjustment", unit=TOWN, person="永安镇-李四", request=rm, on=D0)
    after.workflow.give_opinion(app_id=app2.id, unit=D_TJ, person="统计局-张三", stance="agree", text=None, on=D0)
    after.workflow.step(app_id=app2.id, action="review", unit=D_BB, person="编办-王五", on=D0)
    after.workflow.step(app_id=app2.id, action="decide", unit=COUNTY, person="区政府-赵六", on=D0, document="d",
                        effective=dt.date(2025, 5, 1))
    third = open_runtime(policy, url)
    roles = Decider(third.index)
    assert roles.decide(COUNTY, "M-DJ", TOWN, dt.date(2025, 4, 30)).allowed
    assert roles.decide(COUNTY, "M-DJ", TOWN, dt.date(2025, 5, 1)).code == "pushdown-unlisted"
    findings = {(f.code, f.subject) for f in run_checks(third.policy, dt.date(2025, 5, 1), third.index)}
    assert ("missing-owner", f"{TOWN}/M-DJ") in findings  # the check sees the removal too


def test_a_flow_revision_may_not_remove_a_state_holding_applications(tmp_path):
    root = build_policy_dir(tmp_path)
    url = make_db_url("sqlite", tmp_path)
    rt = open_runtime(load(root), url)
    app = _approving(rt)  # now in "approving"
    flow_file = root / "flows" / "admission.yaml"
    text = flow_file.read_text(encoding="utf-8")
    # rename the state: the new revision no longer has "approving"
    flow_file.write_text(text.replace("approving", "awaiting_approval"), encoding="utf-8")
    with pytest.raises(Conflict) as err:
        open_runtime(load(root), url)
    assert "approving" in err.value.message
    # a compatible revision (a new guard message) is accepted, and the pinned application goes on
    flow_file.write_text(text.replace("短期准入期限超过上限", "短期准入期限超过上限（12个月）"), encoding="utf-8")
    rt2 = open_runtime(load(root), url)
    done = rt2.workflow.step(app_id=app.id, action="approve", unit=COUNTY, person="区政府-赵六", on=D0,
                             document="d", meeting="m")
    assert done.state == "approved" and done.flow_revision == app.flow_revision
