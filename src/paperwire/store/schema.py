"""Table definitions (SQLAlchemy Core). Changes here need an Alembic migration."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

papers = Table(
    "papers",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    # Public, stable id: arXiv id without version, else "doi:<doi>", else "title-<hash>".
    Column("id", String(128), nullable=False, unique=True),
    Column("arxiv_id", String(64), unique=True),
    Column("doi", String(255)),
    Column("title_key", String(40), nullable=False),  # hash of the normalised title
    Column("title", Text, nullable=False),
    Column("abstract", Text, nullable=False, default=""),
    Column("authors", JSON, nullable=False),
    Column("categories", JSON, nullable=False),
    Column("primary_category", String(64)),
    Column("submitted", Date),
    Column("updated", Date),
    Column("announced", Date),  # the day it was announced or listed (earliest seen)
    Column("versions", JSON, nullable=False),  # [[number, "YYYY-MM-DD" | null], ...]
    Column("latest_version", Integer),
    Column("journal_ref", Text),
    Column("comments", Text),
    Column("abs_url", Text),
    Column("pdf_url", Text),
    Column("code_links", JSON, nullable=False),
    Column("sources", JSON, nullable=False),  # sorted source names
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("modified", DateTime(timezone=True), nullable=False),
    Index("ix_papers_doi", "doi"),
    Index("ix_papers_title_key", "title_key"),
    Index("ix_papers_announced", "announced"),
    Index("ix_papers_submitted", "submitted"),
    Index("ix_papers_modified", "modified"),
)

paper_categories = Table(
    "paper_categories",
    metadata,
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("category", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
    Index("ix_paper_categories_category", "category"),
)

# Old public ids of papers whose id was promoted (title hash -> arXiv id), so links keep working.
paper_aliases = Table(
    "paper_aliases",
    metadata,
    Column("alias", String(128), primary_key=True),
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), nullable=False),
)

ingest_checkpoints = Table(
    "ingest_checkpoints",
    metadata,
    Column("key", String(512), primary_key=True),
    Column("source", String(64), nullable=False),
    Column("state", JSON, nullable=False),
    Column("updated", DateTime(timezone=True), nullable=False),
)

ingest_runs = Table(
    "ingest_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("key", String(512), nullable=False),
    Column("started", DateTime(timezone=True), nullable=False),
    Column("finished", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),  # running | done | failed
    Column("counts", JSON, nullable=False),
    Column("message", Text),
)
