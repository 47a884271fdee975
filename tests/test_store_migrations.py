"""The Alembic migrations build the schema the table models describe: no table, column, index or
constraint that one has and the other lacks (so a model change without its migration fails here)."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import admission.store.api_tables  # noqa: F401  (their tables join SQLModel.metadata)
import admission.store.bundle_tables  # noqa: F401
import admission.store.tables  # noqa: F401
from admission.store.db import make_engine, migrate

from flowkit import make_db_url


def _unbounded_text(diff) -> bool:
    """A `str` field without max_length is VARCHAR in the model and TEXT in the migration: the
    same column."""
    return diff[0] == "modify_type" and {type(diff[-2]).__name__, type(diff[-1]).__name__} <= {"TEXT", "Text", "AutoString"}


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_the_migrated_schema_is_the_models_schema(tmp_path, db):
    engine = make_engine(make_db_url(db, tmp_path))
    migrate(engine)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    flat = [d for group in diffs for d in (group if isinstance(group, list) else [group])]
    assert [d for d in flat if not _unbounded_text(d)] == []
