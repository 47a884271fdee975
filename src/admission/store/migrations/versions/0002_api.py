"""compliance API: tokens (SHA-256 only), idempotency keys, decision log, per-worker log counters

Revision ID: 0002
Revises: 0003

Numbered 0002 when it was written; 0003 (bundles) landed first, so it follows 0003 to keep a
single head.  Alembic orders revisions by this chain, not by file name.
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("unit", sa.String(80), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "api_idempotency",
        sa.Column("token_id", sa.String(40), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer),
        sa.Column("body", sa.Text),
        sa.Column("headers", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "decision_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("decision_id", sa.String(40), nullable=False, index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("path", sa.String(40), nullable=False),
        sa.Column("token_id", sa.String(40), nullable=False),
        sa.Column("caller_unit", sa.String(80), nullable=False),
        sa.Column("caller_role", sa.String(20), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("actor", sa.String(80)),
        sa.Column("matter", sa.String(80)),
        sa.Column("target", sa.String(80)),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("code", sa.String(60), nullable=False),
        sa.Column("revision", sa.String(64), nullable=False),
        sa.Column("admission_seq", sa.Integer, nullable=False),
        sa.Column("input", sa.LargeBinary, nullable=False),  # JSON, or zlib-compressed JSON over 4 KiB
        sa.Column("result", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "decision_log_worker",
        sa.Column("worker", sa.String(40), primary_key=True),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("written", sa.Integer, nullable=False),
        sa.Column("dropped", sa.Integer, nullable=False),
        sa.Column("sampled_out", sa.Integer, nullable=False),
        sa.Column("failed_flushes", sa.Integer, nullable=False),
        sa.Column("buffered", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in ("decision_log_worker", "decision_log", "api_idempotency", "api_token"):
        op.drop_table(table)
