"""The compiled policy bundle: validated once, split into self-contained shards, content-addressed.

A bundle store is a directory:

    STORE/manifest.json            the current revision's manifest
    STORE/revisions/<rev>.json     every revision built into (or fetched from) this store
    STORE/blobs/ab/ab12…           content-addressed blobs: zlib(pickle protocol 5), named by the
                                   SHA-256 of the pickle, verified on every read
    STORE/cache/…                  build caches (per-file summaries, routes, reference checks)
    STORE/checks/…                 per-shard findings, keyed by shard hash, common hash and date

A **shard** is one county: its government, departments, offices, townships, villages and every
record anchored there (power lists of its departments, its templates, township and village
lists, delegations, admissions and assignments that concern it).  Records of other counties a
shard's rules read — a lead department of another county named in a cooperative entry, the
department of a cross-county delegation with its power lists, another county's template,
an actor of another county — are copied into it as *foreign* records, so a check and a
decision need only that shard.  Findings are kept only for subjects the shard *owns*
(its own units, the delegations whose department it holds, the assignments to its units).
The **common** part (province and city units and their departments, every basis and matter,
flows and calendars) goes with every shard.  Units without a county that are townships or
villages form the shard `~`.

A shard is a list of *chunks*, one per policy file that sends records to it (plus one of
foreign copies); every record keeps its global position, so merging chunks restores exactly
the order the YAML loader produces and `run_checks` / `decide` see the same data in the same
order.  The manifest names every blob by hash; a shard's hash is the hash of its chunk list.

The build streams: each file is parsed (or read from the parse cache) and summarised in a
process pool, ids and references are validated with the loader's own functions against a
light global index, and each file is routed to its shards on its own, so memory is bounded by
the global unit table and one file, not by the nation.  Per-file results are cached by content
(and by the routing facts the file depends on), so after a change to one county's file only
that file is parsed and routed again.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import heapq
import io
import json
import os
import pickle
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from pydantic import BaseModel

from .. import __version__
from ..diagnostics import Diagnostic, Span
from ..compile.index import resolve_units
from ..loader import LoadOptions, policy_files
from ..loader import (  # the loader's own pieces, so a bundle validates exactly like a tree
    _cache_get, _cache_key, _cache_put, _display, _flow_conditions, _pinpoint, _read_bytes, code_fingerprint,
    parse_file_ex,
)
from ..loader.resolve import REFERENCES, check_references, duplicates, records, reference_needs
from ..language import entities as e
from ..language.enums import UnitKind
from ..language.policy import ID_SECTIONS, Policy, PolicyFile

__all__ = [
    "FORMAT", "COMMON", "NOCOUNTY", "BuildResult", "Bundle", "BundleStore", "TreeScan", "build_bundle",
    "open_bundle", "publish", "encode", "decode", "scan_tree", "validate_incremental",
]

FORMAT = 1
COMMON = ""  # key of the common part in routing tables and in the unit directory
NOCOUNTY = "~"  # the shard of townships and villages that belong to no county
SECTIONS: tuple[str, ...] = tuple(f for f in PolicyFile.model_fields if f not in ("version", "title"))
COMMON_SECTIONS = frozenset({"bases", "matters", "flows", "calendars"})
PLACE_KINDS = (UnitKind.township, UnitKind.village)
# A record's global position is (its file's order key, its position in the section).  The order
# key sorts files as `policy_files` walks them (a folder's files before its sub-folders, names
# sorted) and depends on the file's own path only, so adding a file moves no other record.


def order_key(root: Path, path: Path) -> tuple:
    parts = path.relative_to(root).parts if path != root else (path.name,)
    return tuple((1, sys.intern(p)) for p in parts[:-1]) + ((0, sys.intern(parts[-1])),)

#: Bumped when the build's caches or blobs change shape (with the package version and the
#: loader's code fingerprint it keys every build cache).
BUILD_VERSION = b"bundle-2"


@contextmanager
def collector(on: bool):
    """Run a block with Python's cyclic garbage collector on or off, restoring it after.  Off
    while many acyclic records are made (collections would scan the growing heap again and
    again); on where code leaves cyclic garbage."""
    was = gc.isenabled()
    if on:
        gc.enable()
    else:
        gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()


# =========================================================================== encoding
_FIELDS: dict[type, tuple[str, ...]] = {}
_set = object.__setattr__
_new = object.__new__


def _fields(cls) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(cls.model_fields)
    return names


def _mk(cls, values, fields_set, span):
    """Rebuild a pydantic record exactly as `BaseModel.__setstate__` would (no validation)."""
    obj = _new(cls)
    _set(obj, "__dict__", dict(zip(_FIELDS.get(cls) or _fields(cls), values)))
    _set(obj, "__pydantic_fields_set__", set(fields_set))
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", {"_span": span})
    return obj


class _Pickler(pickle.Pickler):
    """Deterministic pickling of records: the same content gives the same bytes in any process.

    Strings are interned and dates shared, so pickle's memo (by object identity) depends only
    on values; the fields-set becomes a sorted tuple; a record is (class, values in field
    order, fields set, span)."""

    def __init__(self, fh):
        super().__init__(fh, protocol=5)
        self._dates: dict = {}

    def _canon(self, v):
        t = type(v)
        if t is str:
            return sys.intern(v)
        if t is list:
            return [self._canon(x) for x in v]
        if t is dt.date:
            return self._dates.setdefault(v, v)
        if t is dict:
            return {self._canon(k): self._canon(x) for k, x in v.items()}
        if t is tuple:
            return tuple(self._canon(x) for x in v)
        return v

    def reducer_override(self, obj):
        if isinstance(obj, BaseModel):
            cls = type(obj)
            d = obj.__dict__
            canon = self._canon
            values = tuple(canon(d[n]) for n in _fields(cls))
            fs = tuple(sorted(sys.intern(x) for x in obj.__pydantic_fields_set__))
            private = obj.__pydantic_private__ or {}
            span = private.get("_span")
            if span is not None:
                span = Span(sys.intern(span.file), span.line, span.column, span.end_line, span.end_column)
            return _mk, (cls, values, fs, span)
        if type(obj) is Span:
            return Span, (sys.intern(obj.file), obj.line, obj.column, obj.end_line, obj.end_column)
        return NotImplemented


def encode(obj) -> tuple[str, bytes]:
    """(hash, stored bytes) of `obj`: the hash names the pickle, the bytes are compressed."""
    buf = io.BytesIO()
    _Pickler(buf).dump(_canon_top(obj))
    raw = buf.getvalue()
    return hashlib.sha256(raw).hexdigest(), zlib.compress(raw, 1)


def _canon_top(obj):
    """Interned keys and strings in the plain containers around the records."""
    t = type(obj)
    if t is str:
        return sys.intern(obj)
    if t is dict:
        return {_canon_top(k): _canon_top(v) for k, v in obj.items()}
    if t is list:
        return [_canon_top(x) for x in obj]
    if t is tuple:
        return tuple(_canon_top(x) for x in obj)
    return obj


def decode(data: bytes, expected: str | None = None):
    """Inverse of `encode`; the hash is verified when given.  The cyclic GC is paused while
    the records are made (it would otherwise scan the growing heap again and again)."""
    raw = zlib.decompress(data)
    if expected is not None and hashlib.sha256(raw).hexdigest() != expected:
        raise ValueError(f"bundle blob {expected[:12]}… is corrupt (hash mismatch)")
    with collector(False):
        return pickle.loads(raw)


def _hash_text(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() + b"\0")
    return h.hexdigest()


# =========================================================================== store
class BundleStore:
    """A directory of blobs and manifests (see the module doc)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    # blobs
    def _blob_path(self, h: str) -> Path:
        return self.path / "blobs" / h[:2] / h

    def has(self, h: str) -> bool:
        return self._blob_path(h).exists()

    def put(self, h: str, data: bytes) -> None:
        path = self._blob_path(h)
        if path.exists():
            return
        _atomic_write(path, data)

    def get(self, h: str) -> bytes:
        try:
            return self._blob_path(h).read_bytes()
        except FileNotFoundError:
            raise KeyError(f"blob {h} not in bundle store {self.path}") from None

    # manifests
    def manifest(self, revision: str | None = None) -> dict:
        path = self.path / "manifest.json" if revision is None else self.path / "revisions" / f"{revision}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            what = "no bundle" if revision is None else f"no revision {revision}"
            raise KeyError(f"{what} in bundle store {self.path}") from None

    def save_manifest(self, manifest: dict, current: bool = True) -> None:
        text = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        _atomic_write(self.path / "revisions" / f"{manifest['revision']}.json", text.encode())
        if current:
            _atomic_write(self.path / "manifest.json", text.encode())

    def revisions(self) -> list[str]:
        d = self.path / "revisions"
        return sorted(p.stem for p in d.glob("*.json")) if d.exists() else []

    # small keyed caches (build and check results)
    def cache_get(self, kind: str, key: str):
        path = self.path / kind / key[:2] / key
        try:
            return pickle.loads(path.read_bytes())
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
            return None

    def cache_put(self, kind: str, key: str, value) -> None:
        try:
            _atomic_write(self.path / kind / key[:2] / key, pickle.dumps(value, protocol=5))
        except OSError:
            pass

    def __str__(self) -> str:
        return str(self.path)


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


# =========================================================================== build: pass 1
class _Light:
    """What the cross-file checks need of a record that is not a unit: its id, span, name."""

    __slots__ = ("id", "township", "village", "span", "name", "anchor")

    def __init__(self, attr: str, key: str, span, name, anchor):
        self.id = self.township = self.village = None
        setattr(self, attr, key)
        self.span = span
        self.name = name
        self.anchor = anchor  # templates: the county / owner unit


_UNIT_REF_FIELDS: dict[type, tuple[str, ...]] = {
    model: tuple(f for f, (section, _) in spec.items() if section == "units") for model, spec in REFERENCES.items()
}


def _unit_refs(rec) -> tuple[list[str], list[str]]:
    """Every unit id `rec` (with its nested records) names, and the departments named as
    `taken_by` (whose power lists a check reads)."""
    refs: list[str] = []
    takers: list[str] = []
    for r in records(rec):
        names = _UNIT_REF_FIELDS.get(type(r))
        if not names:
            continue
        for f in names:
            v = getattr(r, f)
            if v is None:
                continue
            if type(v) is list:
                refs.extend(v)
            else:
                refs.append(v)
        if type(r) is e.ReturnedEntry:
            takers.extend(r.taken_by)
    return refs, takers


def _summary_key(file_key: str) -> str:
    return _hash_text("summary", file_key, BUILD_VERSION.decode(), __version__)


def _needs_key(file_key: str) -> str:
    return _hash_text("needs", file_key, BUILD_VERSION.decode(), __version__)


def _problem_summary(raw: bytes, problem: Diagnostic) -> dict:
    return {"digest": hashlib.sha256(raw).digest(), "size": len(raw), "problem": problem, "ok": False,
            "diags": [], "harvested": {}, "key": None}


def _summarise(job: tuple) -> tuple[bool, bytes, bytes | None]:
    """Pass 1, one file (runs in a pool worker): read, parse or take from the parse cache,
    and reduce to what the cross-file phase needs: the summary, and apart from it (cached on
    its own, read only when the file's references must be checked again) the file's
    reference needs."""
    path, display, limits, parse_cache, store_path = job
    raw, problem = _read_bytes(Path(path), display, limits)
    if problem:
        return False, pickle.dumps(_problem_summary(raw, problem), protocol=5), None
    digest = hashlib.sha256(raw).digest()
    key = _cache_key(display, raw)
    store = BundleStore(store_path)
    skey = _summary_key(key)
    cached = store.cache_get("cache/summaries", skey)
    if cached is not None:
        return False, cached, None
    blob = _cache_get(parse_cache, key)
    parsed = None
    if blob is not None:
        try:
            parsed = decode_parse(blob)
        except Exception:
            parsed = None
    if parsed is None:
        with collector(True):  # the YAML reader's loader objects are cyclic garbage
            parsed = parse_file_ex(display, raw, limits)
        _cache_put(parse_cache, key, pickle.dumps(parsed, protocol=pickle.HIGHEST_PROTOCOL))
    pf, diags, harvested = parsed
    out = {"digest": digest, "size": len(raw), "problem": None, "key": key, "ok": pf is not None,
           "diags": diags, "harvested": harvested}
    needs_blob = None
    if pf is not None:
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
        needs = reference_needs([pf])
        needs_blob = pickle.dumps(needs, protocol=5)
        store.cache_put("cache/needs", _needs_key(key), needs_blob)
        out.update({
            "units": list(pf.units), "light": light,
            "refs": sorted({ref for _span, _f, section, _k, ref in needs if section == "units"}),
            "holders": sorted({pl.holder for pl in pf.power_lists}),
            "flow_diags": _flow_conditions([pf], {display: raw}, limits) if pf.flows else [],
        })
    data = pickle.dumps(out, protocol=5)
    store.cache_put("cache/summaries", skey, data)
    return True, data, needs_blob


def _summaries(paths: list[Path], displays: list[str], store: BundleStore, parse_cache: Path, options: LoadOptions,
               say) -> tuple[list[dict], dict[str, bytes], int]:
    """Pass 1 over every file: the summaries (in path order), the reference needs of the files
    summarised afresh, and how many those were.  Files whose summary is cached are read here
    while a pool (when it pays) summarises the others, so one changed file costs little more
    than its own parse."""
    limits = options.limits
    workers = options.workers or os.cpu_count() or 1
    summaries: list = [None] * len(paths)
    hits: list[tuple[int, str]] = []
    misses: list[int] = []
    for i, (path, display) in enumerate(zip(paths, displays)):
        raw, problem = _read_bytes(path, display, limits)
        if problem:
            summaries[i] = _problem_summary(raw, problem)
        elif (store.path / "cache/summaries" / (skey := _summary_key(_cache_key(display, raw)))[:2] / skey).exists():
            hits.append((i, skey))
        else:
            misses.append(i)
    def job(i: int) -> tuple:
        return str(paths[i]), displays[i], limits, parse_cache, str(store.path)

    miss_bytes = sum(paths[i].stat().st_size for i in misses)
    pooled = bool(workers > 1 and misses and miss_bytes >= options.parallel_min_bytes // 4
                  and (len(misses) > 1 or hits))  # one changed file is worth a worker when others are read meanwhile
    fresh_needs: dict[str, bytes] = {}
    parsed = 0

    def take(i: int, result: tuple) -> None:
        nonlocal parsed
        fresh, blob, needs = result
        summaries[i] = decode_parse(blob)
        parsed += fresh
        if needs is not None:
            fresh_needs[displays[i]] = needs

    pool = None
    if pooled:
        import multiprocessing

        pool = ProcessPoolExecutor(max_workers=min(workers, len(misses)), mp_context=multiprocessing.get_context("fork"))
    try:
        # largest first, so the pool stays busy to the end
        order = sorted(misses, key=lambda i: -paths[i].stat().st_size)
        futures = {i: pool.submit(_summarise, job(i)) for i in order} if pool else {}
        for n, (i, skey) in enumerate(hits, 1):
            blob = store.cache_get("cache/summaries", skey)
            if blob is None:  # evicted since it was seen: summarise it after all
                take(i, _summarise(job(i)))
            else:
                summaries[i] = decode_parse(blob)
            if n % 500 == 0:
                say(f"读取 read {n}/{len(paths)}")
        for n, i in enumerate(order, 1):
            take(i, futures[i].result() if pool else _summarise(job(i)))
            if n % 500 == 0:
                say(f"解析 parsed {n}/{len(order)}")
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    return summaries, fresh_needs, parsed


def decode_parse(blob: bytes):
    with collector(False):
        return pickle.loads(blob)


class _LazyRaws(Mapping):
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


# =========================================================================== build: routing
class _Routing:
    """Global facts a file's routing depends on: each unit's shard, attribution, ancestry."""

    def __init__(self, units: dict, infos: dict):
        self.units = units
        self.infos = infos
        home: dict[str, str] = {}
        for uid, info in infos.items():
            if info.county is not None:
                home[uid] = info.county
            elif info.kind in PLACE_KINDS:
                home[uid] = NOCOUNTY
            else:
                home[uid] = COMMON
        self.home = home
        self._anc: dict[str, tuple[str, ...]] = {}

    def ancestors(self, uid: str) -> tuple[str, ...]:
        """`uid` and every unit above it (by `parent`), as far as they exist."""
        out = self._anc.get(uid)
        if out is None:
            chain = []
            cur = uid
            seen = set()
            while cur is not None and cur in self.units and cur not in seen and len(chain) < 64:
                chain.append(cur)
                seen.add(cur)
                cur = self.units[cur].parent
            out = self._anc[uid] = tuple(chain)
        return out

    def attributed(self, uid: str) -> str:
        info = self.infos.get(uid)
        return info.attributed if info is not None else uid

    def context(self, ids: Iterable[str]) -> str:
        """A hash of every routing fact about `ids` (their shards, attribution and ancestry)."""
        h = hashlib.sha256()
        home = self.home
        for uid in sorted(set(ids)):
            if uid not in home:
                h.update(f"{uid}?\n".encode())
                continue
            att = self.attributed(uid)
            anc = ",".join(f"{a}={home[a]}" for a in self.ancestors(uid))
            h.update(f"{uid}|{att}={home.get(att)}|{anc}\n".encode())
        return h.hexdigest()


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
        blob = _G["needs"].get(display) or store.cache_get("cache/needs", _needs_key(key))  # pickled needs
        needs = decode_parse(blob) if blob is not None else None
        if needs is None:
            pf = _load_parsed(_G["parse_cache"], key, display)
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
                pf = _load_parsed(_G["parse_cache"], key, display)
            route = route_policy_file(pf, okey, _G["routing"], store)
            store.cache_put("cache/routes", route_key, route)
            fresh = True
    return {"refs": found, "route": route, "fresh": fresh}


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


def route_policy_file(pf: PolicyFile, okey: tuple, routing: _Routing, store: BundleStore) -> dict:
    home = routing.home
    buckets: dict[str, dict[str, list]] = {}
    own: dict[str, dict[str, list]] = {}
    demands: set[tuple[str, str, str]] = set()

    def put(target: str, section: str, seq: int, rec, owned: str | None) -> None:
        buckets.setdefault(target, {}).setdefault(section, []).append((seq, rec))
        if owned:
            own.setdefault(target, {}).setdefault(owned, []).append(
                rec.id)

    for section in SECTIONS:
        for pos, rec in enumerate(getattr(pf, section)):
            seq = (okey, pos)
            targets: list[str]
            owned_kind: dict[str, str] = {}
            if section in COMMON_SECTIONS:
                targets = [COMMON]
            elif section == "units":
                targets = [home[rec.id]]
                owned_kind[targets[0]] = "units"
            elif section == "power_lists":
                targets = [home[rec.holder]]
            elif section == "township_templates":
                targets = [home[rec.county]]
            elif section == "village_templates":
                targets = [home[rec.owner]]
            elif section == "township_lists":
                targets = [home[rec.township]]
                if rec.template:
                    demands.add((targets[0], "township_templates", rec.template))
            elif section == "village_lists":
                targets = [home[rec.village]]
                if rec.template:
                    demands.add((targets[0], "village_templates", rec.template))
            elif section == "delegations":
                places = [home[t] for t in rec.townships]
                owner = home[rec.department]
                if owner == COMMON:
                    owner = next((p for p in places if p != COMMON), NOCOUNTY)
                targets = list(dict.fromkeys([owner, *(p for p in places if p != COMMON)]))
                owned_kind[owner] = "delegations"
                dept = routing.attributed(rec.department)
                for t in targets:
                    if home.get(dept, COMMON) not in (t, COMMON):
                        demands.add((t, "power", dept))
            elif section == "admissions":
                targets = list(dict.fromkeys(home[t] for t in rec.targets))
            elif section == "assignments":
                targets = [home[rec.to]]
                owned_kind[targets[0]] = "assignments"
            else:  # pragma: no cover - every section is routed above
                raise AssertionError(section)
            refs, takers = _unit_refs(rec)
            for t in targets:
                put(t, section, seq, rec, owned_kind.get(t))
                _demand_refs(routing, t, refs, takers, demands)
    chunks = {}
    for target, sections in buckets.items():
        payload = {"sections": sections, "own": own.get(target, {})}
        h, data = encode(payload)
        store.put(h, data)
        chunks[target] = h
    return {"chunks": chunks, "demands": sorted(demands)}


def _demand_refs(routing: _Routing, target: str, refs, takers, demands: set) -> None:
    """Units (with their ancestors) and power lists of departments that `target` must copy."""
    home = routing.home
    for ref in refs:
        for a in routing.ancestors(ref):
            if home[a] not in (target, COMMON):
                demands.add((target, "unit", a))
    for taker in takers:
        dept = routing.attributed(taker)
        if home.get(dept, COMMON) not in (target, COMMON):
            demands.add((target, "power", dept))


# =========================================================================== build
@dataclass
class BuildResult:
    manifest: dict | None
    diagnostics: list[Diagnostic]
    stats: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.manifest is not None


@dataclass
class TreeScan:
    """A tree validated the way a build validates it: per-file summaries (parsed, or from the
    caches), the light global index, and every diagnostic `validate_tree` would report.  With
    `route=True` (a build) each file's routing is computed too, when the tree is valid."""

    paths: list[Path]
    displays: list[str]
    okeys: list[tuple]
    summaries: list[dict]
    parsed: int
    total_bytes: int
    parse_cache: Path
    index: dict[str, dict]
    revision: str
    diagnostics: list[Diagnostic]
    results: list[dict]
    routing: _Routing | None = None
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
    displays = [_display(p) for p in paths]
    by_display = dict(zip(displays, paths))
    okeys = [order_key(root, p) for p in paths]
    workers = options.workers or os.cpu_count() or 1
    total_bytes = sum(p.stat().st_size for p in paths if p.exists())
    use_pool = workers > 1 and len(paths) > 1 and total_bytes >= options.parallel_min_bytes

    # ---- pass 1: every file summarised (parsed, or from the caches)
    summaries, fresh_needs, parsed = _summaries(paths, displays, store, parse_cache, options, say)
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
                    setattr(lf, section, [_Light(attr, *row) for row in s["light"][section]])
            light_files.append(lf)
    revision = digest.hexdigest()[:16]
    diags = problems + diags
    index, dup = duplicates(light_files)
    diags.extend(dup)
    for s_ in summaries:
        diags.extend(s_.get("flow_diags", ()))

    # ---- routing facts (a build, and only when everything so far is valid)
    units = index["units"]
    routing = infos = None
    if route and not any(d.severity.value == "error" for d in diags):
        infos = resolve_units(SimpleNamespace(units=units))  # the collector is off (scan_tree)
        routing = _Routing(units, infos)

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
            route_key = _hash_text("route", s["key"], ctx, BUILD_VERSION.decode(), __version__)
        jobs2.append((okeys[i], display, s["key"], refs_key, route_key))
    _G.update(store=store, parse_cache=parse_cache, index=index, partial=partial, routing=routing,
              raws=_LazyRaws(by_display), limits=limits, needs=fresh_needs)
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


def build_bundle(root: str | Path, store: str | Path | BundleStore, options: LoadOptions = LoadOptions(),
                 progress: Callable[[str], None] | None = None, current: bool = True) -> BuildResult:
    """Validate the tree under `root` and write it as a bundle revision into `store`.

    Returns the manifest, or every diagnostic (exactly those `validate_tree` reports) when the
    tree does not load.  `options.cache_dir` is the parse cache (None: one inside the store)."""
    t0 = time.perf_counter()
    store = store if isinstance(store, BundleStore) else BundleStore(store)
    store.path.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda _msg: None)
    root = Path(root)
    scan = scan_tree(root, store, options, say, route=True)
    if not scan.ok:
        return BuildResult(None, scan.diagnostics, {"files": len(scan.paths), "bytes": scan.total_bytes,
                                                    "seconds": time.perf_counter() - t0})
    paths, displays, okeys, summaries = scan.paths, scan.displays, scan.okeys, scan.summaries
    index, routing, infos, results, revision = scan.index, scan.routing, scan.infos, scan.results, scan.revision
    parse_cache, total_bytes, parsed, diags = scan.parse_cache, scan.total_bytes, scan.parsed, scan.diagnostics
    units = index["units"]
    t_read = t0 + scan.read_s
    say(f"校验通过 valid: {len(paths)} 个文件 files, 修订 revision {revision}")
    t_valid = time.perf_counter()
    routes = [r["route"] for r in results]
    useq: dict[str, int] = {}
    holders_at: dict[str, list[int]] = {}
    templates_at: dict[tuple[str, str], tuple[int, str | None]] = {}
    for i, s in enumerate(summaries):
        for pos, u in enumerate(s["units"]):
            useq.setdefault(u.id, (okeys[i], pos))
        for h in s["holders"]:
            holders_at.setdefault(h, []).append(i)
        for section in ("township_templates", "village_templates"):
            for key, _span, _name, anchor in s["light"][section]:
                templates_at.setdefault((section, key), (i, anchor))
    t_route = time.perf_counter()

    # ---- foreign copies (units from memory, power lists and templates from their files)
    chunk_lists: dict[str, list[str]] = {}
    for r in routes:
        for target, h in r["chunks"].items():
            chunk_lists.setdefault(target, []).append(h)
    pending = sorted({d for r in routes for d in r["demands"]})
    copies = _fulfil(pending, routing, useq, holders_at, templates_at, summaries, displays, okeys, parse_cache)
    for target, sections in sorted(copies.items()):
        h, data = encode({"sections": sections, "own": {}})
        store.put(h, data)
        chunk_lists.setdefault(target, []).append(h)

    # ---- common: one blob (every shard reads it); shards: their chunk lists
    try:
        previous = store.manifest()
    except KeyError:
        previous = None
    common_chunks = chunk_lists.pop(COMMON, [])
    common_sig = _hash_text("common", *common_chunks)
    if previous and previous.get("common", {}).get("signature") == common_sig and store.has(previous["common"]["hash"]):
        common_hash = previous["common"]["hash"]
        common_bytes = previous["common"]["bytes"]
    else:
        merged = _merge_chunks([decode(store.get(h), h) for h in common_chunks])
        common_hash, data = encode({"sections": merged})
        store.put(common_hash, data)
        common_bytes = len(data)
    shard_keys = sorted({h for h in routing.home.values() if h != COMMON} | {NOCOUNTY})
    shards = {}
    names = {uid: u.name for uid, u in units.items()}
    counts: dict[str, dict[str, int]] = {k: {"townships": 0, "villages": 0, "units": 0} for k in shard_keys}
    for uid, key in routing.home.items():
        if key == COMMON:
            continue
        c = counts[key]
        c["units"] += 1
        kind = infos[uid].kind
        if kind == UnitKind.township:
            c["townships"] += 1
        elif kind == UnitKind.village:
            c["villages"] += 1
    for key in shard_keys:
        chunks = chunk_lists.get(key, [])
        shards[key] = {"hash": _hash_text("shard", *chunks), "chunks": chunks,
                       "bytes": sum(_blob_size(store, h) for h in chunks),
                       "name": names.get(key, "（无县）" if key == NOCOUNTY else key), **counts[key]}
    files_hash, files_data = encode(list(displays))
    store.put(files_hash, files_data)
    directory = {uid: key for uid, key in routing.home.items()}
    dir_hash, data = encode(directory)
    store.put(dir_hash, data)
    manifest = {
        "kind": "admission-bundle", "format": FORMAT, "revision": revision, "version": __version__,
        "code": code_fingerprint().hex()[:16],
        "built": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "root": str(root), "files": len(paths), "bytes": total_bytes,
        "common": {"hash": common_hash, "bytes": common_bytes, "chunks": common_chunks, "signature": common_sig},
        "directory": {"hash": dir_hash, "bytes": len(data), "units": len(directory)},
        "file_list": {"hash": files_hash, "bytes": len(files_data)},
        "shards": shards,
        "counts": {"units": len(units), "matters": len(index["matters"]), "bases": len(index["bases"]),
                   "township_lists": len(index["township_lists"]), "village_lists": len(index["village_lists"]),
                   "delegations": len(index["delegations"]), "admissions": len(index["admissions"]),
                   "assignments": len(index["assignments"]), "shards": len(shards)},
    }
    store.save_manifest(manifest, current=current)
    t_end = time.perf_counter()
    stats = {"files": len(paths), "bytes": total_bytes, "seconds": t_end - t0, "read_s": t_read - t0,
             "validate_route_s": t_valid - t_read, "assemble_s": t_end - t_route,
             "parsed": parsed, "routed": sum(r["fresh"] for r in results), "shards": len(shards)}
    return BuildResult(manifest, sorted(diags, key=Diagnostic.sort_key), stats)


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


def _blob_size(store: BundleStore, h: str) -> int:
    try:
        return store._blob_path(h).stat().st_size
    except OSError:
        return 0


#: The sections a reference can point into (docs: loader/resolve.py REFERENCES).
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


def _load_parsed(parse_cache: Path, key: str, display: str) -> PolicyFile:
    blob = _cache_get(parse_cache, key)
    if blob is None:
        raise RuntimeError(f"parse cache lost {display}; build again")
    return decode_parse(blob)[0]


def _fulfil(pending, routing: _Routing, useq, holders_at, templates_at, summaries, displays, okeys, parse_cache
            ) -> dict[str, dict[str, list]]:
    """Copies of records other shards' rules read, until no copy needs another."""
    home = routing.home
    done: set = set()
    out: dict[str, dict[str, list]] = {}
    files: dict[int, PolicyFile] = {}

    def pf_of(i: int) -> PolicyFile:
        if i not in files:
            if len(files) > 64:
                files.clear()
            files[i] = _load_parsed(parse_cache, summaries[i]["key"], displays[i])
        return files[i]

    queue = list(pending)
    while queue:
        d = queue.pop()
        if d in done:
            continue
        done.add(d)
        target, kind, ident = d
        new: list[tuple[str, int, object]] = []
        if kind == "unit":
            if home.get(ident, target) in (target, COMMON) or ident not in useq:
                continue
            new.append(("units", useq[ident], routing.units[ident]))
        elif kind == "power":
            if home.get(ident, target) in (target, COMMON):
                continue
            for i in holders_at.get(ident, ()):
                for pos, pl in enumerate(pf_of(i).power_lists):
                    if pl.holder == ident:
                        new.append(("power_lists", (okeys[i], pos), pl))
        else:  # a template
            where = templates_at.get((kind, ident))
            if where is None:
                continue
            i, anchor = where
            if anchor is not None and home.get(anchor, target) in (target, COMMON):
                continue
            for pos, tpl in enumerate(getattr(pf_of(i), kind)):
                if tpl.id == ident:
                    new.append((kind, (okeys[i], pos), tpl))
                    break
        more: set = set()
        for section, seq, rec in new:
            out.setdefault(target, {}).setdefault(section, []).append((seq, rec))
            refs, takers = _unit_refs(rec)
            _demand_refs(routing, target, refs, takers, more)
            if section == "units":
                continue
        queue.extend(x for x in more if x not in done)
    for sections in out.values():
        for rows in sections.values():
            rows.sort(key=lambda r: r[0])
    return out


def _merge_chunks(chunks: list[dict]) -> dict[str, list]:
    """Records of several chunks, per section, in global order (duplicates by position dropped)."""
    merged: dict[str, list] = {}
    for section in SECTIONS:
        runs = [c["sections"][section] for c in chunks if section in c["sections"]]
        if not runs:
            continue
        rows = runs[0] if len(runs) == 1 else list(heapq.merge(*runs, key=lambda r: r[0]))
        if len(runs) > 1:
            dedup, last = [], None
            for r in rows:
                if r[0] != last:
                    dedup.append(r)
                    last = r[0]
            rows = dedup
        merged[section] = rows
    return merged


# =========================================================================== reading
def _section_value(section: str, rows: list) -> dict | tuple:
    """A merged section as a `Policy` holds it: id → record (the first of an id wins, as in the
    loader) for sections of records with ids, a tuple for the others."""
    attr = ID_SECTIONS.get(section)
    if attr is None:
        return tuple(r for _, r in rows)
    table: dict = {}
    for _, r in rows:
        table.setdefault(getattr(r, attr), r)
    return table


class _DirSource:
    def __init__(self, store: BundleStore):
        self.store = store

    def get(self, h: str) -> bytes:
        return self.store.get(h)

    def manifest(self, revision: str | None = None) -> dict:
        return self.store.manifest(revision)

    def spec(self) -> str:
        return str(self.store.path)


@dataclass
class Owner:
    """What a shard owns: findings about anything else are another shard's."""

    units: frozenset[str]
    delegations: frozenset[str]
    assignments: frozenset[str]


class Bundle:
    """One revision of a bundle, read lazily from a directory store or a database."""

    def __init__(self, source, manifest: dict):
        if manifest.get("kind") != "admission-bundle" or manifest.get("format") != FORMAT:
            raise ValueError(f"not an admission bundle of format {FORMAT}")
        self.source = source
        self.manifest = manifest
        self._common = None
        self._directory = None

    @property
    def revision(self) -> str:
        return self.manifest["revision"]

    @property
    def shards(self) -> dict[str, dict]:
        return self.manifest["shards"]

    def blob(self, h: str):
        return decode(self.source.get(h), h)

    def directory(self) -> dict[str, str]:
        """unit id → shard key (`""` for the common part)."""
        if self._directory is None:
            self._directory = self.blob(self.manifest["directory"]["hash"])
        return self._directory

    def common(self) -> dict:
        if self._common is None:
            payload = self.blob(self.manifest["common"]["hash"])
            sections = payload["sections"]
            shared = {}
            for section in SECTIONS:
                rows = sections.get(section, [])
                attr = ID_SECTIONS.get(section)
                shared[section] = {getattr(r, attr): r for _, r in rows} if attr else tuple(r for _, r in rows)
            files = self.manifest.get("file_list")
            self._common = {"rows": sections, "dicts": shared, "root": self.manifest["root"],
                            "files": tuple(self.blob(files["hash"])) if files else ()}
        return self._common

    def shard_policy(self, key: str) -> tuple[Policy, Owner]:
        """The policy a shard's checks and decisions read: common part + the shard's chunks."""
        common = self.common()
        chunks = [self.blob(h) for h in self.shards[key]["chunks"]]
        with collector(False):
            merged = _merge_chunks([{"sections": common["rows"]}, *chunks])
            values = {}
            for section in SECTIONS:
                if section in COMMON_SECTIONS and not any(section in c["sections"] for c in chunks):
                    values[section] = common["dicts"][section]
                else:
                    values[section] = _section_value(section, merged.get(section, []))
            own = {"units": set(), "delegations": set(), "assignments": set()}
            for c in chunks:
                for kind, ids in c["own"].items():
                    own[kind].update(ids)
        policy = Policy(root=common["root"], revision=self.revision, files=common["files"],
                        stats={"shard": key, "files": len(common["files"])}, **values)
        return policy, Owner(frozenset(own["units"]), frozenset(own["delegations"]), frozenset(own["assignments"]))

    def policy(self) -> Policy:
        """The whole policy, every shard merged (small trees and tests; the nation does not fit)."""
        common = self.common()
        chunks = [self.blob(h) for s in self.shards.values() for h in s["chunks"]]
        with collector(False):  # acyclic records; a province's worth of them
            merged = _merge_chunks([{"sections": common["rows"]}, *chunks])
            values = {section: _section_value(section, merged.get(section, [])) for section in SECTIONS}
        return Policy(root=common["root"], revision=self.revision, files=common["files"],
                      stats={"files": len(common["files"])}, **values)

    def spec(self) -> str:
        return self.source.spec()


def open_bundle(spec: str | Path, revision: str | None = None) -> Bundle:
    """A bundle from a store directory, or from a database URL (`sqlite:///…`, `postgresql://…`)
    where it was published; `revision` None is the current one."""
    text = str(spec)
    if "://" in text:
        from ..store.bundle_tables import DbSource

        source = DbSource(text)
    else:
        source = _DirSource(BundleStore(text))
    return Bundle(source, source.manifest(revision))


def publish(store: str | Path | BundleStore, url: str, revision: str | None = None) -> dict:
    """Copy one revision (default: the store's current) and its blobs into the database at
    `url` and make it the current revision there.  Returns counts."""
    from ..store.bundle_tables import publish_manifest

    store = store if isinstance(store, BundleStore) else BundleStore(store)
    manifest = store.manifest(revision)
    return publish_manifest(manifest, blob_hashes(manifest), store.get, url)


def blob_hashes(manifest: dict) -> list[str]:
    """Every blob a revision needs."""
    out = [manifest["common"]["hash"], manifest["directory"]["hash"], manifest["file_list"]["hash"]]
    for s in manifest["shards"].values():
        out.extend(s["chunks"])
    return list(dict.fromkeys(out))
