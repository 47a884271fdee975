"""Render times on the bundled policies: the 340-item township (永安镇, 370402101) in summary
and expanded form and the county overview (市中区, 370402), each to SVG — building the view
from the loaded policy, its index and findings, then Graphviz's `dot`.  Target: under 3 s each.

    .venv/bin/python bench/render.py [--policies policies] [--repeat 3] [--on 2026-11-23]

Exit 1 when a render misses the target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from admission.evaluate.checks import run_checks  # noqa: E402
from admission.compile.index import build_index  # noqa: E402
from admission.loader import LoadOptions, load_policy  # noqa: E402
from admission.render import DIAGRAMS_ON, county_view, render_bytes, unit_view  # noqa: E402
from admission.render.data import township_items  # noqa: E402

TARGET = 3.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policies", type=Path, default=ROOT / "policies")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--on", type=dt.date.fromisoformat, default=DIAGRAMS_ON)
    ap.add_argument("--township", default="370402101")
    ap.add_argument("--county", default="370402")
    args = ap.parse_args()

    t = time.perf_counter()
    policy = load_policy(args.policies, LoadOptions(workers=1))
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    index = build_index(policy)
    findings = run_checks(policy, args.on, index)
    t_check = time.perf_counter() - t
    items = township_items(policy, index, args.township, args.on)
    listed = sum(len(items[k]) for k in ("basic", "cooperative", "returned"))
    print(f"policy {args.policies}: load {t_load:.2f} s, index + checks {t_check:.2f} s ({len(findings)} findings); "
          f"{policy.units[args.township].name} {listed} list items + {len(items['delegated'])} delegated "
          f"+ {len(items['admitted'])} admitted, on {args.on}")

    cases = [
        (f"township {args.township} summary", lambda: unit_view(policy, index, args.township, on=args.on,
                                                                  findings=findings)),
        (f"township {args.township} expanded", lambda: unit_view(policy, index, args.township, on=args.on,
                                                                   findings=findings, expanded=True)),
        (f"county {args.county} overview", lambda: county_view(policy, index, args.county, on=args.on,
                                                               findings=findings)),
    ]
    worst = 0.0
    print(f"{'render to SVG':<34} {'view':>8} {'dot':>8} {'total':>8}   (median of {args.repeat})")
    for name, build in cases:
        views, dots, sizes = [], [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            g = build()
            t1 = time.perf_counter()
            svg = render_bytes(g, "svg")
            t2 = time.perf_counter()
            views.append(t1 - t0)
            dots.append(t2 - t1)
            sizes.append(len(svg))
        v, d = statistics.median(views), statistics.median(dots)
        worst = max(worst, v + d)
        print(f"{name:<34} {v:>7.3f}s {d:>7.3f}s {v + d:>7.3f}s   {sizes[-1] / 1024:.0f} KiB"
              f"  {'ok' if v + d < TARGET else 'SLOW'}")
    print(f"target < {TARGET:.0f} s each: {'met' if worst < TARGET else 'MISSED'}")
    return 0 if worst < TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
