"""The entry points: `generate` builds, injects into and writes a tree and its manifest.json;
`inject_all` is a tree with one violation of every rule."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from .generator import Generator
from .records import Manifest
from .rules import RULES
from .writer import Writer


def generate(out_dir: Path, townships: int, seed: int = 0, templates: bool = True,
             violations: dict[str, int] | None = None) -> Manifest:
    """Write a synthetic policy tree of `townships` townships under `out_dir`; see the package doc.

    `out_dir` must be empty, absent, or a tree this function wrote before (it is replaced)."""
    start = time.perf_counter()
    out_dir = Path(out_dir)
    violations = {k: int(v) for k, v in (violations or {}).items() if int(v) > 0}
    unknown = sorted(set(violations) - set(RULES))
    if unknown:
        raise ValueError(f"unknown rule id(s): {', '.join(unknown)}; known: {', '.join(RULES)}")
    if townships < 1:
        raise ValueError("townships must be at least 1")
    clear(out_dir)
    gen = Generator(townships, seed, templates)
    gen.build()
    gen.inject(violations)
    gen.assignments()
    gen.exercises()
    gen.registers()
    w = Writer(gen, out_dir)
    w.province()
    for city in gen.cities:
        w.city(city)
    for county in gen.counties:
        w.county(county)
    manifest = Manifest(seed=seed, townships=townships, templates=templates, violations=gen.manifest)
    manifest.counts = counts(gen, w)
    (out_dir / "manifest.json").write_text(json.dumps(manifest.to_dict(), ensure_ascii=False, indent=2) + "\n",
                                           encoding="utf-8")
    manifest.seconds = time.perf_counter() - start
    return manifest


def clear(out_dir: Path) -> None:
    """Make `out_dir` an empty folder, refusing to empty one this module did not write."""
    if out_dir.exists() and any(out_dir.iterdir()):
        if not (out_dir / "manifest.json").exists():
            raise FileExistsError(f"{out_dir} is not empty and holds no synth manifest.json; refusing to overwrite")
        for child in out_dir.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)


def counts(gen: Generator, w: Writer) -> dict:
    """The sizes of the tree written, for manifest.json."""
    return {
        "files": w.files, "bytes": w.bytes, "cities": len(gen.cities), "counties": len(gen.counties),
        "townships": len(gen.towns), "villages": w.counts.get("villages", 0),
        "departments": sum(len(c.depts) for c in gen.counties),
        "matters": len(gen.matters),
        "township_entries": w.township_entries, "village_entries": w.village_entries,
        "entries": w.township_entries + w.village_entries,
        "delegations": sum(len(c.delegations) for c in gen.counties),
        "admissions": sum(len(c.admissions) for c in gen.counties),
        "assignments": sum(len(c.assignments) for c in gen.counties),
        "exercises": sum(len(c.exercises) for c in gen.counties),
        "injected": len(gen.manifest),
    }


def inject_all(out: Path, townships: int, seed: int = 0, templates: bool = True) -> Manifest:
    """A tree with one injected violation of every rule."""
    return generate(out, townships, seed, templates=templates, violations={r: 1 for r in RULES})
