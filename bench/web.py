"""Workbench page times: a county page, a township page and the findings page, on the bundled
policies and on a generated tree (default 1,000 townships), served in-process by the API app
(what the server spends per request, without the network).  Prints p50/p95 per page; the first
findings page of a day (the full check, then cached) is shown apart.  Target: p95 < 300 ms.

    PYTHONPATH=src .venv/bin/python bench/web.py [--townships 1000] [--reps 40] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from fastapi.testclient import TestClient  # noqa: E402

from admission.api.app import create_app  # noqa: E402
from admission.api.auth import create_token  # noqa: E402
from admission.api.settings import ApiSettings  # noqa: E402
from admission.language.enums import UnitKind  # noqa: E402
from admission.store.db import make_engine, migrate  # noqa: E402


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def measure(label: str, policies: Path, reps: int, day: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'web.db'}"
        engine = make_engine(url)
        migrate(engine)
        settings = ApiSettings(policies=policies, database_url=url, token_cache_seconds=60)
        t0 = time.perf_counter()
        with TestClient(create_app(settings)) as client:
            loaded = time.perf_counter() - t0
            rt = client.app.state.admission.rt
            units = rt.index.units
            counties = [u for u, x in units.items() if x.kind == UnitKind.government and x.county == u]
            county = max(counties, key=lambda c: sum(1 for x in units.values()
                                                     if x.kind == UnitKind.township and x.county == c))
            township = max((u for u, x in units.items() if x.kind == UnitKind.township and x.county == county),
                           key=lambda t: len(rt.policy.township_lists[t].basic) if t in rt.policy.township_lists else 0)
            token = create_token(engine, unit=county, role="operator")[1]
            client.cookies.set("admission_token", token)
            t = time.perf_counter()
            first = client.get(f"/review/findings?on={day}")
            cold = time.perf_counter() - t
            assert first.status_code == 200, first.text[:300]
            print(f"{label}: {len(units)} units, loaded in {loaded:.1f} s; first findings page (full check) "
                  f"{cold * 1000:.0f} ms")
            pages = {"county": f"/review/unit/{county}?on={day}", "township": f"/review/unit/{township}?on={day}",
                     "findings": f"/review/findings?on={day}"}
            for name, path in pages.items():
                client.get(path)  # warm
                times = []
                for _ in range(reps):
                    t = time.perf_counter()
                    r = client.get(path)
                    times.append((time.perf_counter() - t) * 1000)
                    assert r.status_code == 200, (path, r.status_code)
                print(f"  {name:<9} p50 {p(times, 50):6.1f} ms  p95 {p(times, 95):6.1f} ms  "
                      f"({len(r.content) // 1024} KiB, {reps} requests)  {path.split('?')[0]}")
        engine.dispose()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--townships", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=40)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="100 townships, 10 requests per page")
    args = ap.parse_args()
    if args.quick:
        args.townships, args.reps = 100, 10
    measure("bundled policies", ROOT / "policies", args.reps, "2026-11-23")
    from decide import tree
    from admission.synth import CHECK_DATE

    root, _ = tree(args.townships, args.seed)
    measure(f"generated tree ({args.townships} townships)", root, args.reps, CHECK_DATE.isoformat())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
