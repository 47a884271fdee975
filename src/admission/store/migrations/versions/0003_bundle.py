"""compiled policy bundles: content-addressed blobs, manifests per revision, the current pointer

Revision ID: 0003
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bundle_blob",
        sa.Column("hash", sa.String(64), primary_key=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "bundle_revision",
        sa.Column("revision", sa.String(64), primary_key=True),
        sa.Column("manifest", sa.Text, nullable=False),
        sa.Column("shards", sa.Integer, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "bundle_current",
        sa.Column("channel", sa.String(40), primary_key=True),
        sa.Column("revision", sa.String(64), sa.ForeignKey("bundle_revision.revision"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("bundle_current")
    op.drop_table("bundle_revision")
    op.drop_table("bundle_blob")
