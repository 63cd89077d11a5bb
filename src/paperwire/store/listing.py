"""Reads for the web's lists: papers over a range of listing days (or a category), their count,
the days and categories that have papers, and the listing days either side of a range.

A paper's listing day is its announcement day, else its submission day (`papers.listing_day`).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, TypeVar

from sqlalchemy import Select, String, case, cast, func, select
from sqlalchemy.sql import ColumnElement

from paperwire.store.db import Store
from paperwire.store.papers import PUBLIC, listing_day
from paperwire.store.schema import paper_categories, papers

Order = Literal["newest", "recency"]
_S = TypeVar("_S", bound=Select)

# 1 for a paper with at least one code link. `code_links` is a JSON list; an empty one is stored
# as the text "[]" by both SQLite and PostgreSQL's JSON type, so comparing the text works on both.
has_code: ColumnElement[int] = case((cast(papers.c.code_links, String) == "[]", 0), else_=1)


def _where(stmt: _S, *, first: date | None, last: date | None, category: str | None) -> _S:
    if first is not None:
        stmt = stmt.where(listing_day >= first)
    if last is not None:
        stmt = stmt.where(listing_day <= last)
    if category:
        in_cat = select(paper_categories.c.paper_pk).where(paper_categories.c.category == category)
        stmt = stmt.where(papers.c.pk.in_(in_cat))
    return stmt


def list_range(
    store: Store,
    *,
    first: date | None = None,
    last: date | None = None,
    category: str | None = None,
    order: Order = "newest",
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Papers listed between `first` and `last` (inclusive; None: open), optionally in one
    category. `newest`: listing day descending, then id. `recency` (the trending score until
    votes exist): listing day descending, then papers with code links first, then id."""
    stmt = _where(select(*PUBLIC), first=first, last=last, category=category)
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
) -> int:
    """How many papers `list_range` would list with no limit."""
    stmt = _where(
        select(func.count()).select_from(papers), first=first, last=last, category=category
    )
    with store.engine.connect() as conn:
        return int(conn.scalar(stmt) or 0)


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
