"""Token vectors in the store: per index key its packed sign bits, for the MaxSim rerank of an
index backend that cannot hold them itself (Milvus), readable by every host.

Revision ID: 0006_milvus
Revises: 0005_i9a
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_milvus"
down_revision = "0005_i9a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paper_tokens",
        sa.Column("paper_pk", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("text_hash", sa.BigInteger, nullable=False),
        sa.Column("dim", sa.Integer, nullable=False),
        sa.Column("bits", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("paper_tokens")
