"""Issue 20: what the registers cost the full check.  Generates a synthetic tree (`admission.synth`,
one injected violation of every rule) with the code on PYTHONPATH, then times, in this process,
the load (from a warm parse cache), the index and `run_checks` — best of `--repeat` runs — and
prints the figures with the register records counted.  Run it once with the code before the
registers and once with it after, on the same machine, and compare the check figures:

    PYTHONPATH=/path/to/main/src .venv/bin/python bench/registers.py --townships 1000 --out bench/out/reg-before
    PYTHONPATH=src               .venv/bin/python bench/registers.py --townships 1000 --out bench/out/reg-after
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from admission.compile.index import build_index
from admission.evaluate.checks import run_checks
from admission.loader import LoadOptions, load_policy
from admission.synth import CHECK_DATE, RULES, generate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--townships", type=int, default=1000)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    tree = args.out / "tree"
    generate(tree, args.townships, 0, violations={r: 1 for r in RULES})
    opts = LoadOptions(cache_dir=args.out / "cache", workers=1)
    load_policy(tree, opts)  # warm the parse cache
    best: dict[str, float] = {}
    findings = 0
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        policy = load_policy(tree, opts)
        t1 = time.perf_counter()
        index = build_index(policy)
        t2 = time.perf_counter()
        findings = len(run_checks(policy, CHECK_DATE, index))
        t3 = time.perf_counter()
        for k, v in (("load", t1 - t0), ("index", t2 - t1), ("check", t3 - t2), ("total", t3 - t0)):
            best[k] = min(best.get(k, v), v)
    registers = sum(len(getattr(policy, s, {})) for s in (
        "inspection_plans", "inspections", "document_counts", "secondments", "board_registers", "seal_scopes",
        "seal_uses", "evaluation_items", "forms", "data_requests"))
    print(json.dumps({"townships": args.townships, "rules": len(RULES), "findings": findings,
                      "register_records": registers, **{k: round(v, 2) for k, v in best.items()}}, ensure_ascii=False))


if __name__ == "__main__":
    main()
