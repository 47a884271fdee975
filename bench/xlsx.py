"""Spreadsheet export and import times for a county of 15 townships at national proportions
(≈340 list entries per township, delegations for some of them).

Generates a synthetic tree with `admission.synth.generate` (a county of exactly 15 townships is
looked for over a few seeds), exports the county as xlsx (one sheet per township per list), CSV
and HTML, then imports every sheet of the workbook back and checks that each township's lists
come back entry for entry.

    .venv/bin/python bench/xlsx.py [--townships-per-county 15] [--seed 0] [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from admission.compile.expand import township_entries  # noqa: E402
from admission.loader import LoadOptions, load_policy  # noqa: E402
from admission.language.enums import Level, UnitKind  # noqa: E402
from admission.sheets import ImportOptions, export, import_workbook, sections  # noqa: E402
from admission.sheets.resolve import county_of  # noqa: E402

ON = None  # set from synth.CHECK_DATE


def county_tree(out: Path, size: int, seed: int) -> tuple[Path, str]:
    """A synthetic tree holding a county of `size` townships, and that county's id."""
    from admission.synth import generate

    best = None
    for s in range(seed, seed + 40):
        generate(out, size * 2, seed=s)
        policy = load_policy(out, LoadOptions(workers=1))
        counts: dict[str, int] = {}
        for uid, u in policy.units.items():
            if u.kind == UnitKind.township:
                c = county_of(policy, uid)
                counts[c] = counts.get(c, 0) + 1
        cid, n = min(counts.items(), key=lambda kv: (abs(kv[1] - size), kv[0]))
        if best is None or abs(n - size) < abs(best[2] - size):
            best = (s, cid, n)
        if n == size:
            return out, cid
    s, cid, n = best
    generate(out, size * 2, seed=s)
    print(f"(no county of exactly {size} townships found; using one of {n})")
    return out, cid


def timed(fn, repeat: int):
    best, value = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t)
    return best, value


def main() -> None:
    global ON
    from admission.synth import CHECK_DATE

    ON = CHECK_DATE
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--townships-per-county", type=int, default=15)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-xlsx-"))
    try:
        tree, county = county_tree(work / "tree", args.townships_per_county, args.seed)
        t_load, policy = timed(lambda: load_policy(tree, LoadOptions(workers=1)), 1)
        towns = sorted(uid for uid, u in policy.units.items()
                       if u.kind == UnitKind.township and county_of(policy, uid) == county)
        assert policy.units[county].level == Level.county
        secs = sections(policy, county, ON)
        rows = sum(s.count for s in secs)
        per_town = rows / len(towns)
        print(f"县 county {policy.units[county].name}（{county}）: {len(towns)} 个乡镇(街道) townships, "
              f"{len(secs)} 张清单 lists, {rows} 行 rows（{per_town:.0f} per township）; policy load {t_load:.2f} s")

        print("export (best of %d):" % args.repeat)
        paths = {}
        for fmt in ("xlsx", "csv", "html"):
            path = work / f"county.{fmt}"
            t, _ = timed(lambda: export(policy, county, ON, fmt, path), args.repeat)
            paths[fmt] = path
            print(f"  {fmt:<5} {t:6.2f} s  {path.stat().st_size / 1024:8.0f} KiB  {rows / t:8.0f} rows/s")

        book = paths["xlsx"]
        out = work / "imported"
        jobs = [(s.sheet, s.kind.key, s.unit, s.count) for s in secs]

        def import_all():
            if out.exists():
                shutil.rmtree(out)
            results = []
            for sheet, kind, unit, _ in jobs:
                res = import_workbook(book, policy, ImportOptions(kind=kind, unit=unit, out_dir=out, sheet=sheet))
                assert res.ok, [p.format() for p in res.problems][:5]
                results.append(res)
            return results

        t_imp, results = timed(import_all, args.repeat)
        print(f"import (best of {args.repeat}): {len(jobs)} sheets, {rows} rows in {t_imp:.2f} s "
              f"({t_imp / len(jobs) * 1000:.0f} ms per sheet, {rows / t_imp:.0f} rows/s; "
              f"each sheet opens the workbook of {len(jobs)} sheets)")

        # one township's workbook, the way a county office would import it
        one = towns[0]
        tb = work / "one.xlsx"
        export(policy, one, ON, "xlsx", tb)
        one_secs = sections(policy, one, ON)

        def import_one():
            o = work / "one-out"
            if o.exists():
                shutil.rmtree(o)
            for s in one_secs:
                assert import_workbook(tb, policy, ImportOptions(kind=s.kind.key, unit=one, out_dir=o)).ok

        t_one, _ = timed(import_one, args.repeat)
        n_one = sum(s.count for s in one_secs)
        print(f"import one township's workbook ({len(one_secs)} sheets, {n_one} rows): {t_one:.2f} s")

        # every township's lists came back entry for entry
        by_unit_kind = {(s.unit, s.kind.key): r for s, r in zip(secs, results)}
        for t in towns:
            te = township_entries(policy, t)
            for kind in ("basic", "cooperative", "returned"):
                want = sorted((e.matter, e.scope) for e in getattr(te, kind) if e.in_force(ON))
                got = sorted((e.matter, e.scope) for e in by_unit_kind[(t, kind)].entries)
                assert got == want, (t, kind, len(got), len(want))
        print("round trip: every township's lists imported back unchanged")
        print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
