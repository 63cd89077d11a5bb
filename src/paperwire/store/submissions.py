"""Papers that users submitted (by arXiv id or URL): a submission counts as the submitter's
upvote, written in the same transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from paperwire.store.db import Store
from paperwire.store.schema import submissions, votes
from paperwire.store.votes import utc


def record_submission(
    store: Store, user_id: int, paper_pk: int, *, now: datetime | None = None
) -> bool:
    """Record that the user submitted the paper and upvote it for them; False when they had
    submitted it before (the vote is still made sure of)."""
    when = utc(now)
    for _ in range(2):  # the same user submitting twice at once: the second sees the first
        try:
            with store.engine.begin() as conn:
                seen = conn.execute(
                    select(submissions.c.id).where(
                        submissions.c.user_id == user_id, submissions.c.paper_pk == paper_pk
                    )
                ).first()
                if seen is None:
                    conn.execute(
                        submissions.insert().values(
                            user_id=user_id, paper_pk=paper_pk, created=when
                        )
                    )
                voted = conn.execute(
                    select(votes.c.paper_pk).where(
                        votes.c.user_id == user_id, votes.c.paper_pk == paper_pk
                    )
                ).first()
                if voted is None:
                    conn.execute(
                        votes.insert().values(user_id=user_id, paper_pk=paper_pk, created=when)
                    )
            return seen is None
        except IntegrityError:
            continue
    return False


def submission_count(store: Store, *, user_id: int | None = None) -> int:
    stmt = select(func.count()).select_from(submissions)
    if user_id is not None:
        stmt = stmt.where(submissions.c.user_id == user_id)
    with store.engine.connect() as conn:
        return int(conn.scalar(stmt) or 0)


def submitted_by(store: Store, user_id: int) -> list[int]:
    """Pks of the papers this user submitted, newest first."""
    stmt = (
        select(submissions.c.paper_pk)
        .where(submissions.c.user_id == user_id)
        .order_by(submissions.c.created.desc(), submissions.c.id.desc())
    )
    with store.engine.connect() as conn:
        return [int(p) for p in conn.scalars(stmt)]
