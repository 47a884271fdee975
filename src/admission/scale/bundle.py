"""The compiled policy bundle: validated once, split into self-contained shards, content-addressed.

A bundle store (`store`) holds blobs named by the SHA-256 of their content, written in a
data-only form that cannot run code (`blobs`, `admission.language.codec`), and revision
manifests, which a builder may sign (`signing`).

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
order (`chunks`).  The manifest names every blob by hash; a shard's hash is the hash of its
chunk list.

The build (`build`, `scan`, `summaries`, `routing`) streams: each file is parsed (or read
from the parse cache) and summarised in a process pool, ids and references are validated with
the loader's own functions against a light global index, and each file is routed to its
shards on its own, so memory is bounded by the global unit table and one file, not by the
nation.  Per-file results are cached by content (and by the routing facts the file depends
on), so after a change to one county's file only that file is parsed and routed again.

This module reads revisions (`Bundle`, `open_bundle`, `publish`) and gathers the package's
public names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..language.policy import ID_SECTIONS, Policy
from .blobs import FORMAT, BlobError, collector, decode, encode
from .build import BuildResult, build_bundle
from .chunks import COMMON, COMMON_SECTIONS, NOCOUNTY, SECTIONS, merge_chunks, section_value
from .scan import TreeScan, scan_tree, validate_incremental
from .signing import TrustError, check_sequence, verify_manifest
from .store import BundleStore

__all__ = [
    "FORMAT", "COMMON", "NOCOUNTY", "BlobError", "BuildResult", "Bundle", "BundleStore", "TreeScan", "TrustError",
    "build_bundle", "collector", "open_bundle", "publish", "encode", "decode", "scan_tree", "validate_incremental",
]


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
    exercises: frozenset[str] = frozenset()


class Bundle:
    """One revision of a bundle, read lazily from a directory store or a database."""

    def __init__(self, source, manifest: dict, verify_key=None, min_sequence: int = 0):
        if not isinstance(manifest, dict) or manifest.get("kind") != "admission-bundle":
            raise ValueError("not an admission bundle manifest")
        if manifest.get("format") != FORMAT:
            raise ValueError(f"bundle format {manifest.get('format')} is not {FORMAT}: build the bundle again "
                             f"with this version (format 1 stored pickles and is no longer read)")
        if verify_key is not None:
            verify_manifest(manifest, verify_key, min_sequence)
        elif min_sequence:
            check_sequence(manifest, min_sequence)
        _check_shape(manifest)
        self.source = source
        self.manifest = manifest
        self._common = None
        self._directory = None
        self._names = frozenset(blob_hashes(manifest))

    @property
    def revision(self) -> str:
        return self.manifest["revision"]

    @property
    def shards(self) -> dict[str, dict]:
        return self.manifest["shards"]

    @property
    def sequence(self) -> int:
        return self.manifest.get("sequence", 0)

    @property
    def signed(self) -> bool:
        return "signature" in self.manifest

    def blob(self, h: str):
        """A blob the manifest names, checked against that hash before it is decoded."""
        if h not in self._names:
            raise BlobError(f"blob {h[:12]}… is not named by revision {self.revision}")
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
            merged = merge_chunks([{"sections": common["rows"]}, *chunks])
            values = {}
            for section in SECTIONS:
                if section in COMMON_SECTIONS and not any(section in c["sections"] for c in chunks):
                    values[section] = common["dicts"][section]
                else:
                    values[section] = section_value(section, merged.get(section, []))
            own = {"units": set(), "delegations": set(), "assignments": set(), "exercises": set()}
            for c in chunks:
                for kind, ids in c["own"].items():
                    own[kind].update(ids)
        policy = Policy(root=common["root"], revision=self.revision, files=common["files"],
                        stats={"shard": key, "files": len(common["files"])}, **values)
        return policy, Owner(frozenset(own["units"]), frozenset(own["delegations"]), frozenset(own["assignments"]),
                             frozenset(own["exercises"]))

    def policy(self) -> Policy:
        """The whole policy, every shard merged (small trees and tests; the nation does not fit)."""
        common = self.common()
        chunks = [self.blob(h) for s in self.shards.values() for h in s["chunks"]]
        with collector(False):  # acyclic records; a province's worth of them
            merged = merge_chunks([{"sections": common["rows"]}, *chunks])
            values = {section: section_value(section, merged.get(section, [])) for section in SECTIONS}
        return Policy(root=common["root"], revision=self.revision, files=common["files"],
                      stats={"files": len(common["files"]), "sequence": self.sequence}, **values)

    def spec(self) -> str:
        return self.source.spec()


def source_for(spec: str | Path):
    """Where a bundle's manifests and blobs are read: a store directory or a database URL."""
    text = str(spec)
    if "://" in text:
        from ..store.bundle_tables import DbSource

        return DbSource(text)
    return _DirSource(BundleStore(text))


def open_bundle(spec: str | Path, revision: str | None = None, verify_key=None, min_sequence: int = 0) -> Bundle:
    """A bundle from a store directory, or from a database URL (`sqlite:///…`, `postgresql://…`)
    where it was published; `revision` None is the current one.  With `verify_key` (an Ed25519
    public key) only a revision signed by it, with a sequence of at least `min_sequence`, opens
    (`TrustError` otherwise)."""
    source = source_for(spec)
    return Bundle(source, source.manifest(revision), verify_key, min_sequence)


def publish(store: str | Path | BundleStore, url: str, revision: str | None = None) -> dict:
    """Copy one revision (default: the store's current) and its blobs into the database at
    `url` and make it the current revision there.  Returns counts."""
    from ..store.bundle_tables import publish_manifest

    store = store if isinstance(store, BundleStore) else BundleStore(store)
    manifest = store.manifest(revision)
    return publish_manifest(manifest, blob_hashes(manifest), store.get, url)


def _check_shape(manifest: dict) -> None:
    """The members a reader relies on, with their types (a clear error, not a KeyError later)."""
    try:
        ok = (isinstance(manifest["revision"], str) and all(
            isinstance(manifest[k]["hash"], str) for k in ("common", "directory", "file_list"))
            and isinstance(manifest["shards"], dict) and all(
                isinstance(s, dict) and isinstance(s.get("chunks"), list) and all(isinstance(h, str) for h in s["chunks"])
                for s in manifest["shards"].values()))
    except (KeyError, TypeError):
        ok = False
    if not ok:
        raise ValueError("the bundle manifest is malformed (revision, common, directory, file_list, shards)")


def blob_hashes(manifest: dict) -> list[str]:
    """Every blob a revision needs."""
    out = [manifest["common"]["hash"], manifest["directory"]["hash"], manifest["file_list"]["hash"]]
    for s in manifest["shards"].values():
        out.extend(s["chunks"])
    return list(dict.fromkeys(out))
