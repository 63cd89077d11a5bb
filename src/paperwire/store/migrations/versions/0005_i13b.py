"""Reply notifications in the digest: an opt-out flag on users and the replies already told.

Revision ID: 0005_i13b
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_i13b"
down_revision = "0005_i13a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("notify_replies", sa.Boolean, nullable=False, server_default=sa.true())
        )
    op.create_table(
        "reply_notices",
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "comment_id",
            sa.Integer,
            sa.ForeignKey("comments.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("day", sa.Date, nullable=False),
    )
    op.create_index("ix_reply_notices_user_day", "reply_notices", ["user_id", "day"])


def downgrade() -> None:
    op.drop_table("reply_notices")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("notify_replies")
