"""JSON columns are written with orjson (`store.db.json_text`), and what the standard encoder
stored before is stored, and read back, exactly as it was: on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from admission.store.db import json_text, make_engine, migrate
from admission.store.tables import Change

from flowkit import make_db_url

VALUES = [
    {"matter": "M-统计", "targets": ["T-永安镇", "V-李家村"], "nested": {"k": [1, 2.5, None, True]}},
    {"big": 2 ** 70, "negative": -(2 ** 65)},  # past 64 bits: orjson refuses, json.dumps writes it
    {1: "一", "2": "二"},  # a non-string key becomes a string, as json.dumps does
    [],
]


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_json_columns_round_trip_exactly(tmp_path, db):
    engine = make_engine(make_db_url(db, tmp_path))
    migrate(engine)
    table = Change.__table__
    at = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    with engine.begin() as conn:
        for i, value in enumerate(VALUES):
            conn.execute(sa.insert(table), {"kind": f"k{i}", "application_id": None, "at": at, "payload": value})
    with engine.connect() as conn:
        stored = [row.payload for row in conn.execute(sa.select(table.c.payload).order_by(table.c.seq))]
    assert stored == [json.loads(json.dumps(v)) for v in VALUES]
    assert stored[1]["big"] == 2 ** 70 and type(stored[1]["big"]) is int


def test_json_text_refuses_what_json_dumps_refused():
    for value in ({"on": dt.date(2026, 1, 1)}, {"at": dt.datetime(2026, 1, 1)}, {"s": {1, 2}}):
        with pytest.raises(TypeError):
            json.dumps(value)
        with pytest.raises(TypeError):
            json_text(value)


def test_json_text_is_the_same_json_as_the_standard_encoder():
    for value in VALUES:
        assert json.loads(json_text(value)) == json.loads(json.dumps(value))
    assert "永安镇" in json_text({"t": "永安镇"})  # UTF-8, not \\u escapes
