"""A bundle store on disk: content-addressed blobs, revision manifests (JSON), and the small
keyed caches of the build and of the sharded check.

    STORE/manifest.json            the current revision's manifest
    STORE/revisions/<rev>.json     every revision built into (or fetched from) this store
    STORE/blobs/ab/ab12…           blobs (see `blobs`), named by the SHA-256 of their content
    STORE/cache/…                  build caches (per-file summaries, routes, reference checks)
    STORE/checks/…                 per-shard findings, keyed by shard hash, common hash and date

Cache entries are framed codec values (`codec.frame`): an entry that does not decode is
deleted and reported as a miss, so it is rebuilt, never trusted and never executed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..language.codec import CodecError, encode, frame, unframe



class BundleStore:
    """A directory of blobs and manifests (see the module doc)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    # blobs
    def blob_path(self, h: str) -> Path:
        return self.path / "blobs" / h[:2] / h

    def has(self, h: str) -> bool:
        return self.blob_path(h).exists()

    def put(self, h: str, data: bytes) -> None:
        path = self.blob_path(h)
        if path.exists():
            return
        atomic_write(path, data)

    def get(self, h: str) -> bytes:
        try:
            return self.blob_path(h).read_bytes()
        except FileNotFoundError:
            raise KeyError(f"blob {h} not in bundle store {self.path}") from None

    def blob_size(self, h: str) -> int:
        try:
            return self.blob_path(h).stat().st_size
        except OSError:
            return 0

    # manifests
    def manifest(self, revision: str | None = None) -> dict:
        path = self.path / "manifest.json" if revision is None else self.path / "revisions" / f"{revision}.json"
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            what = "no bundle" if revision is None else f"no revision {revision}"
            raise KeyError(f"{what} in bundle store {self.path}") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"the manifest {path.name} in bundle store {self.path} is not JSON: {exc}") from None
        if not isinstance(value, dict):
            raise ValueError(f"the manifest {path.name} in bundle store {self.path} is not an object")
        return value

    def save_manifest(self, manifest: dict, current: bool = True) -> None:
        text = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        atomic_write(self.path / "revisions" / f"{manifest['revision']}.json", text.encode())
        if current:
            atomic_write(self.path / "manifest.json", text.encode())

    def revisions(self) -> list[str]:
        d = self.path / "revisions"
        return sorted(p.stem for p in d.glob("*.json")) if d.exists() else []

    # small keyed caches (build and check results)
    def _cache_path(self, kind: str, key: str) -> Path:
        return self.path / kind / key[:2] / key

    def cache_get(self, kind: str, key: str):
        """The cached value, or None when absent or bad (a bad entry is deleted)."""
        path = self._cache_path(kind, key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        try:
            return unframe(data)
        except CodecError:
            try:
                path.unlink()
            except OSError:
                pass
            return None

    def cache_has(self, kind: str, key: str) -> bool:
        return self._cache_path(kind, key).exists()

    def cache_put(self, kind: str, key: str, value) -> None:
        try:
            atomic_write(self._cache_path(kind, key), frame(encode(value)))
        except OSError:
            pass

    def __str__(self) -> str:
        return str(self.path)


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
