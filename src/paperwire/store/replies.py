"""Replies to a user's comments, told in their digest (unless they switched it off).

A reply is told once: the digest that holds it writes (user, comment, day) to `reply_notices`
in the transaction that claims the digest, so a digest rendered again (a retry, a crash) shows
the same replies, and the next day's digest only newer ones. Deleted or hidden replies, and
answers to oneself, are never told.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.orm import aliased

from paperwire.store.db import Store
from paperwire.store.schema import comments, papers, reply_notices, users
from paperwire.store.votes import utc

EXCERPT = 280  # characters of a reply's Markdown shown in a mail


@dataclass(frozen=True)
class Reply:
    comment_id: int
    to_user: int  # the author of the comment answered
    paper_id: str
    paper_title: str
    author: str  # who replied: display name, else "user N" (never an email address)
    excerpt: str  # the reply's Markdown, cut (a mail shows it as plain text)
    created: datetime


def _excerpt(body: str) -> str:
    text = " ".join((body or "").split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


_PARENT = aliased(comments, name="parent")
_REPLIER = aliased(users, name="replier")
_OWNER = aliased(users, name="owner")


def _select() -> Any:
    """Replies (comments with a parent) to someone else, visible, to users who want notices."""
    return (
        select(
            comments.c.id,
            _PARENT.c.user_id.label("to_user"),
            papers.c.id.label("paper_id"),
            papers.c.title,
            _REPLIER.c.id.label("replier_id"),
            _REPLIER.c.name,
            comments.c.body,
            comments.c.created,
        )
        .select_from(comments)
        .join(_PARENT, _PARENT.c.id == comments.c.parent_id)
        .join(papers, papers.c.pk == comments.c.paper_pk)
        .join(_REPLIER, _REPLIER.c.id == comments.c.user_id)
        .join(_OWNER, _OWNER.c.id == _PARENT.c.user_id)
        .where(
            comments.c.user_id != _PARENT.c.user_id,
            comments.c.deleted.is_(None),
            comments.c.hidden.is_(None),
            _OWNER.c.notify_replies.is_(True),
        )
    )


def _reply(row: Any) -> Reply:
    m = row._mapping
    return Reply(
        comment_id=int(m["id"]),
        to_user=int(m["to_user"]),
        paper_id=str(m["paper_id"]),
        paper_title=str(m["title"]),
        author=m["name"] or f"user {m['replier_id']}",
        excerpt=_excerpt(m["body"]),
        created=utc(m["created"]),
    )


def pending_replies(
    store: Store, *, since: datetime, until: datetime | None = None
) -> dict[int, list[Reply]]:
    """Replies posted from `since` (before `until`) not told yet, by the user they answer
    (users who switched notices off are absent), oldest first. One query for a digest run."""
    told = (
        select(reply_notices.c.comment_id)
        .where(
            reply_notices.c.comment_id == comments.c.id,
            reply_notices.c.user_id == _PARENT.c.user_id,
        )
        .exists()
    )
    stmt = _select().where(comments.c.created >= utc(since), ~told)
    if until is not None:
        stmt = stmt.where(comments.c.created < utc(until))
    found: dict[int, list[Reply]] = {}
    with store.engine.connect() as conn:
        for row in conn.execute(stmt.order_by(comments.c.created, comments.c.id)):
            reply = _reply(row)
            found.setdefault(reply.to_user, []).append(reply)
    return found


def told_replies(store: Store, user_id: int, day: date) -> list[Reply]:
    """The replies the digest of (user, day) holds, oldest first."""
    stmt = (
        _select()
        .join(
            reply_notices,
            and_(reply_notices.c.comment_id == comments.c.id, reply_notices.c.user_id == user_id),
        )
        .where(_PARENT.c.user_id == user_id)
        .where(reply_notices.c.day == day)
        .order_by(comments.c.created, comments.c.id)
    )
    with store.engine.connect() as conn:
        return [_reply(r) for r in conn.execute(stmt)]


def note_replies(conn: Any, user_id: int, day: date, comment_ids: Sequence[int]) -> None:
    """Mark replies as told in the digest of (user, day), in the caller's transaction (the
    one claiming that digest). Replies told before keep their day."""
    ids = list(dict.fromkeys(int(c) for c in comment_ids))
    if not ids:
        return
    have = set(
        conn.scalars(
            select(reply_notices.c.comment_id).where(
                reply_notices.c.user_id == user_id, reply_notices.c.comment_id.in_(ids)
            )
        )
    )
    new = [{"user_id": user_id, "comment_id": c, "day": day} for c in ids if c not in have]
    if new:
        conn.execute(reply_notices.insert(), new)


def note_many(conn: Any, day: date, replies: Mapping[int, Sequence[int]]) -> None:
    for user_id, ids in replies.items():
        note_replies(conn, user_id, day, ids)


def notify_replies(store: Store, user_id: int) -> bool:
    """Whether the user's digest tells them of replies to their comments (default: yes)."""
    with store.engine.connect() as conn:
        found = conn.scalar(select(users.c.notify_replies).where(users.c.id == user_id))
    return bool(found) if found is not None else False


def set_notify_replies(store: Store, user_id: int, on: bool) -> None:
    with store.engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == user_id).values(notify_replies=on))
