"""External signals of papers (Hugging Face upvotes and submitter) and users' list rules
(keyword include/exclude, onboarding categories).

Revision ID: 0005_i13a
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_i13a"
down_revision = "0004"
branch_labels = None
depends_on = None


def _fk(name: str, target: str, primary_key: bool = False) -> sa.Column:
    return sa.Column(
        name,
        sa.Integer,
        sa.ForeignKey(target, ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def upgrade() -> None:
    op.create_table(
        "paper_signals",
        _fk("paper_pk", "papers.pk", True),
        sa.Column("source", sa.String(32), primary_key=True),
        sa.Column("upvotes", sa.Integer, nullable=False),
        sa.Column("submitter", sa.String(200)),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "user_rules",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _fk("user_id", "users.id"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "kind", "value", name="uq_user_rules"),
    )


def downgrade() -> None:
    op.drop_table("user_rules")
    op.drop_table("paper_signals")
