"""What each user asked to receive in the daily digest: trending, saved searches, recs, and
followed authors (kind "author", `query` the author's normalised name, as
paperwire.community.authors makes it: the caller normalises)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select, update

from paperwire.errors import BadRequest
from paperwire.store.db import Store
from paperwire.store.schema import subscriptions

KINDS = ("trending", "search", "recs", "author")
MAX_QUERY = 1000


@dataclass(frozen=True)
class Subscription:
    id: int
    user_id: int
    kind: str  # trending | search | recs | author
    query: str | None  # the saved search of a "search" subscription
    enabled: bool


def _sub(row: object) -> Subscription:
    m = row._mapping  # type: ignore[attr-defined]
    return Subscription(m["id"], m["user_id"], m["kind"], m["query"], bool(m["enabled"]))


def check_subscription(kind: str, query: str | None) -> str | None:
    """The query to store for this kind (None but for searches); BadRequest when unusable."""
    if kind not in KINDS:
        raise BadRequest(f"subscription kind {kind!r} is not one of {', '.join(KINDS)}")
    if kind not in ("search", "author"):
        return None
    query = (query or "").strip()
    if not query:
        raise BadRequest("a saved search needs a query" if kind == "search" else "no author given")
    if len(query) > MAX_QUERY:
        raise BadRequest(f"a saved search is at most {MAX_QUERY} characters")
    # NUL is refused by PostgreSQL and a lone surrogate (from a mis-decoded argv) by every
    # driver: refused here with a message, not as a database error.
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in query):
        raise BadRequest("a saved search cannot contain control characters")
    return query


def add_subscription(
    store: Store, user_id: int, kind: str, query: str | None = None
) -> Subscription:
    """Subscribe (enabled). Subscribing again to the same thing enables the existing one."""
    query = check_subscription(kind, query)
    with store.engine.begin() as conn:
        existing = conn.execute(
            select(subscriptions).where(
                subscriptions.c.user_id == user_id,
                subscriptions.c.kind == kind,
                subscriptions.c.query.is_(None)
                if query is None
                else subscriptions.c.query == query,
            )
        ).first()
        if existing is not None:
            conn.execute(
                update(subscriptions)
                .where(subscriptions.c.id == existing._mapping["id"])
                .values(enabled=True)
            )
            sub_id = existing._mapping["id"]
        else:
            inserted = conn.execute(
                subscriptions.insert().values(
                    user_id=user_id, kind=kind, query=query, enabled=True, created=datetime.now(UTC)
                )
            ).inserted_primary_key
            assert inserted is not None
            sub_id = inserted[0]
        row = conn.execute(select(subscriptions).where(subscriptions.c.id == sub_id)).one()
    return _sub(row)


def list_subscriptions(store: Store, user_id: int) -> list[Subscription]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(subscriptions)
            .where(subscriptions.c.user_id == user_id)
            .order_by(subscriptions.c.id)
        )
        return [_sub(r) for r in rows]


def set_enabled(store: Store, user_id: int, sub_id: int, enabled: bool) -> bool:
    """Switch one of this user's subscriptions; False when the user has no such one."""
    with store.engine.begin() as conn:
        result = conn.execute(
            update(subscriptions)
            .where(subscriptions.c.id == sub_id, subscriptions.c.user_id == user_id)
            .values(enabled=enabled)
        )
    return result.rowcount == 1


def disable_all(store: Store, user_id: int) -> int:
    """Unsubscribe from everything (the one-click unsubscribe); how many were switched off."""
    with store.engine.begin() as conn:
        result = conn.execute(
            update(subscriptions)
            .where(subscriptions.c.user_id == user_id, subscriptions.c.enabled.is_(True))
            .values(enabled=False)
        )
    return int(result.rowcount)


def remove_subscription(store: Store, user_id: int, sub_id: int) -> bool:
    with store.engine.begin() as conn:
        result = conn.execute(
            delete(subscriptions).where(
                subscriptions.c.id == sub_id, subscriptions.c.user_id == user_id
            )
        )
    return result.rowcount == 1


def subscriber_ids(store: Store) -> list[int]:
    """Users with at least one enabled subscription, by id."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(subscriptions.c.user_id)
            .where(subscriptions.c.enabled.is_(True))
            .distinct()
            .order_by(subscriptions.c.user_id)
        )
        return [int(r[0]) for r in rows]
