"""Reads for the web's lists: papers over a range of listing days (or a category), their count,
the days and categories that have papers, and the listing days either side of a range.

A paper's listing day is its announcement day, else its submission day (`papers.listing_day`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, TypeVar

from sqlalchemy import Select, func, select

from paperwire.store.db import Store
from paperwire.store.filters import ListFilter, has_code
from paperwire.store.filters import where as filtered
from paperwire.store.papers import PUBLIC, listing_day
from paperwire.store.schema import paper_categories, paper_signals, papers, votes

Order = Literal["newest", "recency"]
_S = TypeVar("_S", bound=Select)


def _where(
    stmt: _S,
    *,
    first: date | None,
    last: date | None,
    category: str | None,
    filters: ListFilter | None = None,
) -> _S:
    if first is not None:
        stmt = stmt.where(listing_day >= first)
    if last is not None:
        stmt = stmt.where(listing_day <= last)
    if category:
        in_cat = select(paper_categories.c.paper_pk).where(paper_categories.c.category == category)
        stmt = stmt.where(papers.c.pk.in_(in_cat))
    return filtered(stmt, filters)


def list_range(
    store: Store,
    *,
    first: date | None = None,
    last: date | None = None,
    category: str | None = None,
    order: Order = "newest",
    limit: int = 50,
    offset: int = 0,
    filters: ListFilter | None = None,
) -> list[dict[str, Any]]:
    """Papers listed between `first` and `last` (inclusive; None: open), optionally in one
    category. `newest`: listing day descending, then id. `recency` (the trending score until
    votes exist): listing day descending, then papers with code links first, then id."""
    stmt = _where(select(*PUBLIC), first=first, last=last, category=category, filters=filters)
    keys: list[Any] = [listing_day.desc().nulls_last()]
    if order == "recency":
        keys.append(has_code.desc())
    stmt = stmt.order_by(*keys, papers.c.id).limit(limit).offset(offset)
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def count_range(
    store: Store,
    *,
    first: date | None = None,
    last: date | None = None,
    category: str | None = None,
    filters: ListFilter | None = None,
) -> int:
    """How many papers `list_range` would list with no limit."""
    stmt = _where(
        select(func.count()).select_from(papers),
        first=first,
        last=last,
        category=category,
        filters=filters,
    )
    with store.engine.connect() as conn:
        return int(conn.scalar(stmt) or 0)


@dataclass(frozen=True)
class RankInput:
    pk: int
    id: str
    votes: int  # our own, all time
    external: int  # upvotes on other sites (paper_signals), summed over sources
    has_code: bool


def rank_inputs(
    store: Store,
    *,
    first: date | None = None,
    last: date | None = None,
    category: str | None = None,
    filters: ListFilter | None = None,
) -> list[RankInput]:
    """Every paper `list_range` would list, with what the "top" and "for you" orders weigh:
    one query however long the list (a day is hundreds of papers, a week a few thousand)."""
    vote_counts = (
        select(votes.c.paper_pk, func.count().label("n")).group_by(votes.c.paper_pk).subquery()
    )
    external = (
        select(paper_signals.c.paper_pk, func.sum(paper_signals.c.upvotes).label("n"))
        .group_by(paper_signals.c.paper_pk)
        .subquery()
    )
    stmt = (
        select(
            papers.c.pk,
            papers.c.id,
            func.coalesce(vote_counts.c.n, 0),
            func.coalesce(external.c.n, 0),
            has_code,
        )
        .select_from(papers)
        .outerjoin(vote_counts, vote_counts.c.paper_pk == papers.c.pk)
        .outerjoin(external, external.c.paper_pk == papers.c.pk)
    )
    stmt = _where(stmt, first=first, last=last, category=category, filters=filters)
    with store.engine.connect() as conn:
        return [
            RankInput(int(pk), str(pid), int(v), int(e), bool(c))
            for pk, pid, v, e, c in conn.execute(stmt)
        ]


def keep_pks(store: Store, pks: list[int], filters: ListFilter) -> set[int]:
    """Those of `pks` that `filters` keeps (a ranked list narrowed: trending), a query per
    500 pks."""
    kept: set[int] = set()
    with store.engine.connect() as conn:
        for i in range(0, len(pks), 500):
            stmt = filtered(select(papers.c.pk).where(papers.c.pk.in_(pks[i : i + 500])), filters)
            kept.update(int(pk) for (pk,) in conn.execute(stmt))
    return kept


def categories_in_range(
    store: Store, *, first: date | None, last: date | None, limit: int = 12
) -> list[tuple[str, int]]:
    """(category, papers) of the papers listed in the range, most first (the list's chips)."""
    n = func.count().label("n")
    in_range = _where(select(papers.c.pk), first=first, last=last, category=None)
    stmt = (
        select(paper_categories.c.category, n)
        .where(paper_categories.c.paper_pk.in_(in_range))
        .group_by(paper_categories.c.category)
        .order_by(n.desc(), paper_categories.c.category)
        .limit(limit)
    )
    with store.engine.connect() as conn:
        return [(c, int(k)) for c, k in conn.execute(stmt)]


def latest_listing_day(store: Store) -> date | None:
    """The newest announcement day; the newest listing day when nothing has one."""
    with store.engine.connect() as conn:
        found = conn.scalar(select(func.max(papers.c.announced)))
        if found is None:
            found = conn.scalar(select(func.max(listing_day)))
    return _as_date(found)


def neighbour_days(
    store: Store, *, first: date, last: date, category: str | None = None
) -> tuple[date | None, date | None]:
    """The nearest listing day with papers before `first`, and after `last` (None: none)."""
    with store.engine.connect() as conn:
        before = conn.scalar(
            _where(select(func.max(listing_day)), first=None, last=None, category=category).where(
                listing_day < first
            )
        )
        after = conn.scalar(
            _where(select(func.min(listing_day)), first=None, last=None, category=category).where(
                listing_day > last
            )
        )
    return _as_date(before), _as_date(after)


def days_with_counts(
    store: Store, *, first: date | None = None, last: date | None = None
) -> list[tuple[date, int]]:
    """(listing day, papers) for each day with papers in the range, newest first."""
    stmt = _where(select(listing_day, func.count()), first=first, last=last, category=None)
    stmt = stmt.where(listing_day.is_not(None)).group_by(listing_day).order_by(listing_day.desc())
    with store.engine.connect() as conn:
        return [(d, int(n)) for d, n in ((_as_date(a), b) for a, b in conn.execute(stmt)) if d]


def categories_with_counts(store: Store, *, primary_only: bool = False) -> list[tuple[str, int]]:
    """(category, papers) for every category, most papers first, then by name."""
    n = func.count().label("n")
    stmt = select(paper_categories.c.category, n)
    if primary_only:
        stmt = stmt.where(paper_categories.c.position == 0)
    stmt = stmt.group_by(paper_categories.c.category).order_by(
        n.desc(), paper_categories.c.category
    )
    with store.engine.connect() as conn:
        return [(c, int(k)) for c, k in conn.execute(stmt)]


def category_exists(store: Store, category: str) -> bool:
    stmt = select(paper_categories.c.paper_pk).where(paper_categories.c.category == category)
    with store.engine.connect() as conn:
        return conn.execute(stmt.limit(1)).first() is not None


def _as_date(value: Any) -> date | None:
    """SQLite returns aggregates of a date column as text; PostgreSQL as dates."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
