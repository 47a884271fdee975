"""The bytes of a bundle: blobs (zlib of the data-only codec, named by the SHA-256 of the
encoded content) and framed cache entries.  Nothing read here can run code: the codec builds
only plain data and the language's own records (`admission.language.codec`).
"""

from __future__ import annotations

import gc
import hashlib
import zlib
from contextlib import contextmanager

from ..language import codec
from ..language.codec import CodecError

#: The manifest's `format`: 2 is the data-only codec (1 was pickle and is refused).
FORMAT = 2
#: Bumped when the build's caches or blobs change shape (with the package version and the
#: loader's code fingerprint it keys every build cache).
BUILD_VERSION = b"bundle-3"
#: A blob inflates to at most this much (a hostile store cannot exhaust memory with a zip bomb).
MAX_BLOB_BYTES = 1 << 30

class BlobError(ValueError):
    """A blob that is missing, corrupt, too large or not of this format."""


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


def encode(obj) -> tuple[str, bytes]:
    """(hash, stored bytes) of `obj`: the hash names the encoded content, the bytes are compressed."""
    raw = codec.encode(obj)
    return hashlib.sha256(raw).hexdigest(), zlib.compress(raw, 1)


def decode(data: bytes, expected: str | None = None):
    """Inverse of `encode`; the hash is verified when given (before any record is made).  The
    cyclic GC is paused while the records are made (it would otherwise scan the growing heap
    again and again)."""
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(data, MAX_BLOB_BYTES)
    except zlib.error as exc:
        raise BlobError(f"bundle blob {(expected or '?')[:12]}… is not compressed data: {exc}") from None
    if inflater.unconsumed_tail:
        raise BlobError(f"bundle blob {(expected or '?')[:12]}… inflates beyond {MAX_BLOB_BYTES} bytes")
    if expected is not None and hashlib.sha256(raw).hexdigest() != expected:
        raise BlobError(f"bundle blob {expected[:12]}… is corrupt (hash mismatch)")
    with collector(False):
        try:
            return codec.decode(raw)
        except CodecError as exc:
            raise BlobError(f"bundle blob {(expected or '?')[:12]}… is not a bundle value: {exc}") from None


def hash_text(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() + b"\0")
    return h.hexdigest()
