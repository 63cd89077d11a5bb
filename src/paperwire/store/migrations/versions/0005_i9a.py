"""Index sync state in the store: a commit-ordered change counter on papers, and what each
index backend has applied (so that any host can tell how far an index lags).

Revision ID: 0005_i9a
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_i9a"
down_revision = "0005_i13b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.add_column(sa.Column("change_seq", sa.Integer, nullable=False, server_default="0"))
        batch.create_index("ix_papers_change_seq", ["change_seq"])
    # Papers stored before: one change each, in pk order (an index applies them all once).
    op.execute("UPDATE papers SET change_seq = pk")
    op.create_table(
        "change_seq",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
    )
    op.execute(
        "INSERT INTO change_seq (name, value) SELECT 'papers', COALESCE(MAX(pk), 0) FROM papers"
    )
    op.create_table(
        "index_applied",
        sa.Column("backend", sa.String(255), primary_key=True),
        sa.Column("instance", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("papers_indexed", sa.Integer, nullable=False),
        sa.Column("papers_embedded", sa.Integer, nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("index_applied")
    op.drop_table("change_seq")
    with op.batch_alter_table("papers") as batch:
        batch.drop_index("ix_papers_change_seq")
        batch.drop_column("change_seq")
