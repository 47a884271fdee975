"""Shard decode time of the data-only bundle codec, against pickle of the same records.

Generates a tree (`admission.synth`, default 600 townships in 40 counties), builds it, and for
the largest shards times decoding what a shard reads (the common part and the shard's chunks)
from the stored blobs, best of 5, the collector paused as the bundle pauses it.  The pickle
figure is the format the bundle used before (protocol 5, records rebuilt by a reducer without
validation), run on the same decoded values in the same process, so the ratio holds on a
noisy machine.  Also prints blob sizes and the encode time.

    .venv/bin/python bench/codec.py [--townships 600] [--shards 8]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import io
import pickle
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from pydantic import BaseModel  # noqa: E402

from admission.language import codec  # noqa: E402
from admission.loader import LoadOptions  # noqa: E402
from admission.scale.bundle import BundleStore, build_bundle, decode  # noqa: E402
from admission.synth import generate  # noqa: E402

_set = object.__setattr__


def _mk(cls, values, fields_set, span):
    obj = object.__new__(cls)
    _set(obj, "__dict__", dict(zip(cls.model_fields, values)))
    _set(obj, "__pydantic_fields_set__", set(fields_set))
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", {"_span": span})
    return obj


class _Pickler(pickle.Pickler):
    """The reducer the pickle format used: (class, values in field order, fields set, span),
    strings interned and dates shared so that pickle's memo stores each once."""

    def __init__(self, fh):
        super().__init__(fh, protocol=5)
        self._dates: dict = {}

    def _canon(self, v):
        t = type(v)
        if t is str:
            return sys.intern(v)
        if t is dt.date:
            return self._dates.setdefault(v, v)
        if t is list or t is tuple:
            return t(self._canon(x) for x in v)
        if t is dict:
            return {self._canon(k): self._canon(x) for k, x in v.items()}
        return v

    def reducer_override(self, obj):
        if isinstance(obj, BaseModel):
            d = obj.__dict__
            private = obj.__pydantic_private__ or {}
            span = private.get("_span")
            if span is not None:
                span = type(span)(sys.intern(span.file), *span[1:])
            return _mk, (type(obj), tuple(self._canon(d[n]) for n in type(obj).model_fields),
                         tuple(sorted(obj.__pydantic_fields_set__)), span)
        return NotImplemented


def _pickled(value) -> bytes:
    buf = io.BytesIO()
    p = _Pickler(buf)
    p.dump(p._canon(value))
    return zlib.compress(buf.getvalue(), 1)


def _best(fn, n: int = 5) -> float:
    out = []
    for _ in range(n):
        gc.disable()
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
        gc.enable()
    return min(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--townships", type=int, default=600)
    ap.add_argument("--shards", type=int, default=8)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tree, store_dir = Path(tmp) / "tree", Path(tmp) / "store"
        generate(tree, args.townships, seed=0)
        t = time.perf_counter()
        built = build_bundle(tree, store_dir, LoadOptions(cache_dir=Path(tmp) / "parse"))
        print(f"build: {time.perf_counter() - t:.1f} s, {built.manifest['files']} files, "
              f"{len(built.manifest['shards'])} shards")
        store = BundleStore(store_dir)
        m = built.manifest
        keys = sorted(m["shards"], key=lambda k: -m["shards"][k]["bytes"])[:args.shards]
        ratios, codec_ms, pickle_ms = [], [], []
        for key in keys:
            hashes = [m["common"]["hash"], *m["shards"][key]["chunks"]]
            blobs = [store.get(h) for h in hashes]
            values = [decode(b, h) for b, h in zip(blobs, hashes)]
            pickles = [_pickled(v) for v in values]
            a = _best(lambda: [decode(b, h) for b, h in zip(blobs, hashes)])
            b = _best(lambda: [pickle.loads(zlib.decompress(p)) for p in pickles])
            codec_ms.append(a * 1000)
            pickle_ms.append(b * 1000)
            ratios.append(a / b)
            print(f"shard {key} ({m['shards'][key]['townships']} townships): codec {a * 1000:.1f} ms, "
                  f"pickle {b * 1000:.1f} ms, ratio {a / b:.2f}; "
                  f"bytes codec {sum(map(len, blobs)):,} pickle {sum(map(len, pickles)):,}")
        everything = [store.get(h) for s in m["shards"].values() for h in s["chunks"]]
        values = [decode(b) for b in everything]
        enc = _best(lambda: [codec.encode(v) for v in values], 3)
        print(f"median shard decode: codec {statistics.median(codec_ms):.1f} ms, pickle "
              f"{statistics.median(pickle_ms):.1f} ms, ratio {statistics.median(ratios):.2f} (target ≤ 1.5)")
        print(f"encode every chunk: {enc:.2f} s")


if __name__ == "__main__":
    main()
