"""The data-only serial form of the language's records, for bundle blobs and caches.

Pickle would run whatever a stored byte string tells it to, so anyone able to write a bundle
store or a cache could run code in every replica.  This codec writes MessagePack and reads it
back into a closed set of types: plain data (None, bools, numbers, text, bytes, lists, dicts),
tuples, sets, calendar dates, the language's pydantic records, its enums, and the
`Diagnostic` / `Span` records of `admission.diagnostics`.  A record names its class by a short
tag that is looked up in a table built from those modules; anything else is refused with
`CodecError`, and decoding never imports, calls or evaluates anything named by the data.

Records are rebuilt without re-running their validators (they were validated when the YAML
was read, and a bundle blob's hash is checked against its signed manifest); the shape is
checked instead: a known tag, one value per field, a fields-set mask within the field count.
The same value always encodes to the same bytes (sets are sorted by their encoding), so a blob
can be named by the hash of its content.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import hashlib
from collections.abc import Callable
from typing import Any

import msgpack
from pydantic import BaseModel

from ..diagnostics import Diagnostic, Severity, Span

# ext type codes
_DATE, _SPAN, _TUPLE, _SET, _FROZENSET, _ENUM, _PLAIN = range(2, 9)
_PLAIN_MAP = object()  # the object hook's "no record header" marker


class CodecError(ValueError):
    """Bytes that are not a value this codec writes (corrupt, foreign or hostile)."""


# --------------------------------------------------------------------------- the closed world
def _subclasses(cls: type) -> list[type]:
    out, todo = [], [cls]
    while todo:
        for sub in todo.pop().__subclasses__():
            out.append(sub)
            todo.append(sub)
    return out


class _Registry:
    """Tags ↔ classes, built lazily from the language's modules (which must be imported)."""

    def __init__(self) -> None:
        self.models: dict[str, type] = {}
        self.model_fields: dict[type, tuple[str, ...]] = {}
        self.model_keys: dict[type, frozenset[str]] = {}
        self.enums: dict[str, type] = {}
        self.plain: dict[str, type] = {"Diagnostic": Diagnostic}
        self.plain_fields: dict[type, tuple[str, ...]] = {
            Diagnostic: tuple(f.name for f in dataclasses.fields(Diagnostic))}
        self.ready = False

    def build(self) -> None:
        from . import entities, flow, policy  # noqa: F401  (every record class defined)
        from .base import StrictModel

        for cls in _subclasses(StrictModel):
            if cls.__module__.startswith("admission.language."):
                self._add(self.models, cls)
                self.model_fields[cls] = tuple(cls.model_fields)
                self.model_keys[cls] = frozenset(cls.model_fields)
        from .enums import Labelled

        for cls in (*_subclasses(Labelled), Severity):
            self._add(self.enums, cls)
        self.ready = True

    @staticmethod
    def _add(table: dict[str, type], cls: type) -> None:
        other = table.setdefault(cls.__name__, cls)
        if other is not cls:  # pragma: no cover - a naming mistake in the language
            raise RuntimeError(f"two record classes named {cls.__name__}: {other} and {cls}")


_REG = _Registry()


def _registry() -> _Registry:
    if not _REG.ready:
        _REG.build()
    return _REG


# --------------------------------------------------------------------------- encode
def _pack(obj: Any) -> bytes:
    return msgpack.packb(_prepare(obj), default=_default, use_bin_type=True, strict_types=True, datetime=False)


def _default(obj: Any) -> msgpack.ExtType:
    t = type(obj)
    if t is tuple:
        return msgpack.ExtType(_TUPLE, _pack(list(obj)))
    if t is Span:
        return msgpack.ExtType(_SPAN, _pack(list(obj)))
    if t is dt.date:
        return msgpack.ExtType(_DATE, obj.toordinal().to_bytes(3, "big"))
    if t is set or t is frozenset:
        items = sorted(_pack(x) for x in obj)
        return msgpack.ExtType(_SET if t is set else _FROZENSET, b"".join(items))
    reg = _registry()
    if isinstance(obj, enum.Enum) and reg.enums.get(t.__name__) is t:
        return msgpack.ExtType(_ENUM, _pack([t.__name__, obj.value]))
    if t in reg.plain_fields:
        return msgpack.ExtType(_PLAIN, _pack([t.__name__, *(getattr(obj, f) for f in reg.plain_fields[t])]))
    raise CodecError(f"cannot encode {t.__module__}.{t.__qualname__}")


def _record_map(obj: BaseModel, names: tuple[str, ...]) -> dict:
    """A record as a map: under the key None its header ["tag/fields-set mask", *span], then
    one key per field in declaration order (msgpack itself rebuilds a map, the fastest path)."""
    d = obj.__dict__
    given = obj.__pydantic_fields_set__
    mask = 0
    for i, name in enumerate(names):
        if name in given:
            mask |= 1 << i
    private = obj.__pydantic_private__
    span = private.get("_span") if private else None
    out: dict = {None: [f"{type(obj).__name__}/{mask}", *(span or ())]}
    for n in names:
        out[n] = d[n]
    return out


def _prepare(obj: Any) -> Any:
    """Records become maps before packing (msgpack's `default` cannot return a map)."""
    t = type(obj)
    if t is list:
        return [_prepare(x) for x in obj]
    if t is dict:
        if None in obj:
            raise CodecError("a map with the key None cannot be encoded")
        return {_prepare(k): _prepare(v) for k, v in obj.items()}
    if isinstance(obj, BaseModel):
        names = _registry().model_fields.get(t)
        if names is None:
            raise CodecError(f"cannot encode {t.__module__}.{t.__qualname__}")
        rec = _record_map(obj, names)
        return {k: _prepare(v) for k, v in rec.items()}
    return obj


def encode(obj: Any) -> bytes:
    """The canonical bytes of `obj` (raises `CodecError` for a type outside the closed set)."""
    return _pack(obj)


# --------------------------------------------------------------------------- decode
_new = object.__new__
_set = object.__setattr__
_tuple_new = tuple.__new__
# the slots every pydantic model has, set as `BaseModel.__setstate__` sets them (no validation)
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


class _Decoder:
    """One decode: the ext hook and its small memo tables (dates, enums, fields sets)."""

    def __init__(self) -> None:
        self.reg = _registry()
        self.dates: dict[bytes, dt.date] = {}
        self.files: dict[str, str] = {}
        self.enums: dict[bytes, enum.Enum] = {}
        self.kinds: dict[str, tuple[type, frozenset[str], frozenset[str]]] = {}
        self.hooks: dict[int, Callable[[bytes], Any]] = {
            _DATE: self.date, _SPAN: self.span, _TUPLE: self.tuple,
            _SET: self.set, _FROZENSET: self.frozenset, _ENUM: self.enum, _PLAIN: self.plain,
        }

        self.unpack = functools.partial(msgpack.unpackb, ext_hook=self.ext, object_hook=self.record, raw=False,
                                        strict_map_key=False, use_list=True)

    def ext(self, code: int, data: bytes) -> Any:
        hook = self.hooks.get(code)
        if hook is None:
            raise CodecError(f"unknown ext type {code}")
        return hook(data)

    def record(self, d: dict) -> Any:
        """The object hook: a map with the key None is a record, any other a plain dict."""
        meta = d.pop(None, _PLAIN_MAP)
        if meta is _PLAIN_MAP:
            return d
        try:
            cls, keys, given = self.kinds[meta[0]]
        except (KeyError, TypeError, IndexError):
            cls, keys, given = self._kind(meta)
        if d.keys() != keys:
            raise CodecError(f"malformed {cls.__name__} record")
        obj = _new(cls)
        _set_dict(obj, d)
        _set_fields_set(obj, set(given))
        _set_extra(obj, None)
        if len(meta) == 6 and type(meta[1]) is str:
            meta[1] = self.files.setdefault(meta[1], meta[1])  # one string per file, not per record
            _set_private(obj, {"_span": _tuple_new(Span, meta[1:])})
        elif len(meta) == 1:
            _set_private(obj, {"_span": None})
        else:
            raise CodecError(f"malformed {cls.__name__} record header")
        return obj

    def _kind(self, meta: Any) -> tuple[type, frozenset[str], frozenset[str]]:
        """(class, its field names, the fields set) for a record header ["tag/mask", …]."""
        if type(meta) is not list or not meta or type(meta[0]) is not str or meta[0].count("/") != 1:
            raise CodecError("malformed record header")
        tag, _, mask_text = meta[0].partition("/")
        cls = self.reg.models.get(tag)
        if cls is None:
            raise CodecError(f"unknown record type {tag!r}")
        order = self.reg.model_fields[cls]
        if not mask_text.isdigit() or not 0 <= (mask := int(mask_text)) < 1 << len(order):
            raise CodecError(f"malformed {tag} record header")
        kind = self.kinds[meta[0]] = (
            cls, self.reg.model_keys[cls], frozenset(n for i, n in enumerate(order) if mask >> i & 1))
        return kind

    def _span(self, v: list) -> Span:
        if type(v[0]) is not str or type(v[1]) is not int:
            raise CodecError("malformed span")
        v[0] = self.files.setdefault(v[0], v[0])
        return _tuple_new(Span, v)

    def date(self, data: bytes) -> dt.date:
        d = self.dates.get(data)
        if d is None:
            if len(data) != 3:
                raise CodecError("malformed date")
            try:
                d = self.dates[data] = dt.date.fromordinal(int.from_bytes(data, "big"))
            except ValueError:
                raise CodecError("date out of range") from None
        return d

    def span(self, data: bytes) -> Span:
        v = self.unpack(data)
        if type(v) is not list or len(v) != 5:
            raise CodecError("malformed span")
        return self._span(v)

    def tuple(self, data: bytes) -> tuple:
        v = self.unpack(data)
        if type(v) is not list:
            raise CodecError("malformed tuple")
        return _tuple_new(tuple, v)

    def _stream(self, data: bytes):
        unpacker = msgpack.Unpacker(None, ext_hook=self.ext, object_hook=self.record, raw=False,
                                    strict_map_key=False, use_list=False)
        unpacker.feed(data)
        return unpacker

    def set(self, data: bytes) -> set:
        try:
            return set(self._stream(data))
        except TypeError as exc:
            raise CodecError(f"malformed set: {exc}") from None

    def frozenset(self, data: bytes) -> frozenset:
        try:
            return frozenset(self._stream(data))
        except TypeError as exc:
            raise CodecError(f"malformed set: {exc}") from None

    def enum(self, data: bytes) -> enum.Enum:
        member = self.enums.get(data)
        if member is None:
            v = self.unpack(data)
            cls = self.reg.enums.get(v[0]) if type(v) is list and len(v) == 2 and type(v[0]) is str else None
            if cls is None:
                raise CodecError("unknown enum")
            try:
                member = self.enums[data] = cls(v[1])
            except ValueError:
                raise CodecError(f"no {v[0]} member {v[1]!r}") from None
        return member

    def plain(self, data: bytes) -> Any:
        row = self.unpack(data)
        cls = self.reg.plain.get(row[0]) if type(row) is list and row and type(row[0]) is str else None
        if cls is None or len(row) != len(self.reg.plain_fields[cls]) + 1:
            raise CodecError("malformed record")
        return cls(*row[1:])


def decode(data: bytes) -> Any:
    """The value `encode` wrote; `CodecError` for anything else (never runs stored code)."""
    try:
        return _Decoder().unpack(data)
    except CodecError:
        raise
    except (ValueError, TypeError, msgpack.UnpackException, RecursionError) as exc:
        raise CodecError(f"not a valid encoded value: {exc}") from None


# --------------------------------------------------------------------------- cache entries
_CACHE_MAGIC = b"adm-cache-1\0"


def frame(raw: bytes) -> bytes:
    """A cache entry of an encoded value: a magic, the SHA-256 of the value, the value.  Caches
    are local and unsigned; the digest only makes a truncated or damaged entry detectable."""
    return _CACHE_MAGIC + hashlib.sha256(raw).digest() + raw


def unframe(data: bytes) -> Any:
    """The value of an entry `frame` wrote; `CodecError` for anything else (rebuild it)."""
    n = len(_CACHE_MAGIC)
    if data[:n] != _CACHE_MAGIC or len(data) < n + 32:
        raise CodecError("not a cache entry of this version")
    raw = data[n + 32:]
    if hashlib.sha256(raw).digest() != data[n:n + 32]:
        raise CodecError("cache entry damaged (digest mismatch)")
    return decode(raw)
