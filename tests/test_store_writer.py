"""SQLite's writes take turns on one held connection (`store.db.SqliteWriter`): no pool
checkout per write, a failed connection replaced, all of many threads' writes committed, and a
workflow service's writer given back when the service goes."""

from __future__ import annotations

import gc
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from admission.flow.runtime import open_runtime
from admission.store.db import SqliteWriter, make_engine

from flowkit import D0, D_TJ, admission_request, build_policy_dir, load


def _engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/w.db")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (n INTEGER)")
    return engine


def _checkouts(engine) -> list:
    seen = []
    event.listen(engine, "checkout", lambda *_: seen.append(1))
    return seen


def test_writes_reuse_one_connection_without_a_pool_checkout(tmp_path):
    engine = _engine(tmp_path)
    writer = SqliteWriter(engine)
    seen = _checkouts(engine)
    for n in range(10):
        with writer.begin() as conn:
            conn.exec_driver_sql(f"INSERT INTO t VALUES ({n})")
    assert len(seen) == 1  # the first write's; the other nine ran on the held connection
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 10


def test_a_failed_write_rolls_back_and_the_next_write_gets_a_new_connection(tmp_path):
    engine = _engine(tmp_path)
    writer = SqliteWriter(engine)
    seen = _checkouts(engine)
    with pytest.raises(sa.exc.OperationalError):
        with writer.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            conn.exec_driver_sql("INSERT INTO missing VALUES (1)")
    with writer.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (2)")
    assert len(seen) == 2
    with engine.connect() as conn:
        assert [r[0] for r in conn.exec_driver_sql("SELECT n FROM t")] == [2]


def test_writes_from_many_threads_all_commit(tmp_path):
    engine = _engine(tmp_path)
    writer = SqliteWriter(engine)
    errors = []

    def work(k: int) -> None:
        try:
            for n in range(50):
                with writer.begin() as conn:
                    conn.exec_driver_sql(f"INSERT INTO t VALUES ({k * 1000 + n})")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(DISTINCT n) FROM t").scalar() == 400


def test_a_workflow_services_writer_is_given_back_when_the_service_goes(tmp_path):
    rt = open_runtime(load(build_policy_dir(tmp_path)), f"sqlite:///{tmp_path}/s.db")
    rt.workflow.apply(flow_id="admission", unit=D_TJ, person="统计局-张三", request=admission_request(), on=D0)
    pool = rt.workflow.db.pool
    assert pool.checkedout() == 1  # the service's writer holds its connection between writes
    del rt
    gc.collect()
    assert pool.checkedout() == 0
