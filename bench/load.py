"""Load-and-validate benchmark: the bundled `policies/` and generated trees with and without templates.

For each tree: bytes, files, YAML nodes (exact: scalar, mapping and sequence events counted with
`yaml.parse` and libyaml's CSafeLoader), expanded list entries (townships and villages,
`admission.compile.expand.expanded_count`), the cold load+validate time with a fresh empty parse cache
and the default process pool (`LoadOptions(workers=None, cache_dir=<fresh tmp>)`), its peak
memory; then what `admission validate` runs (`bundle.validate_incremental`: per-file summaries
and reference checks cached, the whole policy never assembled), cold with its own fresh cache
and again after ONE county file changed (only that file is parsed again; `parsed` is reported);
and, for comparison, the full load after that change (`validate_tree` with a warm parse cache:
every cached file is read back into the whole policy, as `check` and `serve` need it; the
bundle of `admission build` is the fast way to that).

Wall time and CPU time (user+sys of the measuring process and its reaped pool workers) are both
reported, with the 1-minute load average: on a shared machine CPU time is the steadier figure.
Every measurement runs in a fresh interpreter, so peaks are not inherited and the warm run pays
what a real CLI run pays (reading every cached result back).  Peak memory is reported three
ways: `ru_maxrss` of the measuring process, `ru_maxrss` of its largest child (pool worker),
and the sampled peak of the summed RSS of the whole process tree (every 20 ms; shared pages of
forked workers count once per process, so it is an upper bound).

    .venv/bin/python bench/load.py [--townships 1000] [--seed 0] [--regen] [--profile]

Generated trees are cached in bench/out/ (gitignored) and regenerated when the synth package changes.
Targets: 1,000 townships without templates cold < 60 s and < 2 GB; one-county re-validation
< 2 s; the bundled policies < 1 s.  `--profile` adds a cProfile of a sequential cold load of
the largest tree's biggest files and of the cross-file phase.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from procmem import TreeSampler  # noqa: E402  (bench/, the script's own directory)

TARGETS = {"cold_s": 60.0, "peak_mb": 2048.0, "warm_s": 2.0, "bundled_s": 1.0}


# --------------------------------------------------------------------------- child mode
def measure(directory: Path, cache: Path, expand: bool, mode: str = "load") -> dict:
    """Runs in a fresh interpreter: one `validate_tree` call (mode "load": the whole policy, as
    `check` and `serve` need it) or one `validate_incremental` call (mode "validate": what
    `admission validate` runs), timed, with memory peaks."""
    from admission.scale.bundle import validate_incremental
    from admission.loader import LoadOptions, validate_tree

    def cpu() -> float:
        s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime

    sampler = TreeSampler()
    sampler.start()
    c0, t0 = cpu(), time.perf_counter()
    options = LoadOptions(workers=None, cache_dir=cache)
    if mode == "validate":
        scan = validate_incremental(directory, options)
        result = SimpleNamespace(ok=scan.ok, parsed=scan.parsed, diagnostics=scan.diagnostics, policy=None)
    else:
        result = validate_tree(directory, options)
    seconds = time.perf_counter() - t0
    cpu_s = cpu() - c0  # children count once they are reaped (the pool is shut down inside the call)
    tree_kb = sampler.stop() * 1024
    out = {
        "seconds": seconds, "cpu": cpu_s, "load": os.getloadavg()[0], "ok": result.ok, "parsed": result.parsed,
        "errors": sum(1 for d in result.diagnostics if d.severity.value == "error"),
        "rss_self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_child_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "rss_tree_mb": tree_kb / 1024,
    }
    if expand and result.policy is not None:
        from admission.compile.expand import expanded_count

        out["entries"] = expanded_count(result.policy)
        out["files"] = result.policy.stats["files"]
    return out


def run_child(directory: Path, cache: Path, expand: bool, mode: str = "load") -> dict:
    cmd = [sys.executable, __file__, "--measure", str(directory), "--cache", str(cache), "--mode", mode]
    if expand:
        cmd.append("--expand")
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"measurement failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- parent mode
def yaml_nodes(directory: Path) -> tuple[int, int]:
    """Exact count of YAML nodes (scalars, mappings, sequences) and bytes of the policy files."""
    import yaml

    from admission.loader import policy_files

    kinds = (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)
    nodes = size = 0
    for path in policy_files(directory):
        raw = path.read_bytes()
        size += len(raw)
        nodes += sum(1 for ev in yaml.parse(raw, Loader=yaml.CSafeLoader) if isinstance(ev, kinds))
    return nodes, size


def synth_stamp() -> str:
    from admission import code_digest

    return code_digest("synth").hexdigest()[:16]


def ensure_tree(townships: int, seed: int, templates: bool, regen: bool) -> Path:
    from admission.synth import generate

    out = ROOT / "bench" / "out" / f"load-{townships}-{seed}-{'tpl' if templates else 'flat'}"
    stamp = out / ".bench-stamp"  # dot files are not policy files
    if regen or not stamp.exists() or stamp.read_text() != synth_stamp():
        t = time.perf_counter()
        m = generate(out, townships, seed=seed, templates=templates)
        stamp.write_text(synth_stamp())
        print(f"  generated {out.relative_to(ROOT)} in {time.perf_counter() - t:.1f} s "
              f"({m.counts['bytes'] / 2**20:.1f} MiB, {m.counts['files']} files)", flush=True)
    return out


def biggest_county_file(directory: Path) -> Path | None:
    from admission.loader import policy_files

    files = [p for p in policy_files(directory) if not p.name.endswith(("省级.yaml", "事项目录.yaml", "市本级.yaml"))]
    return max(files, key=lambda p: (p.stat().st_size, str(p))) if files else None


def bench_tree(label: str, directory: Path) -> dict:
    print(f"- {label}: {directory.relative_to(ROOT) if directory.is_relative_to(ROOT) else directory}", flush=True)
    nodes, size = yaml_nodes(directory)
    with tempfile.TemporaryDirectory(prefix="admission-bench-cache-") as tmp:
        cache, vcache = Path(tmp) / "load", Path(tmp) / "validate"
        cold = run_child(directory, cache, expand=True)
        vcold = run_child(directory, vcache, expand=False, mode="validate")
        row = {"tree": label, "bytes": size, "files": cold.get("files"), "nodes": nodes,
               "entries": cold.get("entries"), "cold_s": cold["seconds"], "cold_cpu": cold["cpu"],
               "load": cold["load"], "ok": cold["ok"],
               "errors": cold["errors"], "rss_self_mb": cold["rss_self_mb"], "rss_child_mb": cold["rss_child_mb"],
               "rss_tree_mb": cold["rss_tree_mb"]}
        target = biggest_county_file(directory)
        if target is not None:
            original = target.read_bytes()
            try:
                target.write_bytes(original + f"# bench: touched {time.time_ns()}\n".encode())
                warm = run_child(directory, vcache, expand=False, mode="validate")
                warm_load = run_child(directory, cache, expand=False)
            finally:
                target.write_bytes(original)
            row.update(warm_s=warm["seconds"], warm_cpu=warm["cpu"], warm_parsed=warm["parsed"], warm_file=target.name,
                       warm_rss_mb=max(warm["rss_self_mb"], warm["rss_tree_mb"]),
                       warm_load_s=warm_load["seconds"], warm_load_parsed=warm_load["parsed"])
        row.update(validate_cold_s=vcold["seconds"], validate_cold_cpu=vcold["cpu"],
                   validate_cold_mb=vcold["rss_tree_mb"])
    print(f"  load: cold {row['cold_s']:.2f} s, peak tree {row['rss_tree_mb']:.0f} MB, after one change "
          f"{row.get('warm_load_s', float('nan')):.2f} s; validate: cold {row['validate_cold_s']:.2f} s, "
          f"after one change {row.get('warm_s', float('nan')):.2f} s ({row.get('warm_parsed')} parsed)", flush=True)
    return row


def table(rows: list[dict]) -> str:
    head = ("tree", "MiB", "files", "YAML nodes", "entries", "load cold s", "cold cpu s", "peak MB tree/self/child",
            "load after 1 change s", "validate cold s", "validate after 1 change s", "cpu s", "parsed", "load avg")
    lines = [head]
    for r in rows:
        lines.append((
            r["tree"], f"{r['bytes'] / 2**20:.1f}", str(r["files"]), f"{r['nodes']:,}",
            f"{r['entries']:,}" if r["entries"] is not None else "-",
            f"{r['cold_s']:.2f}" + ("" if r["ok"] else f" ({r['errors']} errors)"), f"{r['cold_cpu']:.1f}",
            f"{r['rss_tree_mb']:.0f}/{r['rss_self_mb']:.0f}/{r['rss_child_mb']:.0f}",
            f"{r['warm_load_s']:.2f}" if "warm_load_s" in r else "-", f"{r['validate_cold_s']:.2f}",
            f"{r['warm_s']:.2f}" if "warm_s" in r else "-", f"{r['warm_cpu']:.1f}" if "warm_cpu" in r else "-",
            str(r.get("warm_parsed", "-")), f"{r['load']:.1f}"))
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(head))]
    out = []
    for k, line in enumerate(lines):
        out.append("  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(line, widths))))
        if k == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def verdicts(rows: list[dict], townships: int) -> list[str]:
    out = []
    by = {r["tree"]: r for r in rows}
    bundled = by.get("policies/")
    if bundled:
        out.append(_verdict("bundled policies cold", bundled["cold_s"], TARGETS["bundled_s"], "s"))
    flat = by.get(f"synth {townships} no templates")
    if flat:
        scale = "" if townships == 1000 else f" (at {townships} townships; targets are for 1,000)"
        out.append(_verdict("no templates cold" + scale, flat["cold_s"], TARGETS["cold_s"], "s"))
        out.append(_verdict("no templates peak memory (tree sum)" + scale, flat["rss_tree_mb"], TARGETS["peak_mb"], "MB"))
    for r in rows:
        if "warm_s" in r and r["tree"] != "policies/":
            out.append(_verdict(f"{r['tree']}: one-county re-validation (admission validate)", r["warm_s"],
                                TARGETS["warm_s"], "s"))
    return out


def _verdict(what: str, value: float, limit: float, unit: str) -> str:
    return f"{'ok  ' if value < limit else 'MISS'} {what}: {value:.2f} {unit} (target < {limit:g} {unit})"


def profile(directory: Path) -> None:
    """Where a cold load spends its time: the per-file parse (sequential, biggest files) and the
    cross-file phase, with cProfile."""
    import cProfile
    import pstats

    from admission.loader import LoadOptions, Limits, parse_file, policy_files, validate_tree

    files = sorted(policy_files(directory), key=lambda p: -p.stat().st_size)[:3]
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    for p in files:
        parse_file(str(p), p.read_bytes(), Limits())
    prof.disable()
    size = sum(p.stat().st_size for p in files)
    print(f"\nprofile: parse_file on the 3 biggest files ({size / 2**20:.1f} MiB) took {time.perf_counter() - t:.2f} s "
          f"under cProfile")
    pstats.Stats(prof).sort_stats("tottime").print_stats(15)
    with tempfile.TemporaryDirectory() as tmp:
        validate_tree(directory, LoadOptions(workers=None, cache_dir=Path(tmp)))  # fill the cache
        prof = cProfile.Profile()
        t = time.perf_counter()
        prof.enable()
        validate_tree(directory, LoadOptions(workers=None, cache_dir=Path(tmp)))  # everything cached
        prof.disable()
        print(f"profile: fully cached validate_tree (unpickle + cross-file phase) {time.perf_counter() - t:.2f} s "
              f"under cProfile")
        pstats.Stats(prof).sort_stats("cumulative").print_stats(20)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--townships", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--regen", action="store_true", help="regenerate the synthetic trees")
    ap.add_argument("--skip-bundled", action="store_true")
    ap.add_argument("--profile", action="store_true", help="cProfile a cold load of the no-template tree")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON here")
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--expand", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--mode", default="load", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.cache, args.expand, args.mode)))
        return 0

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs", flush=True)
    rows = []
    bundled = ROOT / "policies"
    if not args.skip_bundled and bundled.exists() and any(bundled.rglob("*.yaml")):
        rows.append(bench_tree("policies/", bundled))
    for templates in (True, False):
        out = ensure_tree(args.townships, args.seed, templates, args.regen)
        rows.append(bench_tree(f"synth {args.townships} {'templates' if templates else 'no templates'}", out))
    print()
    print(table(rows))
    print()
    for line in verdicts(rows, args.townships):
        print(line)
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if args.profile:
        profile(ensure_tree(args.townships, args.seed, False, False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
