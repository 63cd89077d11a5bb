"""Initial schema: papers, categories, aliases, ingest checkpoints and runs.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "papers",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(128), nullable=False, unique=True),
        sa.Column("arxiv_id", sa.String(64), unique=True),
        sa.Column("doi", sa.String(255)),
        sa.Column("title_key", sa.String(40), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("abstract", sa.Text, nullable=False),
        sa.Column("authors", sa.JSON, nullable=False),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("primary_category", sa.String(64)),
        sa.Column("submitted", sa.Date),
        sa.Column("updated", sa.Date),
        sa.Column("announced", sa.Date),
        sa.Column("versions", sa.JSON, nullable=False),
        sa.Column("latest_version", sa.Integer),
        sa.Column("journal_ref", sa.Text),
        sa.Column("comments", sa.Text),
        sa.Column("abs_url", sa.Text),
        sa.Column("pdf_url", sa.Text),
        sa.Column("code_links", sa.JSON, nullable=False),
        sa.Column("sources", sa.JSON, nullable=False),
        _ts("first_seen"),
        _ts("modified"),
    )
    op.create_index("ix_papers_doi", "papers", ["doi"])
    op.create_index("ix_papers_title_key", "papers", ["title_key"])
    op.create_index("ix_papers_announced", "papers", ["announced"])
    op.create_index("ix_papers_submitted", "papers", ["submitted"])
    op.create_index("ix_papers_modified", "papers", ["modified"])
    op.create_table(
        "paper_categories",
        sa.Column(
            "paper_pk",
            sa.Integer,
            sa.ForeignKey("papers.pk", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("category", sa.String(64), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_index("ix_paper_categories_category", "paper_categories", ["category"])
    op.create_table(
        "paper_aliases",
        sa.Column("alias", sa.String(128), primary_key=True),
        sa.Column(
            "paper_pk", sa.Integer, sa.ForeignKey("papers.pk", ondelete="CASCADE"), nullable=False
        ),
    )
    op.create_table(
        "ingest_checkpoints",
        sa.Column("key", sa.String(512), primary_key=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("state", sa.JSON, nullable=False),
        _ts("updated"),
    )
    op.create_table(
        "ingest_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("key", sa.String(512), nullable=False),
        _ts("started"),
        _ts("finished", nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("message", sa.Text),
    )


def downgrade() -> None:
    for table in ("ingest_runs", "ingest_checkpoints", "paper_aliases", "paper_categories"):
        op.drop_table(table)
    op.drop_table("papers")
