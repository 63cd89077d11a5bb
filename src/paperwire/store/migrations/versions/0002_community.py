"""Community and digests: users, magic-link tokens, votes, collections and bookmarks,
submissions, recommendation feedback, subscriptions, the digest outbox and sent items,
rate-limit counters.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _user(primary_key: bool = False) -> sa.Column:
    return sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def _paper(primary_key: bool = False) -> sa.Column:
    return sa.Column(
        "paper_pk",
        sa.Integer,
        sa.ForeignKey("papers.pk", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("name", sa.String(200)),
        sa.Column("password_hash", sa.Text),
        sa.Column("session_version", sa.Integer, nullable=False, server_default="0"),
        _ts("profile_reset", True),
        _ts("created"),
        _ts("last_login", True),
    )
    op.create_table(
        "login_tokens",
        sa.Column("nonce", sa.String(64), primary_key=True),
        _user(),
        _ts("created"),
        _ts("expires"),
        _ts("used", True),
    )
    op.create_index("ix_login_tokens_user", "login_tokens", ["user_id"])
    op.create_table("votes", _user(True), _paper(True), _ts("created"))
    op.create_index("ix_votes_paper", "votes", ["paper_pk"])
    op.create_index("ix_votes_created", "votes", ["created", "paper_pk"])
    op.create_table(
        "collections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _user(),
        sa.Column("name", sa.String(100), nullable=False),
        _ts("created"),
        sa.UniqueConstraint("user_id", "name", name="uq_collections_user_name"),
    )
    op.create_table(
        "bookmarks",
        sa.Column(
            "collection_id",
            sa.Integer,
            sa.ForeignKey("collections.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        _paper(True),
        _ts("created"),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _user(),
        _paper(),
        _ts("created"),
        sa.UniqueConstraint("user_id", "paper_pk", name="uq_submissions_user_paper"),
    )
    op.create_table(
        "feedback",
        _user(True),
        _paper(True),
        sa.Column("signal", sa.Integer, nullable=False),
        _ts("created"),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _user(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("query", sa.Text),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        _ts("created"),
    )
    op.create_index("ix_subscriptions_user", "subscriptions", ["user_id"])
    op.create_table(
        "digest_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _user(),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("message_id", sa.String(255)),
        sa.Column("paper_pks", sa.JSON, nullable=False),
        _ts("created"),
        _ts("next_try", True),
        _ts("sent", True),
        sa.Column("error", sa.Text),
        sa.UniqueConstraint("user_id", "day", name="uq_digest_outbox_user_day"),
    )
    op.create_index("ix_digest_outbox_status", "digest_outbox", ["status"])
    op.create_table(
        "digest_items",
        _user(True),
        _paper(True),
        sa.Column("day", sa.Date, nullable=False),
    )
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("window", sa.Integer, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "rate_limits",
        "digest_items",
        "digest_outbox",
        "subscriptions",
        "feedback",
        "submissions",
        "bookmarks",
        "collections",
        "votes",
        "login_tokens",
        "users",
    ):
        op.drop_table(table)
