"""Validating a tree the way a build does: pass 1 (`summaries`), duplicate ids and flow
conditions across files, then pass 2 per file (its references against the global ids and,
for a build, its routing), every per-file result cached by content and by what it depends on.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from .. import __version__
from ..compile.index import resolve_units
from ..diagnostics import Diagnostic
from ..language import codec
from ..language.policy import ID_SECTIONS
from ..loader import LoadOptions, root_relative, _pinpoint, policy_files
from ..loader.groups import expand_file, group_members
from ..loader.derive import derivation_errors
from ..loader.resolve import REFERENCES, check_references, duplicates, reference_needs
from .blobs import BUILD_VERSION, collector, hash_text
from .chunks import order_key
from .routing import Routing, load_parsed, route_policy_file
from .store import BundleStore
from .summaries import Light, LazyRaws, needs_key, summaries as summarise_files


_G: dict = {}  # the build's global facts, set before a pool forks and read by its workers


def _pass2(job: tuple) -> dict:
    """Pass 2, one file (in a pool worker): its reference diagnostics against the global ids
    (cached by the file and those ids) and, when the build can go on, its routing (cached by
    the file and the routing facts it depends on)."""
    okey, display, key, refs_key, route_key = job
    store: BundleStore = _G["store"]
    pf = None
    found = store.cache_get("cache/refs", refs_key) if refs_key else None
    if found is None:
        blob = _G["needs"].get(display)
        needs = codec.decode(blob) if blob is not None else None
        if needs is None:
            needs = store.cache_get("cache/needs", needs_key(key))
        if needs is None:
            pf = load_parsed(_G["parse_cache"], key, display)
            needs = reference_needs([pf])
        found = _pinpoint(check_references(needs, _G["index"], _G["partial"]), _G["raws"], _G["limits"])
        if refs_key:
            store.cache_put("cache/refs", refs_key, found)
    route = None
    fresh = False
    if route_key is not None and not any(d.severity.value == "error" for d in found):
        route = store.cache_get("cache/routes", route_key)
        if route is None or not all(store.has(h) for h in route["chunks"].values()):
            if pf is None:
                pf = load_parsed(_G["parse_cache"], key, display)
            if _G.get("groups"):
                pf = expand_file(pf, _G["groups"])
            route = route_policy_file(pf, okey, _G["routing"], store)
            store.cache_put("cache/routes", route_key, route)
            fresh = True
    return {"refs": found, "route": route, "fresh": fresh}


def _groups(index, summaries, displays, parse_cache, diags) -> dict[str, list[str]]:
    """The members of every `unit_groups` entry, read from the (few) files that define groups."""
    if not index.get("unit_groups"):
        return {}
    records = []
    for display, s in zip(displays, summaries):
        if s["ok"] and s["light"].get("unit_groups"):
            records += load_parsed(parse_cache, s["key"], display).unit_groups
    expanded, problems = group_members(records, index["units"])
    diags.extend(problems)
    return expanded


def _pass2_cached(store: BundleStore, job: tuple) -> dict | None:
    """`_pass2`'s result when everything it would compute is cached, else None."""
    _okey, _display_, _key, refs_key, route_key = job
    if refs_key is None:
        return None
    found = store.cache_get("cache/refs", refs_key)
    if found is None:
        return None
    route = None
    if route_key is not None and not any(d.severity.value == "error" for d in found):
        route = store.cache_get("cache/routes", route_key)
        if route is None or not all(store.has(h) for h in route["chunks"].values()):
            return None
    return {"refs": found, "route": route, "fresh": False}



@dataclass
class TreeScan:
    """A tree validated the way a build validates it: per-file summaries (parsed, or from the
    caches), the light global index, and every diagnostic `validate_tree` would report.  With
    `route=True` (a build) each file's routing is computed too, when the tree is valid."""

    paths: list[Path]
    displays: list[str]
    okeys: list[str]
    summaries: list[dict]
    parsed: int
    total_bytes: int
    parse_cache: Path
    index: dict[str, dict]
    revision: str
    diagnostics: list[Diagnostic]
    results: list[dict]
    routing: Routing | None = None
    infos: dict | None = None
    read_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not any(d.severity.value == "error" for d in self.diagnostics)

    def counts(self) -> dict[str, int]:
        return {section: len(self.index[section]) for section in ID_SECTIONS}


def scan_tree(root: str | Path, store: BundleStore, options: LoadOptions = LoadOptions(),
              say: Callable[[str], None] | None = None, route: bool = False) -> TreeScan:
    """Pass 1 (every file summarised, in a pool when it pays), duplicate ids, flow conditions,
    then pass 2 (each file's references; with `route`, its routing).  Every per-file result is
    cached in `store` by content and by the ids it depends on, so after a change to one file
    only that file is parsed and checked again.

    The collector is off meanwhile: the records are acyclic, and full collections over the
    growing unit table (729,000 units nationally) cost a third of a warm national build.
    (Parsing a file afresh turns it back on: the YAML reader leaves cyclic garbage.)"""
    with collector(False):
        return _scan_tree(root, store, options, say, route)


def _scan_tree(root: str | Path, store: BundleStore, options: LoadOptions, say, route: bool) -> TreeScan:
    t0 = time.perf_counter()
    say = say or (lambda _msg: None)
    root = Path(root)
    parse_cache = options.cache_dir or (store.path / "cache" / "parse")
    if not root.exists():
        return TreeScan([], [], [], [], 0, 0, parse_cache, {s: {} for s in ID_SECTIONS}, "",
                        [Diagnostic("no-such-path", f"策略目录 '{root}' 不存在", None,
                                    message_en=f"no such file or directory: {root}")], [])
    limits = options.limits
    paths = policy_files(root)
    displays = [root_relative(p, root) for p in paths]
    by_display = dict(zip(displays, paths))
    okeys = [order_key(root, p) for p in paths]
    workers = options.workers or os.cpu_count() or 1
    total_bytes = sum(p.stat().st_size for p in paths if p.exists())
    use_pool = workers > 1 and len(paths) > 1 and total_bytes >= options.parallel_min_bytes

    # ---- pass 1: every file summarised (parsed, or from the caches)
    summaries, fresh_needs, parsed = summarise_files(paths, displays, store, parse_cache, options, say)
    read_s = time.perf_counter() - t0

    digest = hashlib.sha256()
    problems, diags = [], []
    partial: dict[str, set[str]] = {}
    light_files = []
    for display, s in zip(displays, summaries):
        digest.update(display.encode() + b"\0" + s["digest"])
        if s.get("problem"):
            problems.append(s["problem"])
        diags.extend(s["diags"])
        for section, ids in s["harvested"].items():
            partial.setdefault(section, set()).update(ids)
        if s["ok"]:
            lf = SimpleNamespace(units=s["units"])
            for section, attr in ID_SECTIONS.items():
                if section != "units":
                    setattr(lf, section, [Light(attr, *row) for row in s["light"][section]])
            light_files.append(lf)
    revision = digest.hexdigest()[:16]
    diags = problems + diags
    index, dup = duplicates(light_files)
    diags.extend(dup)
    groups = _groups(index, summaries, displays, parse_cache, diags)
    derive: dict[str, list] = {}
    for s_ in summaries:
        diags.extend(s_.get("flow_diags", ()))
        for section, rows in s_.get("derive", {}).items():
            derive.setdefault(section, []).extend(rows)
    diags.extend(derivation_errors(derive))

    # ---- routing facts (a build, and only when everything so far is valid)
    units = index["units"]
    routing = infos = None
    if route and not any(d.severity.value == "error" for d in diags):
        infos = resolve_units(SimpleNamespace(units=units))  # the collector is off (scan_tree)
        routing = Routing(units, infos)

    # ---- pass 2: references per file, then routing per file (both cached)
    idctx = _ids_context(index, partial)  # every referable id but units (few, rarely changing)
    jobs2 = []
    for i, (display, s) in enumerate(zip(displays, summaries)):
        if not s["ok"]:
            continue
        refs_key = _refs_key(s, idctx, units, partial)
        route_key = None
        if routing is not None:
            ctx = routing.context([*s["refs"], *(u.id for u in s["units"])])
            route_key = hash_text("route", s["key"], ctx, BUILD_VERSION.decode(), __version__,
                                  repr(sorted(groups.items())))
        jobs2.append((okeys[i], display, s["key"], refs_key, route_key))
    _G.update(store=store, parse_cache=parse_cache, index=index, partial=partial, routing=routing, groups=groups,
              raws=LazyRaws(by_display), limits=limits, needs=fresh_needs)
    try:
        # files whose checks and routes are cached are served here; only the others go to the
        # pool (forking this process's large heap for cache hits would cost memory and time)
        results: list = [None] * len(jobs2)
        misses = []
        for n, j in enumerate(jobs2):
            hit = _pass2_cached(store, j)
            if hit is None:
                misses.append(n)
            else:
                results[n] = hit
        done = _pool_map(_pass2, [jobs2[n] for n in misses], workers if use_pool and len(misses) > 8 else 1,
                         say, "检查引用并分片 routed")
        for n, r in zip(misses, done):
            results[n] = r
    finally:
        _G.clear()
    for r in results:
        diags.extend(r["refs"])
    return TreeScan(paths, displays, okeys, summaries, parsed, total_bytes, parse_cache, index, revision,
                    sorted(diags, key=Diagnostic.sort_key), results, routing, infos, read_s)


def validate_incremental(root: str | Path, options: LoadOptions) -> TreeScan:
    """What `admission validate` runs when a cache is on: the build's validation pass, its
    per-file summaries and reference checks cached beside the parse cache.  Unlike
    `validate_tree` it never assembles the whole policy, so re-validating after a change to one
    file parses and checks that file alone and reads only small summaries of the others."""
    if options.cache_dir is None:
        raise ValueError("validate_incremental needs a cache directory")
    return scan_tree(root, BundleStore(Path(options.cache_dir) / "scan"), options)



def _pool_map(fn, jobs: list, workers: int, say, label: str) -> list:
    """`fn` over `jobs` in order, in a forked process pool when it pays (workers see `_G`)."""
    if workers <= 1 or len(jobs) < 2:
        out = []
        for n, j in enumerate(jobs, 1):
            out.append(fn(j))
            if n % 500 == 0:
                say(f"{label} {n}/{len(jobs)}")
        return out
    import multiprocessing

    out = []
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=multiprocessing.get_context("fork")) as pool:
        for n, r in enumerate(pool.map(fn, jobs, chunksize=1), 1):
            out.append(r)
            if n % 500 == 0:
                say(f"{label} {n}/{len(jobs)}")
    return out



REF_SECTIONS = tuple(dict.fromkeys(section for spec in REFERENCES.values() for section, _ in spec.values()))


def _ids_context(index: dict[str, dict], partial: dict[str, set[str]]) -> str:
    """A hash of every id (with names) a reference can point to, units aside: a file's
    reference check depends on these and on the units it names (`_refs_key`)."""
    h = hashlib.sha256()
    for section in REF_SECTIONS:
        if section == "units":
            continue
        h.update(f"#{section}\n".encode())
        for key, rec in index[section].items():
            h.update(f"{key}|{getattr(rec, 'name', '') or ''}\n".encode())
        h.update(f"~{','.join(sorted(partial.get(section, ())))}\n".encode())
    return h.hexdigest()


def _refs_key(summary: dict, idctx: str, units: dict, partial: dict) -> str | None:
    """The cache key of a file's reference diagnostics: its content, the referable ids, and the
    kind and name of every unit it names.  None (not cached) when a named unit is missing:
    the suggestion for a missing id depends on every id."""
    h = hashlib.sha256(f"refs|{summary['key']}|{idctx}|{BUILD_VERSION.decode()}|{__version__}\n".encode())
    for uid in summary["refs"]:
        u = units.get(uid)
        if u is None:
            return None
        h.update(f"{uid}|{u.kind.value}|{u.name}\n".encode())
    return h.hexdigest()
