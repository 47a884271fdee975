"""Decision throughput and the full check on a generated tree (default 1,000 townships).

Prints decisions per second with an explanation object built for every call, for two
question mixes, single and batched, JSON serialisation timed separately; then the full check's
time and peak memory, asserting that its findings equal the generator's violation manifest.

    .venv/bin/python bench/decide.py [--townships 1000] [--questions 200000] [--seed 7]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from admission import code_digest  # noqa: E402
from admission.evaluate.checks import run_checks  # noqa: E402
from admission.evaluate.decide import Decider  # noqa: E402
from admission.compile.index import build_index  # noqa: E402
from admission.loader import LoadOptions, load_policy  # noqa: E402
from admission.language.enums import UnitKind  # noqa: E402
from admission.synth import CHECK_DATE, inject_all  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def tree(townships: int, seed: int) -> tuple[Path, set]:
    # keyed by the generator's code too: a tree made by an older synth is never reused
    code = code_digest("synth", "language").hexdigest()[:12]
    out = ROOT / "bench" / "out" / f"decide-{townships}-{seed}-{code}"
    manifest = out / "manifest.json"
    if not manifest.exists():
        t = time.perf_counter()
        inject_all(out, townships, seed)
        print(f"generated {out} in {time.perf_counter() - t:.1f} s")
    data = json.loads(manifest.read_text(encoding="utf-8"))
    return out, {(v["rule"], v["subject"]) for v in data["violations"]}


def questions(index, n: int, seed: int, mix: str) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    units = index.units
    places = [u for u, i in units.items() if i.kind in (UnitKind.township, UnitKind.village)]
    actors = [u for u, i in units.items() if i.kind in (UnitKind.department, UnitKind.dispatched,
                                                        UnitKind.task_force, UnitKind.government)]
    matters = list(index.policy.matters)
    if mix == "uniform":
        return [(rng.choice(actors), rng.choice(matters), rng.choice(places)) for _ in range(n)]
    # realistic: what a dispatch system asks — mostly its own county's departments about matters on
    # the target's lists (often the department with standing), sometimes about anything else
    from admission.compile.index import COUNTY_HOLDERS

    by_county: dict = {}
    for a in actors:
        if units[a].kind != UnitKind.government:
            by_county.setdefault(units[a].county, []).append(a)
    on_lists: dict = {}
    for (target, matter), entries in index.entries.items():
        on_lists.setdefault(target, []).append((matter, entries))
    townships = [u for u in places if units[u].kind == UnitKind.township]
    villages = [u for u in places if units[u].kind == UnitKind.village]
    out = []
    for _ in range(n):
        t = rng.choice(townships) if rng.random() < 0.6 else rng.choice(villages)
        pool = by_county.get(units[t].county) or actors
        own = on_lists.get(t)
        actor = rng.choice(pool)
        if own and rng.random() < 0.6:
            m, entries = rng.choice(own)
            if rng.random() < 0.7:
                if units[t].kind == UnitKind.village:
                    actor = units[t].township
                else:
                    standing = entries[0].standing
                    if standing is COUNTY_HOLDERS:
                        holders = index.county_holders(units[t].county, m, index_day)
                        actor = rng.choice(holders) if holders else actor
                    elif standing:
                        actor = rng.choice(sorted(standing))
        else:
            m = rng.choice(matters)
        out.append((actor, m, t))
    return out


index_day = CHECK_DATE.toordinal()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--townships", type=int, default=1000)
    ap.add_argument("--questions", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    root, expected = tree(args.townships, args.seed)
    t = time.perf_counter()
    policy = load_policy(root, LoadOptions(workers=None, cache_dir=ROOT / "bench" / "out" / "cache"))
    print(f"load {time.perf_counter() - t:.1f} s  (units {len(policy.units)}, matters {len(policy.matters)})")
    t = time.perf_counter()
    index = build_index(policy)
    print(f"build index {time.perf_counter() - t:.1f} s  rss {rss_mb():.0f} MB")
    gc.collect()
    gc.freeze()  # as the API server does once its index is built (api/state.py): collections skip it
    decider = Decider(index)
    on = CHECK_DATE

    print(f"\n{'mix':<10} {'mode':<7} {'questions':>10} {'denied':>7} {'decisions/s':>12} {'json/s':>10}")
    for mix in ("realistic", "uniform"):
        qs = questions(index, args.questions, args.seed, mix)
        decide = decider.decide
        t = time.perf_counter()
        single = [decide(a, m, x, on) for a, m, x in qs]
        single_rate = len(qs) / (time.perf_counter() - t)
        denied = sum(1 for d in single if not d.allowed) / len(single)
        outcomes = [d.outcome for d in single]
        t = time.perf_counter()
        text = json.dumps([d.to_dict() for d in single], ensure_ascii=False)
        json_rate = len(single) / (time.perf_counter() - t)
        del text, single  # the batch run should not pay for 200,000 live decisions in the collector
        asked = [(a, m, x, on) for a, m, x in qs]
        t = time.perf_counter()
        batch = decider.decide_many(asked)
        batch_rate = len(qs) / (time.perf_counter() - t)
        assert [d.outcome for d in batch] == outcomes
        print(f"{mix:<10} {'single':<7} {len(qs):>10} {denied:>6.0%} {single_rate:>12,.0f} {json_rate:>10,.0f}")
        print(f"{mix:<10} {'batch':<7} {len(qs):>10} {denied:>6.0%} {batch_rate:>12,.0f}")
        del batch

    t = time.perf_counter()
    findings = run_checks(policy, on, index)
    elapsed = time.perf_counter() - t
    got = {(f.code, f.subject) for f in findings}
    print(f"\nfull check: {elapsed:.1f} s, {len(findings)} findings, peak rss {rss_mb():.0f} MB")
    missing, extra = expected - got, got - expected
    if missing or extra:
        print(f"MISMATCH with the manifest: missing {sorted(missing)[:10]} extra {sorted(extra)[:10]}")
        sys.exit(1)
    print(f"findings equal the manifest ({len(expected)} injected violations)")


if __name__ == "__main__":
    main()
