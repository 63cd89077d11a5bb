"""Index sync state: the store's change counter and what each index backend has applied.

Every batch that inserts or updates papers takes the next number of the `papers` counter in its
own transaction, under the paper writers' lock (store/db.py), and stamps it on the rows it
writes (`papers.change_seq`). The counter row is updated in that transaction too, so a second
writer waits on it until the first commits: numbers are given in commit order. An index that
has applied every change up to N therefore lacks exactly the papers with `change_seq > N`, even
when a batch took its `modified` time before it waited for the lock and committed after a later
one (the case a `modified` watermark skips).

Papers are never deleted today; a delete would have to bump the counter too and leave a
tombstone row for the indexes to read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from paperwire.store.db import Store
from paperwire.store.schema import change_seq, index_applied, papers

PAPERS = "papers"


def next_change(conn: Connection) -> int:
    """The next change number, taken in `conn`'s transaction (which holds the writer lock)."""
    bumped = conn.execute(
        update(change_seq).where(change_seq.c.name == PAPERS).values(value=change_seq.c.value + 1)
    )
    if not bumped.rowcount:  # a store made by schema.create_all (tests), not by the migration
        start = conn.scalar(select(func.coalesce(func.max(papers.c.change_seq), 0)))
        conn.execute(insert(change_seq).values(name=PAPERS, value=int(start or 0) + 1))
    return int(conn.scalar(select(change_seq.c.value).where(change_seq.c.name == PAPERS)) or 0)


def latest_change(store: Store) -> int:
    """The newest committed change number (0: none yet)."""
    with store.engine.connect() as conn:
        value = conn.scalar(select(change_seq.c.value).where(change_seq.c.name == PAPERS))
    return int(value or 0)


def count_changed(store: Store, after: int, upto: int | None = None) -> int:
    """Papers written after change `after` (up to `upto`): how far an index at `after` lags."""
    stmt = select(func.count()).select_from(papers).where(papers.c.change_seq > after)
    if upto is not None:
        stmt = stmt.where(papers.c.change_seq <= upto)
    with store.engine.connect() as conn:
        return int(conn.scalar(stmt) or 0)


def iter_changed(
    store: Store, columns: list[Any], *, after: int, upto: int, batch: int = 2000
) -> Iterator[list[dict[str, Any]]]:
    """Rows (these columns) of the papers written in changes after..upto, in pk order, a batch
    at a time. `upto` is read before: a batch committed meanwhile is for the next update."""
    last_pk = -1
    while True:
        stmt = (
            select(*columns)
            .where(papers.c.pk > last_pk, papers.c.change_seq > after)
            .where(papers.c.change_seq <= upto)
            .order_by(papers.c.pk)
            .limit(batch)
        )
        with store.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(stmt)]
        if not rows:
            return
        yield rows
        last_pk = rows[-1]["pk"]


@dataclass(frozen=True)
class Applied:
    """What one index backend has applied of the store (a row of `index_applied`)."""

    backend: str
    instance: str
    seq: int
    papers_indexed: int
    papers_embedded: int
    updated: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "instance": self.instance,
            "seq": self.seq,
            "papers_indexed": self.papers_indexed,
            "papers_embedded": self.papers_embedded,
            "updated": self.updated.isoformat(),
        }


def get_applied(store: Store, backend: str) -> Applied | None:
    with store.engine.connect() as conn:
        row = conn.execute(select(index_applied).where(index_applied.c.backend == backend)).first()
    return Applied(**dict(row._mapping)) if row else None


def set_applied(
    store: Store,
    backend: str,
    *,
    instance: str,
    seq: int,
    papers_indexed: int,
    papers_embedded: int,
) -> None:
    """Record (insert or replace) what `backend` has applied."""
    values = {
        "instance": instance,
        "seq": seq,
        "papers_indexed": papers_indexed,
        "papers_embedded": papers_embedded,
        "updated": datetime.now(UTC),
    }
    with store.engine.begin() as conn:
        done = conn.execute(
            update(index_applied).where(index_applied.c.backend == backend).values(values)
        )
        if not done.rowcount:
            conn.execute(insert(index_applied).values(backend=backend, **values))


def all_applied(store: Store) -> list[Applied]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(index_applied).order_by(index_applied.c.backend))
        return [Applied(**dict(r._mapping)) for r in rows]
