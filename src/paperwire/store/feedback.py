"""What recommendations learn from: a user's likes (upvotes and bookmarks) and their
"not interested" marks, and the profile reset that forgets both.

Likes are read from `votes` and `bookmarks` (written by votes.py and collections.py); a like
counts only when made after `users.profile_reset`, so a reset needs no deletes there: the
votes and bookmarks stay where the user put them. "Not interested" marks live in `feedback`
(signal -1) and a reset deletes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select, union_all, update
from sqlalchemy.exc import IntegrityError

from paperwire.errors import NotFound
from paperwire.store.db import Store
from paperwire.store.schema import bookmarks, collections, feedback, papers, users, votes

NOT_INTERESTED = -1


@dataclass(frozen=True)
class Mark:
    """A "not interested" mark as the recommendations page lists it (for its Undo button)."""

    paper_pk: int
    paper_id: str
    title: str
    created: datetime


def _profile_reset(store: Store, user_id: int) -> datetime | None:
    with store.engine.connect() as conn:
        value: datetime | None = conn.scalar(
            select(users.c.profile_reset).where(users.c.id == user_id)
        )
    return value


def liked_papers(
    store: Store, user_id: int, *, since_reset: bool = True, limit: int | None = None
) -> list[int]:
    """Paper pks the user upvoted or bookmarked, most recent like first; with `since_reset`,
    only likes made after the last profile reset (what recommendations learn from)."""
    vote_rows = select(votes.c.paper_pk, votes.c.created).where(votes.c.user_id == user_id)
    mark_rows = (
        select(bookmarks.c.paper_pk, bookmarks.c.created)
        .join(collections, collections.c.id == bookmarks.c.collection_id)
        .where(collections.c.user_id == user_id)
    )
    reset = _profile_reset(store, user_id) if since_reset else None
    if reset is not None:
        vote_rows = vote_rows.where(votes.c.created > reset)
        mark_rows = mark_rows.where(bookmarks.c.created > reset)
    both = union_all(vote_rows, mark_rows).subquery()
    with store.engine.connect() as conn:
        rows = conn.execute(select(both.c.paper_pk, both.c.created))
        newest: dict[int, datetime] = {}
        for pk, created in rows:
            if pk not in newest or created > newest[pk]:
                newest[pk] = created
    ordered = sorted(newest, key=lambda pk: (newest[pk], pk), reverse=True)
    return ordered[:limit] if limit is not None else ordered


def not_interested(store: Store, user_id: int) -> list[int]:
    """Paper pks the user marked "not interested", most recent first."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(feedback.c.paper_pk)
            .where(feedback.c.user_id == user_id, feedback.c.signal == NOT_INTERESTED)
            .order_by(feedback.c.created.desc(), feedback.c.paper_pk.desc())
        )
        return [int(r[0]) for r in rows]


def list_marks(store: Store, user_id: int, *, limit: int = 100) -> list[Mark]:
    """The user's "not interested" marks with the papers' ids and titles, most recent first."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(feedback.c.paper_pk, papers.c.id, papers.c.title, feedback.c.created)
            .join(papers, papers.c.pk == feedback.c.paper_pk)
            .where(feedback.c.user_id == user_id, feedback.c.signal == NOT_INTERESTED)
            .order_by(feedback.c.created.desc(), feedback.c.paper_pk.desc())
            .limit(limit)
        )
        return [Mark(int(r[0]), r[1], r[2], r[3]) for r in rows]


def mark_not_interested(store: Store, user_id: int, paper_pk: int) -> bool:
    """Mark a paper "not interested" (again: the mark's time is renewed). True when the mark
    is new; NotFound when there is no such paper."""
    now = datetime.now(UTC)
    where = (feedback.c.user_id == user_id, feedback.c.paper_pk == paper_pk)
    for _ in range(2):  # two clicks at once: the loser updates the winner's row
        with store.engine.begin() as conn:
            if conn.scalar(select(papers.c.pk).where(papers.c.pk == paper_pk)) is None:
                raise NotFound(f"no paper with pk {paper_pk}")
            found = conn.execute(select(feedback.c.signal).where(*where)).first()
            if found is not None:
                conn.execute(
                    update(feedback).where(*where).values(signal=NOT_INTERESTED, created=now)
                )
                return False
        try:
            with store.engine.begin() as conn:
                conn.execute(
                    feedback.insert().values(
                        user_id=user_id, paper_pk=paper_pk, signal=NOT_INTERESTED, created=now
                    )
                )
            return True
        except IntegrityError:
            continue
    return False


def unmark(store: Store, user_id: int, paper_pk: int) -> bool:
    """Remove a "not interested" mark (Undo); False when there was none."""
    with store.engine.begin() as conn:
        result = conn.execute(
            delete(feedback).where(feedback.c.user_id == user_id, feedback.c.paper_pk == paper_pk)
        )
    return result.rowcount == 1


def reset_profile(store: Store, user_id: int, when: datetime | None = None) -> datetime:
    """Start recommendations afresh: likes made until now stop counting (votes and bookmarks
    themselves stay) and every "not interested" mark is deleted. Returns the reset time."""
    when = when or datetime.now(UTC)
    with store.engine.begin() as conn:
        conn.execute(delete(feedback).where(feedback.c.user_id == user_id))
        conn.execute(update(users).where(users.c.id == user_id).values(profile_reset=when))
    return when
