"""The digest outbox and the papers already mailed: what makes a digest run safe to repeat.

One `digest_outbox` row per (user, day), claimed before sending with the digest's papers fixed,
moved pending -> sending -> sent (or back to pending with a `next_try`, or to failed). The move
to "sending" is a compare-and-set (`WHERE status = 'pending'`), so two runs at once never both
send one row. The move to "sent" and the `digest_items` rows (each paper at most once per
subscriber) are one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from paperwire.store.db import Store
from paperwire.store.replies import note_many, note_replies
from paperwire.store.schema import digest_items, digest_outbox, subscriptions, users
from paperwire.store.subscriptions import Subscription, _sub
from paperwire.store.users import User, _user

PENDING, SENDING, SENT, FAILED, EMPTY = "pending", "sending", "sent", "failed", "empty"
LEFT_SENDING = (
    "left in 'sending' by an interrupted run: the SMTP server may have accepted it, so it is "
    "counted as sent (at most once)"
)


@dataclass(frozen=True)
class OutboxRow:
    id: int
    user_id: int
    day: date
    status: str
    attempts: int
    message_id: str | None
    paper_pks: list[int]
    next_try: datetime | None
    error: str | None


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _as_utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:  # SQLite hands back naive datetimes
        return value.replace(tzinfo=UTC)
    return value


def _row(row: Any) -> OutboxRow:
    m = row._mapping
    return OutboxRow(
        id=m["id"],
        user_id=m["user_id"],
        day=_as_date(m["day"]),
        status=m["status"],
        attempts=m["attempts"],
        message_id=m["message_id"],
        paper_pks=[int(p) for p in (m["paper_pks"] or [])],
        next_try=_as_utc(m["next_try"]),
        error=m["error"],
    )


def get_outbox(store: Store, user_id: int, day: date) -> OutboxRow | None:
    with store.engine.connect() as conn:
        row = conn.execute(
            select(digest_outbox).where(
                digest_outbox.c.user_id == user_id, digest_outbox.c.day == day
            )
        ).first()
    return _row(row) if row is not None else None


def outbox_for_day(store: Store, day: date) -> dict[int, OutboxRow]:
    """Every row of `day`, by user id (one read for a whole run)."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(digest_outbox).where(digest_outbox.c.day == day))
        return {r.user_id: r for r in map(_row, rows)}


def retryable(store: Store, *, until: date, now: datetime) -> list[OutboxRow]:
    """Pending rows of days up to `until` that are due (no `next_try`, or it has passed),
    oldest day first: digests a failed or interrupted run left behind."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(digest_outbox)
            .where(
                digest_outbox.c.status == PENDING,
                digest_outbox.c.day <= until,
                or_(digest_outbox.c.next_try.is_(None), digest_outbox.c.next_try <= now),
            )
            .order_by(digest_outbox.c.day, digest_outbox.c.user_id)
        )
        return [_row(r) for r in rows]


def claim(
    store: Store,
    user_id: int,
    day: date,
    paper_pks: Sequence[int],
    message_id: str,
    *,
    replies: Sequence[int] = (),
) -> OutboxRow:
    """The outbox row of (user, day): inserted now (pending, or empty when there are no
    papers nor `replies`, comment ids told with it) unless it exists, in which case the
    existing one is returned unchanged."""
    try:
        with store.engine.begin() as conn:
            conn.execute(
                digest_outbox.insert().values(
                    user_id=user_id,
                    day=day,
                    status=PENDING if paper_pks or replies else EMPTY,
                    attempts=0,
                    message_id=message_id,
                    paper_pks=[int(p) for p in paper_pks],
                    created=datetime.now(UTC),
                )
            )
            note_replies(conn, user_id, day, replies)
    except IntegrityError:
        pass  # another run claimed it first: theirs stands
    found = get_outbox(store, user_id, day)
    assert found is not None
    return found


def claim_many(
    store: Store,
    day: date,
    claims: Sequence[tuple[int, Sequence[int], str]],
    *,
    replies: Mapping[int, Sequence[int]] | None = None,
) -> dict[int, OutboxRow]:
    """`claim` for many users of one day, (user id, paper pks, message id) each, in one
    transaction: the rows by user id. Rows that exist are kept as they are; when another run
    inserts some meanwhile, each is claimed on its own instead. `replies`: comment ids told
    in each user's digest, by user id."""
    now = datetime.now(UTC)
    replies = replies or {}
    ids = [int(u) for u, _, _ in claims]
    try:
        with store.engine.begin() as conn:
            have = set(
                conn.scalars(
                    select(digest_outbox.c.user_id).where(
                        digest_outbox.c.day == day, digest_outbox.c.user_id.in_(ids)
                    )
                )
            )
            new = [
                {
                    "user_id": int(user_id),
                    "day": day,
                    "status": PENDING if pks or replies.get(int(user_id)) else EMPTY,
                    "attempts": 0,
                    "message_id": message_id,
                    "paper_pks": [int(p) for p in pks],
                    "created": now,
                }
                for user_id, pks, message_id in claims
                if int(user_id) not in have
            ]
            if new:
                conn.execute(digest_outbox.insert(), new)
                fresh = {int(u) for u, _, _ in claims} - have
                note_many(conn, day, {u: replies[u] for u in fresh if u in replies})
    except IntegrityError:  # a run beside this one claimed some of them first: theirs stand
        for user_id, pks, message_id in claims:
            claim(store, user_id, day, pks, message_id, replies=replies.get(int(user_id), ()))
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(digest_outbox).where(
                digest_outbox.c.day == day, digest_outbox.c.user_id.in_(ids)
            )
        )
        return {r.user_id: r for r in map(_row, rows)}


def mark_sending(store: Store, row_id: int) -> bool:
    """pending -> sending (attempts + 1); False when the row is not pending any more (another
    run took it)."""
    with store.engine.begin() as conn:
        result = conn.execute(
            update(digest_outbox)
            .where(digest_outbox.c.id == row_id, digest_outbox.c.status == PENDING)
            .values(status=SENDING, attempts=digest_outbox.c.attempts + 1)
        )
    return result.rowcount == 1


def mark_sent(
    store: Store, row_id: int, *, note: str | None = None, row: OutboxRow | None = None
) -> bool:
    """sending -> sent, and its papers into `digest_items`, in one transaction. `row`: the
    caller's copy of it (user, day and papers never change once claimed), saving a read."""
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        if row is None:
            found = conn.execute(select(digest_outbox).where(digest_outbox.c.id == row_id)).first()
            if found is None:
                return False
            row = _row(found)
        changed = conn.execute(
            update(digest_outbox)
            .where(digest_outbox.c.id == row_id, digest_outbox.c.status == SENDING)
            .values(status=SENT, sent=now, next_try=None, error=note)
        )
        if changed.rowcount != 1:
            return False
        _insert_items(conn, row.user_id, row.day, row.paper_pks)
    return True


def _insert_items(conn: Any, user_id: int, day: date, pks: Sequence[int]) -> None:
    if not pks:
        return
    new = [{"user_id": user_id, "paper_pk": p, "day": day} for p in dict.fromkeys(pks)]
    dialect = conn.dialect.name
    if dialect in ("sqlite", "postgresql"):  # papers mailed before stay as they were
        insert = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(digest_items)
        conn.execute(insert.on_conflict_do_nothing(), new)
        return
    have = set(
        conn.scalars(
            select(digest_items.c.paper_pk).where(
                digest_items.c.user_id == user_id, digest_items.c.paper_pk.in_(list(pks))
            )
        )
    )
    new = [r for r in new if r["paper_pk"] not in have]
    if new:
        conn.execute(digest_items.insert(), new)


class OutboxMarks:
    """`mark_sending` and `mark_sent` for a whole run, on one DBAPI connection held open: the
    two small commits around each SMTP hand-off. Through SQLAlchemy each statement costs about
    six times what SQLite takes to run it, and a run makes two transactions per message. The
    same statements, the same commits (each one its own, in the same order), the values bound
    through the columns' own SQLAlchemy types so they are stored exactly as elsewhere. Dialects
    other than SQLite and PostgreSQL go through the functions above."""

    def __init__(self, store: Store) -> None:
        self.store = store
        dialect = store.engine.dialect
        self._raw: Any = None
        if dialect.name not in ("sqlite", "postgresql") or dialect.paramstyle not in (
            "qmark",
            "format",
            "pyformat",
        ):
            return
        p = "?" if dialect.paramstyle == "qmark" else "%s"
        self._sending = (
            f"UPDATE digest_outbox SET status = '{SENDING}', attempts = attempts + 1 "
            f"WHERE id = {p} AND status = '{PENDING}'"
        )
        self._sent = (
            f"UPDATE digest_outbox SET status = '{SENT}', sent = {p}, next_try = NULL, "
            f"error = NULL WHERE id = {p} AND status = '{SENDING}'"
        )
        self._items = (
            f"INSERT INTO digest_items (user_id, paper_pk, day) VALUES ({p}, {p}, {p}) "
            "ON CONFLICT DO NOTHING"
        )
        when = digest_outbox.c.sent.type.dialect_impl(dialect).bind_processor(dialect)
        day = digest_items.c.day.type.dialect_impl(dialect).bind_processor(dialect)
        self._when = when or (lambda v: v)
        self._day = day or (lambda v: v)
        self._raw = store.engine.raw_connection()

    def _write(self, *statements: tuple[str, Sequence[Any], bool]) -> int:
        """Run (sql, parameters, many) in one transaction; the first one's rowcount. Nothing
        after a first statement that changed no row."""
        cur = self._raw.cursor()
        try:
            first = -1
            for sql, params, many in statements:
                if many:
                    cur.executemany(sql, params)
                else:
                    cur.execute(sql, params)
                if first < 0:
                    first = cur.rowcount
                    if first != 1:
                        break
            self._raw.commit()
            return first
        except BaseException:
            self._raw.rollback()
            raise
        finally:
            cur.close()

    def sending(self, row_id: int) -> bool:
        """As `mark_sending`."""
        if self._raw is None:
            return mark_sending(self.store, row_id)
        return self._write((self._sending, (row_id,), False)) == 1

    def sent(self, row: OutboxRow) -> bool:
        """As `mark_sent` with the row's papers."""
        if self._raw is None:
            return mark_sent(self.store, row.id, row=row)
        day = self._day(row.day)
        items = [(row.user_id, int(p), day) for p in dict.fromkeys(row.paper_pks)]
        writes: list[tuple[str, Sequence[Any], bool]] = [
            (self._sent, (self._when(datetime.now(UTC)), row.id), False)
        ]
        if items:
            writes.append((self._items, items, True))
        return self._write(*writes) == 1

    def close(self) -> None:
        if self._raw is not None:
            self._raw.close()
            self._raw = None


def mark_retry(store: Store, row_id: int, *, error: str, next_try: datetime) -> None:
    """sending -> pending again, not before `next_try` (a temporary SMTP failure)."""
    with store.engine.begin() as conn:
        conn.execute(
            update(digest_outbox)
            .where(digest_outbox.c.id == row_id, digest_outbox.c.status == SENDING)
            .values(status=PENDING, next_try=next_try, error=error[:2000])
        )


def mark_failed(store: Store, row_id: int, *, error: str) -> None:
    """sending -> failed (a permanent SMTP refusal: retrying would not help)."""
    with store.engine.begin() as conn:
        conn.execute(
            update(digest_outbox)
            .where(digest_outbox.c.id == row_id, digest_outbox.c.status == SENDING)
            .values(status=FAILED, error=error[:2000])
        )


def resolve_sending(store: Store, *, user_id: int | None = None) -> int:
    """Rows left in "sending" by a run that died between handing the message to the SMTP
    server and recording it: counted as sent (see LEFT_SENDING). How many there were."""
    stmt = select(digest_outbox.c.id).where(digest_outbox.c.status == SENDING)
    if user_id is not None:
        stmt = stmt.where(digest_outbox.c.user_id == user_id)
    with store.engine.connect() as conn:
        ids = list(conn.scalars(stmt))
    return sum(mark_sent(store, row_id, note=LEFT_SENDING) for row_id in ids)


def excluded_papers(store: Store, user_id: int) -> set[int]:
    """Papers this user must not be sent again: every paper of a sent digest, and those held
    by a digest still waiting to go out."""
    with store.engine.connect() as conn:
        sent = set(
            conn.scalars(select(digest_items.c.paper_pk).where(digest_items.c.user_id == user_id))
        )
        waiting = conn.scalars(
            select(digest_outbox.c.paper_pks).where(
                digest_outbox.c.user_id == user_id,
                digest_outbox.c.status.in_((PENDING, SENDING)),
            )
        )
        for pks in waiting:
            sent.update(int(p) for p in pks or [])
    return sent


@dataclass(frozen=True)
class Recipient:
    """What building one subscriber's digest needs from the store, read in bulk for a run."""

    user: User
    subscriptions: list[Subscription]
    excluded: frozenset[int]  # as `excluded_papers`
    last_sent: date | None  # as `last_sent_day`


def recipients(store: Store, user_ids: Sequence[int]) -> dict[int, Recipient]:
    """`Recipient`s of these users (a few hundred at a time), by id; users gone are absent."""
    ids = [int(i) for i in user_ids]
    excluded: dict[int, set[int]] = {i: set() for i in ids}
    subs: dict[int, list[Subscription]] = {i: [] for i in ids}
    with store.engine.connect() as conn:
        found = [_user(r) for r in conn.execute(select(users).where(users.c.id.in_(ids)))]
        for r in conn.execute(
            select(subscriptions)
            .where(subscriptions.c.user_id.in_(ids))
            .order_by(subscriptions.c.id)
        ):
            subs[r.user_id].append(_sub(r))
        for user_id, pk in conn.execute(
            select(digest_items.c.user_id, digest_items.c.paper_pk).where(
                digest_items.c.user_id.in_(ids)
            )
        ):
            excluded[user_id].add(int(pk))
        last: dict[int, date] = {}
        for user_id, status, day, pks in conn.execute(
            select(
                digest_outbox.c.user_id,
                digest_outbox.c.status,
                digest_outbox.c.day,
                digest_outbox.c.paper_pks,
            ).where(
                digest_outbox.c.user_id.in_(ids),
                digest_outbox.c.status.in_((PENDING, SENDING, SENT)),
            )
        ):
            if status == SENT:
                day = _as_date(day)
                if user_id not in last or day > last[user_id]:
                    last[user_id] = day
            else:
                excluded[user_id].update(int(p) for p in pks or [])
    return {
        u.id: Recipient(u, subs[u.id], frozenset(excluded[u.id]), last.get(u.id)) for u in found
    }


def last_sent_day(store: Store, user_id: int) -> date | None:
    """The day of the user's newest sent digest."""
    with store.engine.connect() as conn:
        found = conn.scalar(
            select(func.max(digest_outbox.c.day)).where(
                digest_outbox.c.user_id == user_id, digest_outbox.c.status == SENT
            )
        )
    return _as_date(found) if found is not None else None


def outbox_counts(store: Store, day: date) -> dict[str, int]:
    """Rows of `day` by status."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(digest_outbox.c.status, func.count())
            .where(digest_outbox.c.day == day)
            .group_by(digest_outbox.c.status)
        )
        return {str(s): int(n) for s, n in rows}


def sent_items(store: Store, user_id: int) -> list[tuple[int, date]]:
    """(paper pk, day) of every paper mailed to this user."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(digest_items.c.paper_pk, digest_items.c.day)
            .where(digest_items.c.user_id == user_id)
            .order_by(digest_items.c.day, digest_items.c.paper_pk)
        )
        return [(int(p), _as_date(d)) for p, d in rows]


def seed_subscribers(
    store: Store, people: Iterable[tuple[str, Sequence[tuple[str, str | None]]]]
) -> int:
    """Bulk-create users with enabled subscriptions: (email, [(kind, query), ...]) each, in one
    transaction (the digest benchmark's thousands of subscribers; create_user is one at a
    time). Emails must be new and normalised. How many users were made."""
    now = datetime.now(UTC)
    people = list(people)
    with store.engine.begin() as conn:
        conn.execute(
            users.insert(),
            [{"email": e, "name": None, "session_version": 0, "created": now} for e, _ in people],
        )
        ids = {str(e): int(i) for e, i in conn.execute(select(users.c.email, users.c.id))}
        subs = [
            {
                "user_id": ids[email],
                "kind": kind,
                "query": query,
                "enabled": True,
                "created": now,
            }
            for email, wanted in people
            for kind, query in wanted
        ]
        if subs:
            conn.execute(subscriptions.insert(), subs)
    return len(people)


def newest_paper_pks(store: Store, *, until: date, limit: int) -> list[int]:
    """Papers of the newest listing days up to `until`, papers with code first within a day:
    the digest's "trending" section while community trending is not available."""
    from paperwire.store.listing import has_code
    from paperwire.store.papers import listing_day
    from paperwire.store.schema import papers

    stmt = (
        select(papers.c.pk)
        .where(listing_day <= until)
        .order_by(listing_day.desc(), has_code.desc(), papers.c.id)
        .limit(limit)
    )
    with store.engine.connect() as conn:
        return [int(p) for p in conn.scalars(stmt)]
