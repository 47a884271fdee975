"""initial workflow store: applications, opinions, transition log (append-only), refusals, changes

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "application",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("flow_id", sa.String(80), nullable=False, index=True),
        sa.Column("flow_revision", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("state", sa.String(80), nullable=False, index=True),
        sa.Column("phase", sa.String(20), nullable=False, index=True),
        sa.Column("applicant_unit", sa.String(80), nullable=False, index=True),
        sa.Column("applicant_person", sa.String(80), nullable=False),
        sa.Column("matter", sa.String(80), nullable=False, index=True),
        sa.Column("targets", sa.JSON, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("state_since", sa.Date, nullable=False),
        sa.Column("due", sa.Date),
        sa.Column("overdue", sa.Boolean, nullable=False, index=True),
        sa.Column("effective_from", sa.Date),
        sa.Column("effective_until", sa.Date),
        sa.Column("exited_on", sa.Date),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "opinion",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.String(40), sa.ForeignKey("application.id"), nullable=False, index=True),
        sa.Column("unit", sa.String(80), nullable=False),
        sa.Column("person", sa.String(80)),
        sa.Column("stance", sa.String(20), nullable=False),
        sa.Column("text", sa.Text),
        sa.Column("given_on", sa.Date, nullable=False),
        sa.Column("answer", sa.Text),
        sa.Column("answered_by", sa.String(80)),
        sa.Column("answered_on", sa.Date),
        sa.UniqueConstraint("application_id", "unit"),
    )
    op.create_table(
        "transition_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.String(40), nullable=False, index=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("from_state", sa.String(80)),
        sa.Column("to_state", sa.String(80), nullable=False),
        sa.Column("unit", sa.String(80), nullable=False),
        sa.Column("person", sa.String(80), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column("guards", sa.JSON, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("documents", sa.JSON, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_transition_app_seq", "transition_log", ["application_id", "seq"])
    op.create_table(
        "refusal",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.String(40), index=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("unit", sa.String(80), nullable=False),
        sa.Column("person", sa.String(80), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
    )
    op.create_table(
        "change",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("application_id", sa.String(40)),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
    )
    op.create_table(
        "flow_definition",
        sa.Column("flow_id", sa.String(80), primary_key=True),
        sa.Column("revision", sa.String(64), primary_key=True),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "counter",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        # the audit trail is append-only: refuse UPDATE and DELETE at the database
        op.execute("""
            CREATE OR REPLACE FUNCTION admission_log_append_only() RETURNS trigger AS $$
            BEGIN
              RAISE EXCEPTION 'transition_log is append-only (审计日志只能追加)';
            END $$ LANGUAGE plpgsql;
        """)
        op.execute("""
            CREATE TRIGGER transition_log_append_only BEFORE UPDATE OR DELETE ON transition_log
            FOR EACH ROW EXECUTE FUNCTION admission_log_append_only();
        """)
    else:
        op.execute("""
            CREATE TRIGGER transition_log_no_update BEFORE UPDATE ON transition_log
            BEGIN SELECT RAISE(ABORT, 'transition_log is append-only'); END;
        """)
        op.execute("""
            CREATE TRIGGER transition_log_no_delete BEFORE DELETE ON transition_log
            BEGIN SELECT RAISE(ABORT, 'transition_log is append-only'); END;
        """)


def downgrade() -> None:
    for table in ("counter", "flow_definition", "change", "refusal", "transition_log", "opinion", "application"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS admission_log_append_only() CASCADE")
