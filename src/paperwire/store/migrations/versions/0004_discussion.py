"""Discussion: comments on papers (threaded by parent), their upvotes and reports, and a
moderator flag on users.

Revision ID: 0004
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(name: str, target: str, primary_key: bool = False) -> sa.Column:
    return sa.Column(
        name,
        sa.Integer,
        sa.ForeignKey(target, ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("moderator", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _fk("paper_pk", "papers.pk"),
        _fk("user_id", "users.id"),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("comments.id", ondelete="CASCADE")),
        sa.Column("body", sa.Text, nullable=False),
        _ts("created"),
        _ts("edited", True),
        _ts("deleted", True),
        _ts("hidden", True),
        sa.Column("hidden_by", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
    )
    op.create_index("ix_comments_paper", "comments", ["paper_pk", "created"])
    op.create_index("ix_comments_parent", "comments", ["parent_id"])
    op.create_table(
        "comment_upvoters",
        _fk("comment_id", "comments.id", True),
        _fk("user_id", "users.id", True),
        _ts("created"),
    )
    op.create_table(
        "comment_reports",
        _fk("comment_id", "comments.id", True),
        _fk("user_id", "users.id", True),
        sa.Column("reason", sa.Text, nullable=False),
        _ts("created"),
    )


def downgrade() -> None:
    for table in ("comment_reports", "comment_upvoters", "comments"):
        op.drop_table(table)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("moderator")
