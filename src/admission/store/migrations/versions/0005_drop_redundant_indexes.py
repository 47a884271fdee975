"""drop two indexes that a wider one already serves

Revision ID: 0005
Revises: 0004

`ix_transition_log_application_id` duplicated the leading column of `ix_transition_app_seq`
(application_id, seq), and `ix_opinion_application_id` the leading column of the opinion's
unique (application_id, unit).  Every reader that used them is served by the wider index, and
every step paid for the duplicate: one more B-tree written per log entry.
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_transition_log_application_id", table_name="transition_log")
    op.drop_index("ix_opinion_application_id", table_name="opinion")


def downgrade() -> None:
    op.create_index("ix_opinion_application_id", "opinion", ["application_id"])
    op.create_index("ix_transition_log_application_id", "transition_log", ["application_id"])
