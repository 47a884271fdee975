"""The data-only codec of bundle blobs and caches: every record of the bundled policies and the
examples comes back equal, with its span and fields set; anything that is not a value the codec
writes (a pickle, an unknown record type, a malformed record, garbage) is refused with
`CodecError`, never executed."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import zlib
from pathlib import Path

import msgpack
import pytest
from hypothesis import given, strategies as st

from admission.diagnostics import Diagnostic, Severity, Span
from admission.language import codec
from admission.language.codec import CodecError
from admission.language.enums import UnitKind
from admission.loader import LoadOptions, load_policy

ROOT = Path(__file__).resolve().parent.parent


class _Payload:
    """Unpickling this would create a file: the codec must never get that far."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _records(policy):
    for section in ("units", "bases", "matters", "township_lists", "village_lists", "delegations",
                    "admissions", "assignments", "township_templates", "village_templates", "flows", "calendars"):
        yield from getattr(policy, section).values()
    yield from policy.power_lists


@pytest.mark.parametrize("tree", ["policies", "examples/violations"])
def test_every_record_round_trips_with_its_span_and_fields_set(tree):
    policy = load_policy(ROOT / tree, LoadOptions(workers=1))
    recs = list(_records(policy))
    assert len(recs) > 50
    back = codec.decode(codec.encode(recs))
    assert back == recs
    for a, b in zip(recs, back):
        assert type(a) is type(b) and a.span == b.span and a.model_fields_set == b.model_fields_set
    assert codec.encode(back) == codec.encode(recs)  # canonical: the same value, the same bytes


def test_plain_values_keep_their_types():
    value = {"t": (1, "a", None), "s": {3, 1, 2}, "f": frozenset({"x"}), "d": dt.date(2025, 3, 3), "b": b"\0\1",
             ("k", 1): [1.5, True], "e": UnitKind.township, "sev": Severity.warning, "sp": Span("a.yaml", 1, 2, 3, 4),
             "diag": Diagnostic("x-code", "消息", Span("a.yaml", 1, 2, 1, 9), Severity.warning, related=(Span("b", 1, 1, 1, 1),))}
    back = codec.decode(codec.encode(value))
    assert back == value
    assert type(back["t"]) is tuple and type(back["s"]) is set and type(back["f"]) is frozenset
    assert type(back["sp"]) is Span and back["e"] is UnitKind.township and type(back["diag"]) is Diagnostic


def test_sets_encode_the_same_whatever_their_order():
    assert codec.encode({"b", "a", "c"}) == codec.encode({"c", "a", "b"})


@given(st.recursive(st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | st.text() | st.binary()
                    | st.dates(),
                    lambda inner: st.lists(inner) | st.tuples(inner, inner)
                    | st.dictionaries(st.text(), inner), max_leaves=20))
def test_any_plain_value_round_trips(value):
    assert codec.decode(codec.encode(value)) == value


def test_objects_outside_the_closed_set_are_not_encoded():
    with pytest.raises(CodecError):
        codec.encode(object())
    with pytest.raises(CodecError):
        codec.encode({None: 1})


def test_a_pickle_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    for data in (pickle.dumps(_Payload(marker)), pickle.dumps(_Payload(marker), protocol=0)):
        with pytest.raises(CodecError):
            codec.decode(data)
    assert not marker.exists()


def _packed_record(header, **fields):
    return msgpack.packb({None: header, **fields}, use_bin_type=True)


@pytest.mark.parametrize("data", [
    _packed_record(["Nope/0"]),  # an unknown record type
    _packed_record(["StrictModel/0"]),  # not a concrete language record
    _packed_record(["Basis/1"], id="B1"),  # fields missing
    _packed_record(["Basis/99999999"]),  # a fields-set mask beyond the fields
    _packed_record([["Basis", 0]]),  # a malformed header
    _packed_record([]),
    msgpack.packb(msgpack.ExtType(99, b"")),  # an unknown ext type
    msgpack.packb(msgpack.ExtType(2, b"\xff\xff\xff\xff")),  # a date out of range
    msgpack.packb(msgpack.ExtType(7, msgpack.packb(["os", "system"]))),  # an enum not in the language
    msgpack.packb(msgpack.ExtType(8, msgpack.packb(["Popen", "x"]))),  # a record type not in the whitelist
    msgpack.packb(msgpack.ExtType(5, msgpack.packb({"a": 1}))),  # an unhashable set member
    b"\xc1",  # never used in msgpack
    b"",
    zlib.compress(b"x" * 100),
], ids=lambda d: d[:12].hex())
def test_malformed_data_is_a_codec_error(data):
    with pytest.raises(CodecError):
        codec.decode(data)


def test_deep_nesting_is_a_codec_error_not_a_crash():
    data = b"\x91" * 100_000 + b"\xc0"  # 100,000 nested one-element arrays
    with pytest.raises(CodecError):
        codec.decode(data)


def test_a_cache_entry_is_checked_before_it_is_decoded():
    entry = codec.frame(codec.encode({"a": 1}))
    assert codec.unframe(entry) == {"a": 1}
    for bad in (entry[:-1], entry[:5], b"garbage", entry[:-1] + b"\2", pickle.dumps({"a": 1})):
        with pytest.raises(CodecError):
            codec.unframe(bad)
