"""Alembic environment: runs on the connection handed in by `admission.store.db.migrate`."""

from alembic import context
from sqlalchemy import create_engine

from admission.store import tables  # noqa: F401  (registers the tables)
from admission.store import bundle_tables  # noqa: F401  (compiled policy bundles)
from admission.store import api_tables  # noqa: F401  (compliance API: tokens, idempotency, decision log)
from sqlmodel import SQLModel

config = context.config
target_metadata = SQLModel.metadata


def run() -> None:
    conn = config.attributes.get("connection")
    if conn is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url"))
        with engine.begin() as conn:
            context.configure(connection=conn, target_metadata=target_metadata)
            context.run_migrations()
        return
    context.configure(connection=conn, target_metadata=target_metadata)
    context.run_migrations()


run()
