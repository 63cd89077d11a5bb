"""Discussion on papers: comments threaded by parent (any depth), edited and deleted by their
authors, upvoted (one per account) and reported by anyone signed in, hidden by moderators.

Deleting keeps the row with its body emptied, so replies keep their place in the thread; a
hidden comment keeps its body so a moderator can unhide it. Bodies are stored as typed
(Markdown); rendering and sanitising happen on view (paperwire.community.markup).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from paperwire.errors import BadRequest, NotFound, PaperwireError
from paperwire.store.db import Store
from paperwire.store.papers import CHUNK
from paperwire.store.schema import comment_reports, comment_upvoters, comments, papers, users
from paperwire.store.votes import utc

MAX_BODY = 10_000
MAX_REASON = 500


class Forbidden(PaperwireError):
    """Signed in, but not allowed: another user's comment, or a moderator's action."""

    exit_code = 3
    http_status = 403


@dataclass(frozen=True)
class Comment:
    id: int
    paper_pk: int
    paper_id: str  # the paper's public id
    user_id: int
    author: str  # the display name, else "user N": an email address is never shown
    parent_id: int | None
    body: str
    created: datetime
    edited: datetime | None
    deleted: datetime | None
    hidden: datetime | None
    upvotes: int = 0
    upvoted: bool = False  # by the viewer
    reports: int = 0
    depth: int = 0  # 0 for a top-level comment, in thread order


def check_body(body: str) -> str:
    """The body, stripped, when it can be a comment; else BadRequest saying why."""
    text = (body or "").replace("\r\n", "\n").strip()
    if not text:
        raise BadRequest("a comment cannot be empty")
    if len(text) > MAX_BODY:
        raise BadRequest(f"a comment is at most {MAX_BODY:,} characters (this one: {len(text):,})")
    return text


_COLUMNS = (
    comments.c.id,
    comments.c.paper_pk,
    papers.c.id.label("paper_id"),
    comments.c.user_id,
    func.coalesce(users.c.name, "").label("name"),
    comments.c.parent_id,
    comments.c.body,
    comments.c.created,
    comments.c.edited,
    comments.c.deleted,
    comments.c.hidden,
)


_JOINED = comments.join(users, users.c.id == comments.c.user_id).join(
    papers, papers.c.pk == comments.c.paper_pk
)


def _comment(row: Any, **extra: Any) -> Comment:
    m = row._mapping
    return Comment(
        id=int(m["id"]),
        paper_pk=int(m["paper_pk"]),
        paper_id=str(m["paper_id"]),
        user_id=int(m["user_id"]),
        author=m["name"] or f"user {m['user_id']}",
        parent_id=m["parent_id"],
        body=m["body"],
        created=utc(m["created"]),
        edited=utc(m["edited"]) if m["edited"] else None,
        deleted=utc(m["deleted"]) if m["deleted"] else None,
        hidden=utc(m["hidden"]) if m["hidden"] else None,
        **extra,
    )


def get_comment(store: Store, comment_id: int) -> Comment:
    """The comment, or NotFound."""
    stmt = select(*_COLUMNS).select_from(_JOINED).where(comments.c.id == comment_id)
    with store.engine.connect() as conn:
        row = conn.execute(stmt).first()
    if row is None:
        raise NotFound(f"no comment {comment_id}")
    return _comment(row)


def add_comment(
    store: Store,
    *,
    paper_pk: int,
    user_id: int,
    body: str,
    parent_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Post a comment (a reply when `parent_id` is given); its id. A reply must answer a
    visible comment on the same paper."""
    text = check_body(body)
    if parent_id is not None:
        parent = get_comment(store, parent_id)
        if parent.paper_pk != paper_pk:
            raise BadRequest(f"comment {parent_id} is about another paper")
        if parent.deleted or parent.hidden:
            raise BadRequest(f"comment {parent_id} was removed: it cannot be answered")
    with store.engine.begin() as conn:
        result = conn.execute(
            comments.insert().values(
                paper_pk=paper_pk,
                user_id=user_id,
                parent_id=parent_id,
                body=text,
                created=utc(now),
            )
        )
        new_id = result.inserted_primary_key
    assert new_id is not None
    return int(new_id[0])


def _own(store: Store, comment_id: int, user_id: int) -> Comment:
    found = get_comment(store, comment_id)
    if found.user_id != user_id:
        raise Forbidden("only its author can change or delete a comment")
    if found.deleted:
        raise NotFound(f"comment {comment_id} was deleted")
    return found


def edit_comment(
    store: Store, *, comment_id: int, user_id: int, body: str, now: datetime | None = None
) -> None:
    """Replace the author's own comment's text; Forbidden for anyone else."""
    text = check_body(body)
    _own(store, comment_id, user_id)
    with store.engine.begin() as conn:
        conn.execute(
            update(comments).where(comments.c.id == comment_id).values(body=text, edited=utc(now))
        )


def delete_comment(
    store: Store, *, comment_id: int, user_id: int, now: datetime | None = None
) -> None:
    """Delete the author's own comment (its text goes; replies stay); Forbidden for others."""
    _own(store, comment_id, user_id)
    with store.engine.begin() as conn:
        conn.execute(
            update(comments).where(comments.c.id == comment_id).values(body="", deleted=utc(now))
        )
        conn.execute(delete(comment_upvoters).where(comment_upvoters.c.comment_id == comment_id))


# --- moderators ------------------------------------------------------------------------------


def is_moderator(store: Store, user_id: int) -> bool:
    stmt = select(users.c.moderator).where(users.c.id == user_id)
    with store.engine.connect() as conn:
        return bool(conn.scalar(stmt))


def set_moderator(store: Store, user_id: int, on: bool) -> None:
    with store.engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == user_id).values(moderator=on))


def set_hidden(
    store: Store, *, comment_id: int, moderator_id: int, hidden: bool, now: datetime | None = None
) -> None:
    """Hide (or unhide) a comment; Forbidden unless `moderator_id` is a moderator."""
    if not is_moderator(store, moderator_id):
        raise Forbidden("only moderators can hide or unhide comments")
    get_comment(store, comment_id)  # NotFound
    values: dict[str, Any] = (
        {"hidden": utc(now), "hidden_by": moderator_id} if hidden else {"hidden": None}
    )
    with store.engine.begin() as conn:
        conn.execute(update(comments).where(comments.c.id == comment_id).values(**values))


# --- upvotes and reports ---------------------------------------------------------------------


def _visible(store: Store, comment_id: int) -> Comment:
    found = get_comment(store, comment_id)
    if found.deleted or found.hidden:
        raise NotFound(f"comment {comment_id} was removed")
    return found


def set_upvote(
    store: Store, *, comment_id: int, user_id: int, on: bool, now: datetime | None = None
) -> tuple[bool, int]:
    """Upvote (`on`) or take it back, one per account; (upvoted now, the comment's count)."""
    _visible(store, comment_id)
    if on:
        try:
            with store.engine.begin() as conn:
                conn.execute(
                    comment_upvoters.insert().values(
                        comment_id=comment_id, user_id=user_id, created=utc(now)
                    )
                )
        except IntegrityError:
            pass  # already upvoted
    else:
        with store.engine.begin() as conn:
            conn.execute(
                delete(comment_upvoters).where(
                    comment_upvoters.c.comment_id == comment_id,
                    comment_upvoters.c.user_id == user_id,
                )
            )
    count = select(func.count()).where(comment_upvoters.c.comment_id == comment_id)
    with store.engine.connect() as conn:
        return on, int(conn.scalar(count) or 0)


def report_comment(
    store: Store, *, comment_id: int, user_id: int, reason: str, now: datetime | None = None
) -> bool:
    """Report a comment to the moderators; False when this user had reported it already."""
    text = (reason or "").strip()[:MAX_REASON]
    _visible(store, comment_id)
    try:
        with store.engine.begin() as conn:
            conn.execute(
                comment_reports.insert().values(
                    comment_id=comment_id, user_id=user_id, reason=text, created=utc(now)
                )
            )
    except IntegrityError:
        return False
    return True


def reports(store: Store, comment_id: int) -> list[str]:
    """The reasons given in the reports of one comment, oldest first."""
    stmt = (
        select(comment_reports.c.reason)
        .where(comment_reports.c.comment_id == comment_id)
        .order_by(comment_reports.c.created, comment_reports.c.user_id)
    )
    with store.engine.connect() as conn:
        return [str(r) for r in conn.scalars(stmt)]


# --- a paper's thread and the counts on lists ------------------------------------------------


def _in_thread_order(found: list[Comment]) -> list[Comment]:
    """Depth-first: each comment followed by its replies, siblings oldest first."""
    children: dict[int | None, list[Comment]] = {}
    for c in found:
        children.setdefault(c.parent_id, []).append(c)
    out: list[Comment] = []
    stack = [(c, 0) for c in reversed(children.get(None, []))]
    while stack:
        c, depth = stack.pop()
        out.append(Comment(**{**c.__dict__, "depth": depth}))
        stack.extend((r, depth + 1) for r in reversed(children.get(c.id, [])))
    return out


def thread(store: Store, paper_pk: int, viewer_id: int | None = None) -> list[Comment]:
    """Every comment on the paper in thread order, with upvotes, whether the viewer upvoted
    and how many reports it has (hidden and deleted ones included: the page decides what to
    show). Three queries whatever the thread's size."""
    stmt = (
        select(*_COLUMNS)
        .select_from(_JOINED)
        .where(comments.c.paper_pk == paper_pk)
        .order_by(comments.c.created, comments.c.id)
    )
    ups = (
        select(
            comment_upvoters.c.comment_id,
            func.count(),
            func.max(case((comment_upvoters.c.user_id == (viewer_id or 0), 1), else_=0)),
        )
        .join(comments, comments.c.id == comment_upvoters.c.comment_id)
        .where(comments.c.paper_pk == paper_pk)
        .group_by(comment_upvoters.c.comment_id)
    )
    reported = (
        select(comment_reports.c.comment_id, func.count())
        .join(comments, comments.c.id == comment_reports.c.comment_id)
        .where(comments.c.paper_pk == paper_pk)
        .group_by(comment_reports.c.comment_id)
    )
    with store.engine.connect() as conn:
        rows = conn.execute(stmt).all()
        if not rows:
            return []
        up = {int(c): (int(n), bool(m)) for c, n, m in conn.execute(ups)}
        rep = {int(c): int(n) for c, n in conn.execute(reported)}
    found = [
        _comment(
            r,
            upvotes=up.get(r.id, (0, False))[0],
            upvoted=up.get(r.id, (0, False))[1],
            reports=rep.get(r.id, 0),
        )
        for r in rows
    ]
    return _in_thread_order(found)


def comment_counts(store: Store, paper_ids: Sequence[str]) -> dict[str, int]:
    """Paper id -> visible comments (not deleted, not hidden), for the papers of one page in
    ONE query. Papers without comments are absent."""
    ids = list(dict.fromkeys(paper_ids))[:CHUNK]
    if not ids:
        return {}
    stmt = (
        select(papers.c.id, func.count())
        .select_from(comments.join(papers, papers.c.pk == comments.c.paper_pk))
        .where(papers.c.id.in_(ids), comments.c.deleted.is_(None), comments.c.hidden.is_(None))
        .group_by(papers.c.id)
    )
    with store.engine.connect() as conn:
        return {str(i): int(n) for i, n in conn.execute(stmt)}
