"""Workflow steps per second, end to end (service → rules engine → store), on SQLite and on the
local PostgreSQL.  Each application goes apply → opinion → review → approve → enter → exit.
Every step is its own committed transaction, so PostgreSQL is bounded by its commit (WAL flush)
latency; the load average is printed because the figures move with what else the machine runs.

    .venv/bin/python bench/flow.py [--apps 300] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

import sqlalchemy as sa  # noqa: E402

from admission.flow.runtime import open_runtime  # noqa: E402
from flowkit import COUNTY, D_BB, D_TJ, TOWN, admission_request, build_policy_dir, load  # noqa: E402

D = dt.date(2025, 3, 3)


def run(url: str, apps: int, root: Path) -> tuple[int, float]:
    rt = open_runtime(load(root), url)
    wf = rt.workflow
    steps = 0
    t = time.perf_counter()
    for i in range(apps):
        app = wf.apply(flow_id="admission", unit=D_TJ, person=f"统计局-{i % 5}", request=admission_request(), on=D)
        wf.give_opinion(app_id=app.id, unit=TOWN, person="永安镇-李四", stance="agree", text=None, on=D)
        wf.step(app_id=app.id, action="review", unit=D_BB, person="编办-王五", on=D)
        wf.step(app_id=app.id, action="approve", unit=COUNTY, person="区政府-赵六", on=D, document="d", meeting="m")
        wf.step(app_id=app.id, action="enter", unit=COUNTY, person="区政府-赵六", on=D, effective=D)
        wf.step(app_id=app.id, action="exit", unit=COUNTY, person="区政府-赵六", on=D, reason="基准测试")
        steps += 6
    return steps, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--apps", type=int, default=300)
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = build_policy_dir(Path(tmp))
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'store':<12} {'apps':>6} {'steps':>7} {'seconds':>8} {'steps/s':>9}")
        steps, secs = run(f"sqlite:///{tmp}/bench.db", args.apps, root)
        print(f"{'sqlite':<12} {args.apps:>6} {steps:>7} {secs:>8.2f} {steps / secs:>9,.0f}")
        schema = "bench_" + uuid.uuid4().hex[:8]
        eng = sa.create_engine(args.pg)
        try:
            with eng.begin() as c:
                c.exec_driver_sql(f"CREATE SCHEMA {schema}")
            url = f"{args.pg}?options=-csearch_path%3D{schema}"
            steps, secs = run(url, args.apps, root)
            print(f"{'postgresql':<12} {args.apps:>6} {steps:>7} {secs:>8.2f} {steps / secs:>9,.0f}")
        finally:
            with eng.begin() as c:
                c.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


if __name__ == "__main__":
    main()
