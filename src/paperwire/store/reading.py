"""Reads for the index and search layers: papers in bulk by store change, and by pk."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from paperwire.store.changes import iter_changed, latest_change
from paperwire.store.db import Store
from paperwire.store.papers import CHUNK, PUBLIC, listing_day
from paperwire.store.schema import papers

INDEX_COLUMNS = [
    papers.c.pk,
    papers.c.id,
    papers.c.title,
    papers.c.abstract,
    papers.c.authors,
    papers.c.categories,
    papers.c.code_links,
    listing_day.label("day"),
    papers.c.modified,
]


def iter_for_index(
    store: Store, *, after: int = 0, upto: int | None = None, batch: int = 2000
) -> Iterator[list[dict[str, Any]]]:
    """Papers written in store changes after `after` up to `upto` (all papers by default), in
    pk order, a batch at a time (see store.changes: change numbers follow commit order)."""
    if upto is None:
        upto = latest_change(store)
    yield from iter_changed(store, INDEX_COLUMNS, after=after, upto=upto, batch=batch)


def store_watermark(store: Store) -> tuple[int, datetime | None]:
    """(number of papers, newest modification time): what an up-to-date index has seen."""
    with store.engine.connect() as conn:
        count, newest = conn.execute(select(func.count(), func.max(papers.c.modified))).one()
    return int(count), newest


def papers_by_pk(
    store: Store, pks: Sequence[int], *, columns: Sequence[str] | None = None
) -> dict[int, dict[str, Any]]:
    """Public paper rows for these pks (missing pks are simply absent); only the named public
    columns when `columns` is given (fewer columns to read and decode)."""
    found: dict[int, dict[str, Any]] = {}
    wanted = [int(p) for p in pks]
    names = set(columns) if columns is not None else None
    selected = PUBLIC if names is None else [c for c in PUBLIC if c.name in names]
    with store.engine.connect() as conn:
        for i in range(0, len(wanted), CHUNK):
            chunk = wanted[i : i + CHUNK]
            stmt = select(papers.c.pk, *selected).where(papers.c.pk.in_(chunk))
            for row in conn.execute(stmt):
                data = dict(row._mapping)
                found[data.pop("pk")] = data
    return found


def pks_for_ids(store: Store, ids: Sequence[str]) -> dict[str, int]:
    """Paper id (or old id / versioned arXiv id) -> pk, for the ids that exist."""
    from paperwire.errors import NotFound
    from paperwire.store.papers import find_paper

    out: dict[str, int] = {}
    for paper_id in ids:
        try:
            out[paper_id] = find_paper(store, paper_id)[0]
        except NotFound:
            continue
    return out
