"""audit chain per application: `application.log_head`, `counter.head`, and where the old chain ends

Revision ID: 0004
Revises: 0002

Until this revision every log entry linked to the entry written before it, whichever application
it belonged to, so every writer waited for one lock until its commit was on disk.  From here an
entry links to its own application's previous entry, and an application's first entry to the
first entry of the application numbered before it.  The entries already written keep their links
(an append-only log is not rewritten); the counter `audit-chain-v2` records the last of them, and
`verify_chain` checks those as one chain and the rest per application.
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None

CUT = "audit-chain-v2"


def upgrade() -> None:
    with op.batch_alter_table("application") as batch:
        batch.add_column(sa.Column("log_head", sa.String(64), nullable=True))
    with op.batch_alter_table("counter") as batch:
        batch.add_column(sa.Column("head", sa.String(64), nullable=True))
    bind = op.get_bind()
    log = sa.table("transition_log", sa.column("seq", sa.Integer), sa.column("application_id", sa.String),
                   sa.column("hash", sa.String))
    app = sa.table("application", sa.column("id", sa.String), sa.column("log_head", sa.String))
    counter = sa.table("counter", sa.column("name", sa.String), sa.column("value", sa.Integer),
                       sa.column("head", sa.String))
    newest = (sa.select(log.c.hash).where(log.c.application_id == app.c.id).order_by(log.c.seq.desc()).limit(1)
              .scalar_subquery())
    bind.execute(sa.update(app).values(log_head=newest))
    for name, value in bind.execute(sa.select(counter.c.name, counter.c.value).where(counter.c.name.like("app-%"))):
        last = f"WF-{name[4:]}-{value:06d}"
        first = bind.execute(sa.select(log.c.hash).where(log.c.application_id == last).order_by(log.c.seq)
                             .limit(1)).scalar()
        bind.execute(sa.update(counter).where(counter.c.name == name).values(head=first))
    cut = bind.execute(sa.select(sa.func.max(log.c.seq))).scalar() or 0
    bind.execute(sa.insert(counter).values(name=CUT, value=cut))


def downgrade() -> None:
    op.execute(sa.text(f"DELETE FROM counter WHERE name = '{CUT}'"))
    with op.batch_alter_table("counter") as batch:
        batch.drop_column("head")
    with op.batch_alter_table("application") as batch:
        batch.drop_column("log_head")
