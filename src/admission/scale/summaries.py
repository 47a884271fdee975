"""Pass 1 of a build: every file read, parsed (or taken from the parse cache) and reduced to
a summary: its digest, diagnostics, units, the light rows of its other ids, the units it names,
the departments whose power lists it holds.  Summaries and reference needs are cached in the
store by the file's content, so after a change to one file only that file is parsed again.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .. import __version__
from ..diagnostics import Diagnostic
from ..language import codec
from ..language.policy import ID_SECTIONS
from ..loader import LoadOptions, parse_file_ex
from ..loader import (  # the loader's own pieces, so a bundle validates exactly like a tree
    _cache_key, _flow_conditions, _read_bytes, read_parse_cache, write_parse_cache,
)
from ..loader.derive import SECTIONS as DERIVED, derivation
from ..loader.resolve import reference_needs
from .blobs import BUILD_VERSION, collector, hash_text
from .store import BundleStore


class Light:
    """What the cross-file checks need of a record that is not a unit: its id, span, name."""

    __slots__ = ("id", "township", "village", "unit", "community", "span", "name", "anchor")

    def __init__(self, attr: str, key: str, span, name, anchor):
        self.id = self.township = self.village = self.unit = self.community = None
        setattr(self, attr, key)
        self.span = span
        self.name = name
        self.anchor = anchor  # templates: the county / owner unit


SUMMARY_FORMAT = "2"  # 2: with the derivation rows of templates and lists


def summary_key(file_key: str) -> str:
    return hash_text("summary", SUMMARY_FORMAT, file_key, BUILD_VERSION.decode(), __version__)


def _derive_rows(pf) -> dict[str, list]:
    """Every template's derivation row, and those of the lists that apply a template."""
    rows: dict[str, list] = {}
    for tsection, lsection, kinds in DERIVED:
        rows[tsection] = [derivation(t, kinds, True) for t in getattr(pf, tsection)]
        rows[lsection] = [derivation(x, kinds, False) for x in getattr(pf, lsection) if x.template]
    return rows


def needs_key(file_key: str) -> str:
    return hash_text("needs", file_key, BUILD_VERSION.decode(), __version__)


def _problem_summary(raw: bytes, problem: Diagnostic) -> dict:
    return {"digest": hashlib.sha256(raw).digest(), "size": len(raw), "problem": problem, "ok": False,
            "diags": [], "harvested": {}, "key": None}


def _parsed(parse_cache: Path, key: str, display: str, raw: bytes, limits) -> tuple:
    """The file's parse result from the parse cache, or parsed afresh and cached."""
    parsed = read_parse_cache(parse_cache, key)
    if parsed is None:
        with collector(True):  # the YAML reader's loader objects are cyclic garbage
            parsed = parse_file_ex(display, raw, limits)
        write_parse_cache(parse_cache, key, codec.encode(parsed))
    return parsed


def _light_rows(pf) -> dict[str, list]:
    light: dict[str, list] = {}
    for section, attr in ID_SECTIONS.items():
        if section == "units":
            continue
        rows = []
        for rec in getattr(pf, section):
            anchor = getattr(rec, "county", None) if section == "township_templates" else (
                getattr(rec, "owner", None) if section == "village_templates" else None)
            rows.append((getattr(rec, attr), rec.span, getattr(rec, "name", None), anchor))
        light[section] = rows
    return light


def summarise(job: tuple) -> tuple[bool, dict | bytes, list | None]:
    """Pass 1, one file (runs in a pool worker): read, parse or take from the parse cache,
    and reduce to what the cross-file phase needs: the summary, and apart from it (cached on
    its own, read only when the file's references must be checked again) the file's
    reference needs.  Returns (parsed afresh?, the summary, the needs); from a pool worker
    (`encoded`) the summary comes as codec bytes."""
    path, display, limits, parse_cache, store_path, encoded = job
    raw, problem = _read_bytes(Path(path), display, limits)
    if problem:
        return False, _problem_summary(raw, problem), None
    key = _cache_key(display, raw)
    store = BundleStore(store_path)
    skey = summary_key(key)
    cached = store.cache_get("cache/summaries", skey)
    if cached is not None:
        return False, cached, None
    pf, diags, harvested = _parsed(parse_cache, key, display, raw, limits)
    out = {"digest": hashlib.sha256(raw).digest(), "size": len(raw), "problem": None, "key": key,
           "ok": pf is not None, "diags": diags, "harvested": harvested}
    needs = None
    if pf is not None:
        needs = reference_needs([pf])
        store.cache_put("cache/needs", needs_key(key), needs)
        out.update({
            "units": list(pf.units), "light": _light_rows(pf), "derive": _derive_rows(pf),
            "refs": sorted({ref for _span, _f, section, _k, ref in needs if section == "units"}),
            "holders": sorted({pl.holder for pl in pf.power_lists}),
            "flow_diags": _flow_conditions([pf], {display: raw}, limits) if pf.flows else [],
        })
    store.cache_put("cache/summaries", skey, out)
    if encoded:
        return True, codec.encode(out), (codec.encode(needs) if needs is not None else None)
    return True, out, needs


def summaries(paths: list[Path], displays: list[str], store: BundleStore, parse_cache: Path, options: LoadOptions,
              say) -> tuple[list[dict], dict[str, bytes], int]:
    """Pass 1 over every file: the summaries (in path order), the reference needs of the files
    summarised afresh (encoded: decoded they would be most of a cold build's memory, copied
    into every forked worker), and how many those were.  Files whose summary is cached are read here
    while a pool (when it pays) summarises the others, so one changed file costs little more
    than its own parse."""
    limits = options.limits
    workers = options.workers or os.cpu_count() or 1
    out: list = [None] * len(paths)
    hits: list[tuple[int, str]] = []
    misses: list[int] = []
    for i, (path, display) in enumerate(zip(paths, displays)):
        raw, problem = _read_bytes(path, display, limits)
        if problem:
            out[i] = _problem_summary(raw, problem)
        elif store.cache_has("cache/summaries", skey := summary_key(_cache_key(display, raw))):
            hits.append((i, skey))
        else:
            misses.append(i)
    miss_bytes = sum(paths[i].stat().st_size for i in misses)
    pooled = bool(workers > 1 and misses and miss_bytes >= options.parallel_min_bytes // 4
                  and (len(misses) > 1 or hits))  # one changed file is worth a worker when others are read meanwhile

    def job(i: int, encoded: bool) -> tuple:
        return str(paths[i]), displays[i], limits, parse_cache, str(store.path), encoded

    fresh_needs: dict[str, bytes] = {}  # kept encoded: a cold national build holds every file's
    parsed = 0

    def take(i: int, result: tuple) -> None:
        nonlocal parsed
        fresh, summary, needs = result
        out[i] = codec.decode(summary) if type(summary) is bytes else summary
        parsed += fresh
        if needs is not None:
            fresh_needs[displays[i]] = needs if type(needs) is bytes else codec.encode(needs)

    pool = None
    if pooled:
        import multiprocessing

        pool = ProcessPoolExecutor(max_workers=min(workers, len(misses)), mp_context=multiprocessing.get_context("fork"))
    try:
        # largest first, so the pool stays busy to the end
        order = sorted(misses, key=lambda i: -paths[i].stat().st_size)
        futures = {i: pool.submit(summarise, job(i, True)) for i in order} if pool else {}
        for n, (i, skey) in enumerate(hits, 1):
            summary = store.cache_get("cache/summaries", skey)
            if summary is None:  # evicted (or bad) since it was seen: summarise it after all
                take(i, summarise(job(i, False)))
            else:
                out[i] = summary
            if n % 500 == 0:
                say(f"读取 read {n}/{len(paths)}")
        with collector(False):
            for n, i in enumerate(order, 1):
                take(i, futures[i].result() if pool else summarise(job(i, False)))
                if n % 500 == 0:
                    say(f"解析 parsed {n}/{len(order)}")
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    return out, fresh_needs, parsed


class LazyRaws(Mapping):
    """File bytes by display name, read on demand (only error paths need them)."""

    def __init__(self, paths: dict[str, Path]):
        self._paths = paths

    def __getitem__(self, display: str) -> bytes:
        return self._paths[display].read_bytes()

    def __contains__(self, display) -> bool:
        return display in self._paths

    def __iter__(self):
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)
