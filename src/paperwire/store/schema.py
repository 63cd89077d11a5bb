"""Table definitions (SQLAlchemy Core). Changes here need an Alembic migration."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
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
    # The store's change counter when this row was last written (see store/changes.py): what
    # `index update` reads, in commit order, where `modified` (taken before the writer lock)
    # is not.
    Column("change_seq", Integer, nullable=False, server_default="0"),
    Index("ix_papers_doi", "doi"),
    Index("ix_papers_title_key", "title_key"),
    Index("ix_papers_announced", "announced"),
    Index("ix_papers_submitted", "submitted"),
    Index("ix_papers_modified", "modified"),
    Index("ix_papers_change_seq", "change_seq"),
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

# --- community: accounts, votes, bookmarks, subscriptions, digests (migration 0002) ----------

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, unique=True),  # stored lower-cased
    Column("name", String(200)),
    Column("password_hash", Text),  # argon2; null = magic-link sign-in only
    # Bumped on sign-out-everywhere / password change: session cookies carry it.
    Column("session_version", Integer, nullable=False, default=0),
    Column("profile_reset", DateTime(timezone=True)),  # recs ignore likes older than this
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_login", DateTime(timezone=True)),
    # May hide and unhide comments (migration 0004; `paperwire users add --moderator`).
    Column("moderator", Boolean, nullable=False, default=False, server_default=false()),
    # Replies to one's comments in the digest (migration 0005_i13b): on unless switched off.
    Column("notify_replies", Boolean, nullable=False, default=True, server_default=true()),
)

# Magic links: one row per link sent; `used` set when it is redeemed (single use).
login_tokens = Table(
    "login_tokens",
    metadata,
    Column("nonce", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("expires", DateTime(timezone=True), nullable=False),
    Column("used", DateTime(timezone=True)),
    Index("ix_login_tokens_user", "user_id"),
)

votes = Table(
    "votes",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("created", DateTime(timezone=True), nullable=False),
    Index("ix_votes_paper", "paper_pk"),
    # (created, paper_pk): trending reads a window of votes from this index alone.
    Index("ix_votes_created", "created", "paper_pk"),
)

collections = Table(
    "collections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    UniqueConstraint("user_id", "name", name="uq_collections_user_name"),
)

bookmarks = Table(
    "bookmarks",
    metadata,
    Column(
        "collection_id",
        Integer,
        ForeignKey("collections.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("created", DateTime(timezone=True), nullable=False),
)

submissions = Table(
    "submissions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    UniqueConstraint("user_id", "paper_pk", name="uq_submissions_user_paper"),
)

# "Not interested" marks (signal -1) for recommendations; likes come from votes and bookmarks.
feedback = Table(
    "feedback",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("signal", Integer, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),  # trending | search | recs
    Column("query", Text),  # the saved search (kind "search")
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created", DateTime(timezone=True), nullable=False),
    Index("ix_subscriptions_user", "user_id"),
)

# One digest per user per day: the row is claimed before sending, marked sent after, so a
# crash mid-run neither sends twice nor skips anyone.
digest_outbox = Table(
    "digest_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("day", Date, nullable=False),
    Column("status", String(16), nullable=False),  # pending | sending | sent | failed | empty
    Column("attempts", Integer, nullable=False, default=0),
    Column("message_id", String(255)),
    Column("paper_pks", JSON, nullable=False),  # what the digest holds, fixed when claimed
    Column("created", DateTime(timezone=True), nullable=False),
    Column("next_try", DateTime(timezone=True)),
    Column("sent", DateTime(timezone=True)),
    Column("error", Text),
    UniqueConstraint("user_id", "day", name="uq_digest_outbox_user_day"),
    Index("ix_digest_outbox_status", "status"),
)

# Papers already mailed to a user: each paper at most once per subscriber.
digest_items = Table(
    "digest_items",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("day", Date, nullable=False),
)

# Fixed-window counters shared by all worker processes (sign-in, votes, submissions).
rate_limits = Table(
    "rate_limits",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("window", Integer, nullable=False),  # window start, epoch seconds
    Column("count", Integer, nullable=False),
)

# --- the daily pipeline (migration 0003) -------------------------------------------------

# One row per run of a pipeline step (harvest:<source>, index, embed, digest) for a day.
pipeline_runs = Table(
    "pipeline_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("step", String(64), nullable=False),
    Column("day", Date, nullable=False),  # the day the step ran for (schedule time zone)
    Column("status", String(16), nullable=False),  # running | done | failed | interrupted
    Column("started", DateTime(timezone=True), nullable=False),
    Column("finished", DateTime(timezone=True)),
    Column("seconds", Float),
    Column("counts", JSON, nullable=False),
    Column("error", Text),
    Index("ix_pipeline_runs_step_day", "step", "day"),
)

# Small named JSON values the pipeline keeps between runs (e.g. an OAI set's next `from` day).
pipeline_state = Table(
    "pipeline_state",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("value", JSON, nullable=False),
    Column("updated", DateTime(timezone=True), nullable=False),
)

# A lease: at most one holder at a time across processes and machines, until `expires`.
pipeline_leases = Table(
    "pipeline_leases",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(255), nullable=False),
    Column("expires", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),  # bumped on every take: a compare-and-set
)

# --- discussion: comments on papers (migration 0004) ------------------------------------

# Threaded by parent_id (any depth). Deleting keeps the row (body emptied, `deleted` set) so
# replies keep their place; a moderator's hide keeps the body for unhiding.
comments = Table(
    "comments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("parent_id", Integer, ForeignKey("comments.id", ondelete="CASCADE")),
    Column("body", Text, nullable=False),  # Markdown as typed; rendered and sanitised on view
    Column("created", DateTime(timezone=True), nullable=False),
    Column("edited", DateTime(timezone=True)),
    Column("deleted", DateTime(timezone=True)),
    Column("hidden", DateTime(timezone=True)),
    Column("hidden_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Index("ix_comments_paper", "paper_pk", "created"),
    Index("ix_comments_parent", "parent_id"),
)

comment_upvoters = Table(
    "comment_upvoters",
    metadata,
    Column("comment_id", Integer, ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("created", DateTime(timezone=True), nullable=False),
)

comment_reports = Table(
    "comment_reports",
    metadata,
    Column("comment_id", Integer, ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
)


# --- index sync state (store/changes.py) -------------------------------------------------------

# Named counters bumped under the paper writers' lock: "papers" is the newest change_seq given.
change_seq = Table(
    "change_seq",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
)

# What each index backend has applied of the store: any host reads how far an index lags.
index_applied = Table(
    "index_applied",
    metadata,
    Column("backend", String(255), primary_key=True),  # "embedded", "milvus://host:port/coll"
    Column("instance", String(64), nullable=False),  # the index data's id (a rebuilt one: anew)
    Column("seq", Integer, nullable=False),  # every change up to this one is in the index
    Column("papers_indexed", Integer, nullable=False),
    Column("papers_embedded", Integer, nullable=False),
    Column("updated", DateTime(timezone=True), nullable=False),
)

# --- i13a: external signals, list rules -------------------------------------------------------

# A signal another site gave a paper (Hugging Face daily papers: its upvote count and who
# submitted it), one row per paper and source, replaced on each ingest. Never counted as our
# own votes: pages show it apart ("HF ▲ 64").
paper_signals = Table(
    "paper_signals",
    metadata,
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("source", String(32), primary_key=True),  # e.g. "hf-daily"
    Column("upvotes", Integer, nullable=False, default=0),
    Column("submitter", String(200)),
    Column("updated", DateTime(timezone=True), nullable=False),
)

# A user's saved list rules: keyword include/exclude (matched in title and abstract) and the
# categories picked at onboarding; applied to their lists and their digest.
user_rules = Table(
    "user_rules",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),  # include | exclude | category
    Column("value", String(200), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    UniqueConstraint("user_id", "kind", "value", name="uq_user_rules"),
)

# --- reply notifications in the digest (migration 0005_i13b) ---------------------------

# A reply told to the author of the comment it answers, in the digest of `day`: written when
# that digest is claimed (in the same transaction), so each reply is told at most once.
reply_notices = Table(
    "reply_notices",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("comment_id", Integer, ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True),
    Column("day", Date, nullable=False),
    Index("ix_reply_notices_user_day", "user_id", "day"),
)

# --- token vectors of the Milvus backend (migration 0006_milvus) ------------------------

# Per index key (the paper's pk) its token vectors as packed sign bits (paperwire.index.late),
# for the MaxSim rerank of a backend whose engine cannot hold them (Milvus Lite has no
# multi-vector fields): every host reads them from the shared store. `text_hash` is the text
# they were encoded from. No foreign key: a benchmark's scratch index keys synthetic papers.
paper_tokens = Table(
    "paper_tokens",
    metadata,
    Column("paper_pk", Integer, primary_key=True, autoincrement=False),
    Column("text_hash", BigInteger, nullable=False),
    Column("dim", Integer, nullable=False),
    Column("bits", LargeBinary, nullable=False),
)
