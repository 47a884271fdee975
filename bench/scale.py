"""National scale: the compiled bundle, the sharded and incremental check, the sharded decider.

For each size — a county (15 townships), a province (1,800) and the nation (38,000 townships,
villages included) — generates a tree with `admission.synth` (one injected violation of every
rule, and its manifest), then measures, each step in a fresh interpreter:

- generation;
- bundle build, cold (empty caches) and again with nothing changed;
- the full sharded check from the built bundle (`--workers`, default the CPU count), asserting
  that its findings equal the generator's manifest exactly (rule and subject);
- one county's file edited (an assignment removed) → incremental build → incremental re-check
  (`check_bundle(changed_since=…)` in-process, and the CLI `admission check --bundle
  --changed-since` wall time), asserting the findings again and that one shard ran;
- one admission entering (a new file, targets in another county) → the same;
- `ShardedDecider` start-up, first-question latency to cold shards, warm-question latency;
- the API: `admission serve --bundle STORE --sharded` launched as a real server, the time to its
  first answered request, then over HTTP the first question to cold shards and warm questions,
  and the server's RSS (`--api-only` measures just this from stores built earlier).

Peak memory is the sampled summed RSS of the measuring process and all its descendants
(workers included; every 20 ms; shared pages of forked workers count once per process, so it
is an upper bound).  Targets (2-core, 24 GB machine, from a built bundle): province full check
< 60 s; national full check < 15 min and < 8 GB; one-county incremental re-check < 2 s.

    .venv/bin/python bench/scale.py [--sizes county province nation] [--workers 2] [--reuse] [--api-only]
    .venv/bin/python bench/scale.py --growth [1 10 100 1000]

`--growth` measures only the full check at 1, 10, 100 and 1,000 counties (15 townships each),
its peak memory, and the fitted exponent k of time ∝ counties^k (target k ≤ 1.1), with the
national figure beside it (from the fit, and measured when a `--sizes nation` run left one).

Trees and stores live under bench/out/scale (gitignored); `--reuse` keeps a generated tree and
its cold-build figures from an earlier run (results in bench/out/scale/<size>/results.json).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from procmem import TreeSampler, descendants, rss_kb  # noqa: E402  (bench/, the script's own directory)

SIZES = {"county": 15, "province": 1800, "nation": 38000}
TARGETS = {"province_check_s": 60.0, "nation_check_s": 900.0, "nation_peak_gb": 8.0, "incremental_s": 2.0}
ADMISSION = str(ROOT / ".venv" / "bin" / "admission")


# --------------------------------------------------------------------------- cpu
def _cpu() -> float:
    import resource

    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


# --------------------------------------------------------------------------- child steps
def step_generate(d: Path, townships: int, seed: int) -> dict:
    from admission.synth import inject_all

    m = inject_all(d / "tree", townships, seed)
    return {"counts": m.counts, "violations": len(m.violations)}


def step_build(d: Path, workers: int) -> dict:
    from admission.scale.bundle import build_bundle
    from admission.loader import LoadOptions

    r = build_bundle(d / "tree", d / "store", LoadOptions(workers=workers, cache_dir=None))
    assert r.ok, [x.format() for x in r.diagnostics[:5]]
    m = r.manifest
    size = sum(s["bytes"] for s in m["shards"].values()) + m["common"]["bytes"] + m["directory"]["bytes"]
    return {"stats": r.stats, "revision": m["revision"], "shards": len(m["shards"]), "bundle_mb": size / 2**20,
            "yaml_mb": m["bytes"] / 2**20}


def _expected(d: Path) -> set:
    data = json.loads((d / "tree" / "manifest.json").read_text(encoding="utf-8"))
    return {(v["rule"], v["subject"]) for v in data["violations"]}


def step_check(d: Path, workers: int, changed_since: str | None) -> dict:
    from admission.scale.bundle import BundleStore, open_bundle
    from admission.scale.shard import CheckRun, check_bundle
    from admission.synth import CHECK_DATE

    t = time.perf_counter()
    bundle = open_bundle(d / "store")
    store = BundleStore(d / "store")
    run = CheckRun(bundle.revision, CHECK_DATE)
    got, seconds = set(), []
    for r in check_bundle(bundle, CHECK_DATE, workers, changed_since=changed_since, cache=store, run=run):
        got.update((f.code, f.subject) for f in r.findings)
        if not r.cached:
            seconds.append(r.seconds)
    elapsed = time.perf_counter() - t
    expected = _expected(d)
    ok = got == expected
    out = {"seconds": elapsed, "shards": run.shards, "checked": run.checked, "cached": run.cached,
           "changed": run.changed[:5], "n_changed": len(run.changed), "findings": len(got), "equal_manifest": ok,
           "missing": sorted(expected - got)[:5], "extra": sorted(got - expected)[:5]}
    if seconds:
        seconds.sort()
        out["shard_s"] = {"median": statistics.median(seconds), "max": seconds[-1], "sum": sum(seconds)}
    return out


def step_decider(d: Path, cold: int, warm: int) -> dict:
    import datetime as dt

    from admission.language.enums import UnitKind
    from admission.scale.shard import ShardedDecider
    from admission.synth import CHECK_DATE

    t = time.perf_counter()
    dec = ShardedDecider(d / "store", max_shards=256)
    startup = time.perf_counter() - t
    rss_start = rss_kb(os.getpid()) / 1024
    directory = dec.directory
    rng = random.Random(3)
    shards = [k for k, s in dec.bundle.shards.items() if s["townships"]]
    rng.shuffle(shards)
    # questions: a department of the target's county, a matter of the catalogue
    cold_s, warm_s = [], []
    places: dict[str, list[str]] = {}
    for uid, key in directory.items():
        places.setdefault(key, []).append(uid)
    matters = list(dec.matters)
    asked = []
    for key in shards[:cold]:
        unit_ids = places[key]
        t = time.perf_counter()
        target = unit_ids[len(unit_ids) // 2]
        dec.decide(key, rng.choice(matters), target, CHECK_DATE)
        cold_s.append(time.perf_counter() - t)
        asked.append((key, unit_ids))
    loaded = dec.loaded()
    for _ in range(warm):
        key, unit_ids = asked[rng.randrange(len(asked))]
        if key not in loaded:
            continue
        d_ = dec.decider(key)
        depts = [u for u, x in d_.units.items() if x.kind == UnitKind.department and x.county == key] or [key]
        targets = [u for u, x in d_.units.items() if x.kind in (UnitKind.township, UnitKind.village) and x.county == key]
        t = time.perf_counter()
        dec.decide(rng.choice(depts), rng.choice(matters), rng.choice(targets), CHECK_DATE + dt.timedelta(days=rng.randint(-30, 30)))
        warm_s.append(time.perf_counter() - t)
    cold_s.sort()
    warm_s.sort()

    def pct(xs, q):
        return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else None

    return {"startup_s": startup, "rss_after_startup_mb": rss_start, "units": len(directory),
            "cold_median_s": statistics.median(cold_s), "cold_p95_s": pct(cold_s, 0.95), "cold_max_s": cold_s[-1],
            "cold_n": len(cold_s), "warm_median_ms": 1000 * statistics.median(warm_s),
            "warm_p99_ms": 1000 * pct(warm_s, 0.99), "warm_n": len(warm_s),
            "rss_end_mb": rss_kb(os.getpid()) / 1024, "shards_loaded": len(dec.loaded())}


CHILD_STEPS = {"generate": step_generate, "build": step_build, "check": step_check, "decider": step_decider}


def step_api(d: Path, cold: int, warm_per_shard: int = 20, port: int = 8097) -> dict:
    """`admission serve --bundle STORE --sharded` as a real server (one worker): the time from
    launching the command to its first answered request, then over HTTP the first question to
    a cold shard and warm questions, and the server's RSS at the end."""
    import urllib.error
    import urllib.request

    from admission.scale.bundle import open_bundle
    from admission.synth import CHECK_DATE

    db = d / "api.db"
    db.unlink(missing_ok=True)
    admission = ADMISSION
    made = subprocess.run([admission, "token", "create", "--unit", "bench", "--role", "reader", "--db", f"sqlite:///{db}"],
                          capture_output=True, text=True, check=True)
    token = made.stdout.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return json.load(r)
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"{path} {body}: {exc.code} {exc.read().decode()}") from None

    t0 = time.perf_counter()
    server = subprocess.Popen([admission, "serve", "--bundle", str(d / "store"), "--sharded", "--db", f"sqlite:///{db}",
                               "--port", str(port), "--workers", "1"], stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                policy = call("/v1/policy")
                break
            except (OSError, RuntimeError):
                if server.poll() is not None or time.perf_counter() - t0 > 300:
                    raise RuntimeError("the API server did not start") from None
                time.sleep(0.02)
        startup = time.perf_counter() - t0
        bundle = open_bundle(d / "store")
        places: dict[str, list[str]] = {}
        for uid, key in bundle.directory().items():
            # townships and villages: division codes extending their county's by 3 and 6 digits
            if key and uid.isdigit() and uid.startswith(key) and len(uid) in (len(key) + 3, len(key) + 6):
                places.setdefault(key, []).append(uid)
        rng = random.Random(5)
        shards = [k for k, sh in bundle.shards.items() if sh["townships"]]
        rng.shuffle(shards)
        matters = list(bundle.common()["dicts"]["matters"])
        cold_s, warm_s = [], []
        for key in shards[:cold]:
            units = places[key]
            q = {"actor": key, "matter": rng.choice(matters), "target": units[len(units) // 2], "on": CHECK_DATE.isoformat()}
            t = time.perf_counter()
            call("/v1/decisions", q)
            cold_s.append(time.perf_counter() - t)
            for _ in range(warm_per_shard):
                q = {"actor": key, "matter": rng.choice(matters), "target": rng.choice(units), "on": CHECK_DATE.isoformat()}
                t = time.perf_counter()
                call("/v1/decisions", q)
                warm_s.append(time.perf_counter() - t)
        rss = sum(rss_kb(pid) for pid in [server.pid, *descendants(server.pid)]) / 1024
    finally:
        server.terminate()
        server.wait(30)
    cold_s.sort()
    warm_s.sort()
    return {"startup_s": startup, "units": policy["counts"]["units"], "shards": policy["counts"]["shards"],
            "cold_median_ms": 1000 * statistics.median(cold_s), "cold_max_ms": 1000 * cold_s[-1], "cold_n": len(cold_s),
            "warm_median_ms": 1000 * statistics.median(warm_s),
            "warm_p99_ms": 1000 * warm_s[min(len(warm_s) - 1, int(0.99 * len(warm_s)))], "warm_n": len(warm_s),
            "rss_end_mb": rss}


def api_figures(name: str, d: Path) -> dict:
    a = step_api(d, cold=20 if name != "county" else 1)
    print(f"API (serve --bundle --sharded, 1 worker): start-up to the first answer {a['startup_s']:.2f} s "
          f"({a['units']} units, {a['shards']} shards); first question to a cold shard over HTTP median "
          f"{a['cold_median_ms']:.0f} ms (max {a['cold_max_ms']:.0f} ms, n={a['cold_n']}); warm median "
          f"{a['warm_median_ms']:.2f} ms (p99 {a['warm_p99_ms']:.2f} ms, n={a['warm_n']}); server RSS "
          f"{a['rss_end_mb']:.0f} MB", flush=True)
    return a


def child(step: str, args: dict) -> None:
    sampler = TreeSampler()
    sampler.start()
    t0, c0 = time.perf_counter(), _cpu()
    out = CHILD_STEPS[step](**{k: (Path(v) if k == "d" else v) for k, v in args.items()})
    out["wall_s"] = time.perf_counter() - t0
    out["cpu_s"] = _cpu() - c0
    out["peak_tree_mb"] = sampler.stop()
    out["peak_pss_mb"] = sampler.peak_pss_kb / 1024
    print(json.dumps(out, ensure_ascii=False, default=str))


def run_child(step: str, **args) -> dict:
    cmd = [sys.executable, __file__, "--child", step, json.dumps({k: str(v) if isinstance(v, Path) else v
                                                               for k, v in args.items()})]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{step} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- edits
def _county_files(tree: Path) -> list[Path]:
    return sorted(p for p in tree.rglob("*.yaml") if p.name not in ("市本级.yaml", "省级.yaml", "事项目录.yaml")
                  and "准入" not in p.parts)


def edit_one_county(d: Path) -> tuple[Path, bytes, str]:
    """Remove one assignment that is not an injected violation from one county's file."""
    injected = {s for _, s in _expected(d)}
    files = _county_files(d / "tree")
    path = files[len(files) // 2]
    raw = path.read_bytes()
    lines = raw.decode("utf-8").splitlines(keepends=True)
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i]
        if line.startswith("  - {id: PD"):
            aid = line.split("id: ", 1)[1].split(",", 1)[0]
            if aid not in injected:
                del lines[i]
                path.write_text("".join(lines), encoding="utf-8")
                return path, raw, aid
    raise RuntimeError("no assignment to remove")


def admission_enters(d: Path) -> Path:
    """A new file with one admission: a department of one county, townships of another."""
    import yaml

    files = _county_files(d / "tree")
    a = yaml.safe_load(files[0].read_text(encoding="utf-8"))
    b = yaml.safe_load(files[-1].read_text(encoding="utf-8")) if len(files) > 1 else a
    dept = next(u["id"] for u in a["units"] if u["kind"] == "department")
    towns = [u["id"] for u in b["units"] if u["kind"] == "township"][:2]
    tpl = (b.get("township_templates") or [{}])[0]
    matter = (tpl.get("basic") or ["M-?"])[0]
    matter = matter if isinstance(matter, str) else matter["matter"]
    basis = (a.get("bases") or [{}])[0].get("id")
    path = d / "tree" / "准入" / "新准入.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text("admissions:\n  - {id: ZR-BENCH-1, matter: %s, applicant: \"%s\", targets: [%s], term: long, "
                    "since: 2026-05-01, basis: %s}\n" % (matter, dept, ", ".join(f'"{t}"' for t in towns), basis),
                    encoding="utf-8")
    return path


def cli_recheck(d: Path, since: str) -> dict:
    t = time.perf_counter()
    proc = subprocess.run([ADMISSION, "check", "--bundle", str(d / "store"), "--on", "2026-11-23",
                           "--changed-since", since, "-f", "json"], capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t
    doc = json.loads(proc.stdout)
    got = {(x["code"], x["subject"]) for x in doc["diagnostics"]}
    return {"wall_s": wall, "exit": proc.returncode, "shards": {k: v for k, v in doc["shards"].items() if k != "changed"},
            "equal_manifest": got == _expected(d)}


def forget_changed(d: Path, since: str) -> int:
    """Drop the cached findings of the shards changed since `since`, so that a re-check
    measures checking them (not reading a cache the previous measurement filled)."""
    from admission.scale.bundle import BundleStore
    from admission.scale.shard import _cache_key
    from admission.synth import CHECK_DATE

    store = BundleStore(d / "store")
    new, old = store.manifest(), store.manifest(since)
    n = 0
    for key, s in new["shards"].items():
        if old["shards"].get(key, {}).get("hash") != s["hash"] or old["common"]["hash"] != new["common"]["hash"]:
            h = _cache_key(s["hash"], new["common"]["hash"], CHECK_DATE)
            path = store.path / "checks" / h[:2] / h
            if path.exists():
                path.unlink()
                n += 1
    return n


def revision(d: Path) -> str:
    return json.loads((d / "store" / "manifest.json").read_text(encoding="utf-8"))["revision"]


# --------------------------------------------------------------------------- driver
def bench_size(name: str, townships: int, out: Path, workers: int, seed: int, reuse: bool) -> dict:
    d = out / name
    results_path = d / "results.json"
    previous = json.loads(results_path.read_text(encoding="utf-8")) if reuse and results_path.exists() else {}
    res: dict = {"size": name, "townships": townships, "workers": workers}
    print(f"\n=== {name}: {townships} townships ===", flush=True)
    if reuse and (d / "tree" / "manifest.json").exists() and "generate" in previous:
        res["generate"] = previous["generate"]
        print(f"generate   (reused) {res['generate']['wall_s']:.1f} s", flush=True)
    else:
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        res["generate"] = run_child("generate", d=d, townships=townships, seed=seed)
        print(f"generate   {res['generate']['wall_s']:.1f} s  peak {res['generate']['peak_tree_mb']:.0f} MB  "
              f"{res['generate']['counts']['bytes'] / 2**20:.0f} MiB YAML", flush=True)
    if reuse and "build_cold" in previous and (d / "store" / "manifest.json").exists():
        res["build_cold"] = previous["build_cold"]
        print(f"build cold (reused) {res['build_cold']['wall_s']:.1f} s", flush=True)
    else:
        if (d / "store").exists():
            shutil.rmtree(d / "store")
        res["build_cold"] = run_child("build", d=d, workers=workers)
        b = res["build_cold"]
        print(f"build cold {b['wall_s']:.1f} s (cpu {b['cpu_s']:.0f} s)  peak {b['peak_tree_mb']:.0f} MB "
              f"(PSS {b.get('peak_pss_mb', 0):.0f} MB)  "
              f"{b['shards']} shards  bundle {b['bundle_mb']:.1f} MiB / YAML {b['yaml_mb']:.1f} MiB", flush=True)
    results_path.write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    res["build_warm"] = run_child("build", d=d, workers=workers)
    print(f"build warm {res['build_warm']['wall_s']:.1f} s (nothing changed; parsed {res['build_warm']['stats']['parsed']}; "
          f"peak {res['build_warm']['peak_tree_mb']:.0f} MB, PSS {res['build_warm']['peak_pss_mb']:.0f} MB)", flush=True)
    first = revision(d)

    c = res["check_full"] = run_child("check", d=d, workers=workers, changed_since=None)
    print(f"full check {c['wall_s']:.1f} s (cpu {c['cpu_s']:.0f} s)  peak {c['peak_tree_mb']:.0f} MB "
          f"(PSS {c['peak_pss_mb']:.0f} MB)  "
          f"{c['shards']} shards  findings {c['findings']}  equal to manifest: {c['equal_manifest']}", flush=True)
    results_path.write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")

    path, raw, aid = edit_one_county(d)
    try:
        res["build_edit"] = run_child("build", d=d, workers=workers)
        second = revision(d)
        forget_changed(d, first)
        res["recheck_edit_cli"] = cli_recheck(d, first)
        forget_changed(d, first)
        res["recheck_edit"] = run_child("check", d=d, workers=workers, changed_since=first)
        r, cl = res["recheck_edit"], res["recheck_edit_cli"]
        print(f"edit {path.name} (removed {aid}): build {res['build_edit']['wall_s']:.1f} s "
              f"(peak {res['build_edit']['peak_tree_mb']:.0f} MB; parsed "
              f"{res['build_edit']['stats']['parsed']}, routed {res['build_edit']['stats']['routed']}); re-check "
              f"{r['seconds']:.2f} s in-process ({r['checked']} checked, {r['cached']} cached, changed {r['changed']}), "
              f"CLI {cl['wall_s']:.2f} s ({cl['shards']['checked']} checked); "
              f"equal to manifest: {r['equal_manifest'] and cl['equal_manifest']}", flush=True)
        extra = admission_enters(d)
        try:
            res["build_admission"] = run_child("build", d=d, workers=workers)
            forget_changed(d, second)
            res["recheck_admission_cli"] = cli_recheck(d, second)
            forget_changed(d, second)
            res["recheck_admission"] = run_child("check", d=d, workers=workers, changed_since=second)
            r, cl = res["recheck_admission"], res["recheck_admission_cli"]
            print(f"admission entering: build {res['build_admission']['wall_s']:.1f} s; re-check {r['seconds']:.2f} s "
                  f"({r['checked']} checked, changed {r['changed']}), CLI {cl['wall_s']:.2f} s; "
                  f"equal to manifest: {r['equal_manifest'] and cl['equal_manifest']}", flush=True)
        finally:
            shutil.rmtree(extra.parent)
    finally:
        path.write_bytes(raw)
    run_child("build", d=d, workers=workers)  # back to the first revision (all from the caches)

    n_cold = 20 if name != "county" else 1
    dd = res["decider"] = run_child("decider", d=d, cold=n_cold, warm=5000)
    print(f"decider: start-up {dd['startup_s']:.2f} s ({dd['units']} units, {dd['rss_after_startup_mb']:.0f} MB); "
          f"first question to a cold shard median {dd['cold_median_s'] * 1000:.0f} ms (p95 "
          f"{(dd['cold_p95_s'] or 0) * 1000:.0f} ms, n={dd['cold_n']}); warm median {dd['warm_median_ms']:.3f} ms "
          f"(p99 {dd['warm_p99_ms']:.3f} ms, n={dd['warm_n']})", flush=True)
    res["api"] = api_figures(name, d)
    results_path.write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    return res


def verdict(results: list[dict]) -> None:
    print("\n=== targets ===")
    for r in results:
        c = r["check_full"]
        if r["size"] == "province":
            print(f"province full check {c['wall_s']:.1f} s < {TARGETS['province_check_s']:.0f} s: "
                  f"{'met' if c['wall_s'] < TARGETS['province_check_s'] else 'MISSED'}")
        if r["size"] == "nation":
            print(f"nation full check {c['wall_s']:.0f} s < {TARGETS['nation_check_s']:.0f} s: "
                  f"{'met' if c['wall_s'] < TARGETS['nation_check_s'] else 'MISSED'}; peak "
                  f"{c['peak_tree_mb'] / 1024:.2f} GB < {TARGETS['nation_peak_gb']:.0f} GB: "
                  f"{'met' if c['peak_tree_mb'] / 1024 < TARGETS['nation_peak_gb'] else 'MISSED'}")
        if "recheck_edit" in r:
            e, cl = r["recheck_edit"], r["recheck_edit_cli"]
            print(f"{r['size']}: one-county re-check {e['seconds']:.2f} s in-process, {cl['wall_s']:.2f} s by the CLI "
                  f"(< {TARGETS['incremental_s']:.0f} s: {'met' if cl['wall_s'] < TARGETS['incremental_s'] else 'MISSED'} "
                  f"by the CLI, {'met' if e['seconds'] < TARGETS['incremental_s'] else 'MISSED'} in-process)")


# --------------------------------------------------------------------------- growth
TOWNSHIPS_PER_COUNTY = SIZES["county"]


def fitted_exponent(points: list[tuple[float, float]]) -> float:
    """k of y ∝ x^k: the least-squares slope of log y on log x."""
    import math

    xs, ys = [math.log(x) for x, _ in points], [math.log(y) for _, y in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def growth(counties: list[int], out: Path, workers: int, seed: int) -> dict:
    """The full sharded check (each in a fresh interpreter, from a built bundle) on trees of 15 ×
    `counties` townships: its time, peak memory and the fitted exponent k of time ∝ counties^k
    (counted as the bundle's county shards: the generator rounds)."""
    rows = []
    for n in counties:
        d = out / f"growth-{n}"
        if not (d / "store" / "manifest.json").exists():
            if d.exists():
                shutil.rmtree(d)
            d.mkdir(parents=True)
            run_child("generate", d=d, townships=n * TOWNSHIPS_PER_COUNTY, seed=seed)
            run_child("build", d=d, workers=workers)
        c = run_child("check", d=d, workers=workers, changed_since=None)
        assert c["equal_manifest"], (c["missing"], c["extra"])
        counties = c["shards"] - 1  # a shard per county, and the one of units in no county
        rows.append({"asked": n, "counties": counties, "check_s": c["wall_s"], "peak_mb": c["peak_tree_mb"],
                     "findings": c["findings"]})
        print(f"{counties:>6} counties ({n * TOWNSHIPS_PER_COUNTY:>6} townships): check {c['wall_s']:8.2f} s  "
              f"peak {c['peak_tree_mb']:7.0f} MB  {c['shards']} shards, findings equal to the manifest", flush=True)
    res = {"rows": rows, "workers": workers}
    if len(rows) > 1:
        res["k_time"] = fitted_exponent([(r["counties"], r["check_s"]) for r in rows])
        res["k_memory"] = fitted_exponent([(r["counties"], r["peak_mb"]) for r in rows])
        last = rows[-1]
        nation = SIZES["nation"] / TOWNSHIPS_PER_COUNTY
        res["nation_counties"] = round(nation)
        res["nation_s_from_fit"] = last["check_s"] * (nation / last["counties"]) ** res["k_time"]
        measured = out / "nation" / "results.json"
        if measured.exists():
            res["nation_s_measured"] = json.loads(measured.read_text(encoding="utf-8"))["check_full"]["wall_s"]
        print(f"time ∝ counties^k: k = {res['k_time']:.2f} (target ≤ 1.1: "
              f"{'met' if res['k_time'] <= 1.1 else 'MISSED'}); peak memory k = {res['k_memory']:.2f}; the nation "
              f"(~{res['nation_counties']:,} counties): {res['nation_s_from_fit']:.0f} s from the fit"
              + (f", {res['nation_s_measured']:.0f} s measured" if "nation_s_measured" in res else
                 " (run --sizes nation for the measured figure)"), flush=True)
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="+", default=["county", "province"], choices=list(SIZES))
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "scale")
    ap.add_argument("--reuse", action="store_true", help="keep generated trees and their cold-build figures")
    ap.add_argument("--api-only", action="store_true", help="only the API figures, from stores built earlier")
    ap.add_argument("--growth", nargs="*", type=int, metavar="COUNTIES",
                    help="only the cost as the work grows: the full check at these numbers of counties "
                         "(default 1 10 100 1000) and the fitted exponent")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], json.loads(args.child[1]))
        return
    if args.growth is not None:
        print(f"machine: {os.cpu_count()} CPUs, {args.workers} workers, load average "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
        res = growth(args.growth or [1, 10, 100, 1000], args.out, args.workers, args.seed)
        (args.out / "growth.json").write_text(json.dumps(res, indent=1), encoding="utf-8")
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at end")
        return
    if args.api_only:
        for name in args.sizes:
            print(f"=== {name} ===", flush=True)
            api_figures(name, args.out / name)
        return
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start", flush=True)
    results = [bench_size(name, SIZES[name], args.out, args.workers, args.seed, args.reuse) for name in args.sizes]
    verdict(results)
    print(f"load average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
