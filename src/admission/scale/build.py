"""Building a bundle revision: validate the tree (`scan`), gather the foreign copies
(`routing`), write the common part, the shards' chunk lists, the unit directory and the
manifest into a store.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..diagnostics import Diagnostic
from ..language.enums import UnitKind
from ..loader import LoadOptions, code_fingerprint
from .blobs import FORMAT, decode, encode, hash_text
from .chunks import COMMON, NOCOUNTY, merge_chunks
from .routing import fulfil
from .scan import scan_tree
from .signing import sign_manifest
from .store import BundleStore


@dataclass
class BuildResult:
    manifest: dict | None
    diagnostics: list[Diagnostic]
    stats: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.manifest is not None



def build_bundle(root: str | Path, store: str | Path | BundleStore, options: LoadOptions = LoadOptions(),
                 progress: Callable[[str], None] | None = None, current: bool = True,
                 sign_key=None) -> BuildResult:
    """Validate the tree under `root` and write it as a bundle revision into `store`.

    Returns the manifest, or every diagnostic (exactly those `validate_tree` reports) when the
    tree does not load.  `options.cache_dir` is the parse cache (None: one inside the store).
    The manifest's `sequence` is one above the store's current revision's; with `sign_key`
    (an Ed25519 private key) the manifest is signed."""
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
    useq: dict[str, tuple[str, int]] = {}
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
    copies = fulfil(pending, routing, useq, holders_at, templates_at, summaries, displays, okeys, parse_cache)
    for target, sections in sorted(copies.items()):
        h, data = encode({"sections": sections, "own": {}})
        store.put(h, data)
        chunk_lists.setdefault(target, []).append(h)

    # ---- common: one blob (every shard reads it); shards: their chunk lists
    try:
        previous = store.manifest()
    except (KeyError, ValueError):  # none yet, or unreadable: this build starts afresh
        previous = None
    common_chunks = chunk_lists.pop(COMMON, [])
    common_sig = hash_text("common", *common_chunks)
    if previous and previous.get("common", {}).get("signature") == common_sig and store.has(previous["common"]["hash"]):
        common_hash = previous["common"]["hash"]
        common_bytes = previous["common"]["bytes"]
    else:
        merged = merge_chunks([decode(store.get(h), h) for h in common_chunks])
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
        shards[key] = {"hash": hash_text("shard", *chunks), "chunks": chunks,
                       "bytes": sum(store.blob_size(h) for h in chunks),
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
        "root": root.resolve().name, "files": len(paths), "bytes": total_bytes,  # the folder name only: never where the tree lay on the build machine
        "common": {"hash": common_hash, "bytes": common_bytes, "chunks": common_chunks, "signature": common_sig},
        "directory": {"hash": dir_hash, "bytes": len(data), "units": len(directory)},
        "file_list": {"hash": files_hash, "bytes": len(files_data)},
        "shards": shards,
        "counts": {"units": len(units), "matters": len(index["matters"]), "bases": len(index["bases"]),
                   "township_lists": len(index["township_lists"]), "village_lists": len(index["village_lists"]),
                   "delegations": len(index["delegations"]), "admissions": len(index["admissions"]),
                   "assignments": len(index["assignments"]), "shards": len(shards)},
    }
    manifest["sequence"] = _next_sequence(previous)
    if sign_key is not None:
        manifest = sign_manifest(manifest, sign_key)
    store.save_manifest(manifest, current=current)
    t_end = time.perf_counter()
    stats = {"files": len(paths), "bytes": total_bytes, "seconds": t_end - t0, "read_s": t_read - t0,
             "validate_route_s": t_valid - t_read, "assemble_s": t_end - t_route,
             "parsed": parsed, "routed": sum(r["fresh"] for r in results), "shards": len(shards)}
    return BuildResult(manifest, sorted(diags, key=Diagnostic.sort_key), stats)


def _next_sequence(previous: dict | None) -> int:
    """One above the previous revision's counter (replicas refuse a revision not above theirs)."""
    seq = previous.get("sequence") if previous else None
    return seq + 1 if type(seq) is int and seq >= 0 else 1
