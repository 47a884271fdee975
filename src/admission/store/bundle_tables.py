"""Bundles in the database, so that every API replica serves the same revision.

- `bundle_blob`: content-addressed blobs (hash → compressed data-only codec bytes), shared by revisions;
- `bundle_revision`: one manifest per revision (JSON text);
- `bundle_current`: which revision a channel (`default`) serves; replicas read it at start-up
  and when told to reload.

`publish_manifest` writes a revision's missing blobs, its manifest and the pointer in one
transaction; `DbSource` reads them back (by revision, or the current one) for `Bundle`.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Column, LargeBinary, Text, select
from sqlmodel import Field, SQLModel

from .tables import utcnow


class BundleBlob(SQLModel, table=True):
    __tablename__ = "bundle_blob"

    hash: str = Field(primary_key=True, max_length=64)
    size: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class BundleRevision(SQLModel, table=True):
    __tablename__ = "bundle_revision"

    revision: str = Field(primary_key=True, max_length=64)
    manifest: str = Field(sa_column=Column(Text, nullable=False))
    shards: int
    published_at: dt.datetime = Field(default_factory=utcnow)


class BundleCurrent(SQLModel, table=True):
    __tablename__ = "bundle_current"

    channel: str = Field(primary_key=True, max_length=40)
    revision: str = Field(foreign_key="bundle_revision.revision", max_length=64)
    updated_at: dt.datetime = Field(default_factory=utcnow)


def _engine(url: str):
    from .db import make_engine, migrate

    engine = make_engine(url)
    migrate(engine)
    return engine


def publish_manifest(manifest: dict, hashes: list[str], get_blob, url: str, channel: str = "default") -> dict:
    """Store `manifest` and the blobs it names (`hashes`, each read with `get_blob(hash)`) at `url`."""
    engine = _engine(url)
    blobs = BundleBlob.__table__
    revs = BundleRevision.__table__
    cur = BundleCurrent.__table__
    have: set[str] = set()
    with engine.connect() as conn:
        for i in range(0, len(hashes), 500):
            part = hashes[i:i + 500]
            have.update(r[0] for r in conn.execute(select(blobs.c.hash).where(blobs.c.hash.in_(part))))
    missing = [h for h in hashes if h not in have]
    written = nbytes = 0
    with engine.begin() as conn:
        batch, size = [], 0
        for h in missing:
            data = get_blob(h)
            batch.append({"hash": h, "size": len(data), "data": data})
            size += len(data)
            nbytes += len(data)
            if size > 32 * 2**20 or len(batch) >= 200:
                conn.execute(blobs.insert(), batch)
                written += len(batch)
                batch, size = [], 0
        if batch:
            conn.execute(blobs.insert(), batch)
            written += len(batch)
        rev = manifest["revision"]
        if conn.execute(select(revs.c.revision).where(revs.c.revision == rev)).first() is None:
            conn.execute(revs.insert().values(revision=rev, manifest=json.dumps(manifest, ensure_ascii=False),
                                              shards=len(manifest["shards"]), published_at=utcnow()))
        if conn.execute(select(cur.c.channel).where(cur.c.channel == channel)).first() is None:
            conn.execute(cur.insert().values(channel=channel, revision=rev, updated_at=utcnow()))
        else:
            conn.execute(cur.update().where(cur.c.channel == channel).values(revision=rev, updated_at=utcnow()))
    engine.dispose()
    return {"revision": manifest["revision"], "blobs": len(hashes), "written": written, "bytes_written": nbytes}


class DbSource:
    """Blobs and manifests of bundles published to a database (read-only)."""

    def __init__(self, url: str, channel: str = "default"):
        from .db import make_engine

        self.url = url
        self.channel = channel
        self.engine = make_engine(url)

    def manifest(self, revision: str | None = None) -> dict:
        revs = BundleRevision.__table__
        cur = BundleCurrent.__table__
        with self.engine.connect() as conn:
            if revision is None:
                row = conn.execute(select(cur.c.revision).where(cur.c.channel == self.channel)).first()
                if row is None:
                    raise KeyError(f"no bundle published at {self.engine.url.render_as_string(hide_password=True)}")
                revision = row[0]
            row = conn.execute(select(revs.c.manifest).where(revs.c.revision == revision)).first()
        if row is None:
            raise KeyError(f"no revision {revision} published")
        return json.loads(row[0])

    def get(self, h: str) -> bytes:
        blobs = BundleBlob.__table__
        with self.engine.connect() as conn:
            row = conn.execute(select(blobs.c.data).where(blobs.c.hash == h)).first()
        if row is None:
            raise KeyError(f"blob {h} not published")
        return bytes(row[0])

    def revisions(self) -> list[str]:
        revs = BundleRevision.__table__
        with self.engine.connect() as conn:
            return sorted(r[0] for r in conn.execute(select(revs.c.revision)))

    def spec(self) -> str:
        return self.url
