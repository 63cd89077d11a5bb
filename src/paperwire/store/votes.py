"""Votes: one upvote per account per paper, the counts pages show, and the raw votes of a
time window that the trending score (paperwire.community.trending) is computed from."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from sqlalchemy import Float, case, delete, func, select, type_coerce
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ColumnElement

from paperwire.store.db import Store
from paperwire.store.papers import CHUNK, listing_day
from paperwire.store.schema import papers, votes


def utc(when: datetime | None) -> datetime:
    """`when` (default: now) as an aware UTC datetime: SQLite keeps the wall time only."""
    if when is None:
        return datetime.now(UTC)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


# --- one account's vote ----------------------------------------------------------------------


def add_vote(store: Store, user_id: int, paper_pk: int, *, created: datetime | None = None) -> bool:
    """Upvote (`created`: when, default now); False when this user had already voted."""
    try:
        with store.engine.begin() as conn:
            conn.execute(
                votes.insert().values(user_id=user_id, paper_pk=paper_pk, created=utc(created))
            )
    except IntegrityError:
        # Already voted (or the paper or user is gone: then there is nothing to count anyway).
        return False
    return True


def remove_vote(store: Store, user_id: int, paper_pk: int) -> bool:
    """Take the upvote back; False when there was none."""
    with store.engine.begin() as conn:
        result = conn.execute(
            delete(votes).where(votes.c.user_id == user_id, votes.c.paper_pk == paper_pk)
        )
    return result.rowcount == 1


def has_voted(store: Store, user_id: int, paper_pk: int) -> bool:
    stmt = select(votes.c.paper_pk).where(votes.c.user_id == user_id, votes.c.paper_pk == paper_pk)
    with store.engine.connect() as conn:
        return conn.execute(stmt).first() is not None


def set_vote(
    store: Store,
    user_id: int,
    paper_pk: int,
    on: bool | None = None,
    *,
    now: datetime | None = None,
) -> tuple[bool, int]:
    """Vote (`on` True), unvote (False) or toggle (None); (voted now, the paper's count)."""
    if on is None:
        on = not has_voted(store, user_id, paper_pk)
    if on:
        add_vote(store, user_id, paper_pk, created=now)
    else:
        remove_vote(store, user_id, paper_pk)
    return on, vote_count(store, paper_pk)


def vote_count(store: Store, paper_pk: int) -> int:
    stmt = select(func.count()).select_from(votes).where(votes.c.paper_pk == paper_pk)
    with store.engine.connect() as conn:
        return int(conn.scalar(stmt) or 0)


def vote_state(
    store: Store, paper_ids: Sequence[str], user_id: int | None = None
) -> dict[str, tuple[int, bool]]:
    """Paper id -> (votes, voted by `user_id`) for the papers of one page, in ONE query (a
    page must not ask per item). Papers without votes are absent."""
    ids = list(dict.fromkeys(paper_ids))
    if not ids:
        return {}
    mine: ColumnElement[Any]
    if user_id is None:
        mine = func.max(0)
    else:
        mine = func.max(case((votes.c.user_id == user_id, 1), else_=0))
    stmt = (
        select(papers.c.id, func.count(), mine)
        .select_from(votes.join(papers, papers.c.pk == votes.c.paper_pk))
        .where(papers.c.id.in_(ids[:CHUNK]))
        .group_by(papers.c.id)
    )
    with store.engine.connect() as conn:
        return {str(i): (int(n), bool(m)) for i, n, m in conn.execute(stmt)}


# --- the votes of a window, for trending -----------------------------------------------------


def _epoch(store: Store) -> ColumnElement[Any]:
    """votes.created as seconds since 1970 (UTC), computed by the database."""
    if store.dialect == "sqlite":
        # SQLite stores the UTC wall time as text; julianday() reads it.
        seconds = (func.julianday(votes.c.created) - 2440587.5) * 86400.0
    else:
        seconds = func.extract("epoch", votes.c.created)
    # A plain float: no per-row Decimal or numeric processing (half the time at 100k rows).
    return type_coerce(seconds, Float(asdecimal=False))


def votes_between(store: Store, start: datetime, end: datetime) -> tuple[np.ndarray, np.ndarray]:
    """(paper pks, vote times as epoch seconds) of every vote with start < created <= end, as
    arrays: two plain columns, no per-row objects, so 100k votes load in tens of ms."""
    stmt = select(votes.c.paper_pk, _epoch(store)).where(
        votes.c.created > utc(start), votes.c.created <= utc(end)
    )
    with store.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, np.float64)
    pks, times = zip(*rows, strict=True)
    return np.fromiter(pks, np.int64, len(rows)), np.fromiter(times, np.float64, len(rows))


def rank_keys(store: Store, pks: Sequence[int]) -> dict[int, tuple[date | None, str]]:
    """pk -> (listing day, id): what trending breaks ties of equal scores with."""
    wanted = [int(p) for p in pks]
    found: dict[int, tuple[date | None, str]] = {}
    with store.engine.connect() as conn:
        for i in range(0, len(wanted), CHUNK):
            stmt = select(papers.c.pk, listing_day, papers.c.id).where(
                papers.c.pk.in_(wanted[i : i + CHUNK])
            )
            for pk, day, paper_id in conn.execute(stmt):
                if day is not None and not isinstance(day, date):
                    day = date.fromisoformat(str(day)[:10])  # SQLite: coalesce() gives text
                found[int(pk)] = (day, str(paper_id))
    return found


def votes_in_period(
    store: Store, pks: Sequence[int], start: datetime, end: datetime
) -> dict[int, int]:
    """pk -> votes cast in start < created <= end, for a page of papers (one query)."""
    wanted = [int(p) for p in pks][:CHUNK]
    if not wanted:
        return {}
    stmt = (
        select(votes.c.paper_pk, func.count())
        .where(
            votes.c.paper_pk.in_(wanted),
            votes.c.created > utc(start),
            votes.c.created <= utc(end),
        )
        .group_by(votes.c.paper_pk)
    )
    with store.engine.connect() as conn:
        return {int(p): int(n) for p, n in conn.execute(stmt)}


def add_votes(store: Store, rows: Sequence[tuple[int, int, datetime]]) -> int:
    """Bulk upvotes (user id, paper pk, created) in one transaction, for imports and tests;
    IntegrityError when one repeats an existing vote. How many were written."""
    values = [{"user_id": u, "paper_pk": p, "created": utc(c)} for u, p, c in rows]
    if not values:
        return 0
    with store.engine.begin() as conn:
        conn.execute(votes.insert(), values)
    return len(values)
