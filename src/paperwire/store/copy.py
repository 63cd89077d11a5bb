"""Copying a whole store into another database (`paperwire store migrate-to`): the way an
embedded install (SQLite) moves onto PostgreSQL when it outgrows one machine.

Both stores are migrated to the same schema first (open_store does it). Every table is copied
in foreign-key order, a batch of rows per transaction, in primary-key order; a target that
already holds data is refused unless `force`, which empties it first. PostgreSQL's id sequences
are moved past the copied ids, so new rows get fresh ones. Times written by SQLite come back
without a zone (they were stored in UTC): they are copied as UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, DateTime, Integer, Table, delete, func, insert, select, text

from paperwire.errors import PaperwireError
from paperwire.store.db import Store
from paperwire.store.schema import change_seq, metadata

Progress = Callable[[str, int, int], None]  # (table, rows copied, rows in it)
BATCH = 2000
DERIVED = {change_seq.name}  # made by the migrations themselves; replaced by the source's


class TargetNotEmpty(PaperwireError):
    """The target database already holds paperwire data."""


def _tables() -> list[Table]:
    return list(metadata.sorted_tables)  # parents before the tables that refer to them


def _count(conn: Connection, table: Table) -> int:
    return int(conn.scalar(select(func.count()).select_from(table)) or 0)


def held_rows(store: Store) -> dict[str, int]:
    """Rows per table that hold data (the migrations' own rows aside)."""
    with store.engine.connect() as conn:
        counts = {t.name: _count(conn, t) for t in _tables() if t.name not in DERIVED}
    return {name: n for name, n in counts.items() if n}


def _empty(target: Store) -> None:
    with target.engine.begin() as conn:
        for table in reversed(_tables()):
            conn.execute(delete(table))


def _as_utc(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    zoned = [c.name for c in table.columns if isinstance(c.type, DateTime) and c.type.timezone]
    for row in rows:
        for name in zoned:
            value = row.get(name)
            if isinstance(value, datetime) and value.tzinfo is None:
                row[name] = value.replace(tzinfo=UTC)
    return rows


def _copy_table(
    source: Store, target: Store, table: Table, batch: int, progress: Progress | None
) -> int:
    order = list(table.primary_key.columns) or list(table.columns)
    with source.engine.connect() as conn:
        total = _count(conn, table)
    done = 0
    if progress:
        progress(table.name, 0, total)
    while done < total:
        # OFFSET paging in primary-key order: the source is not written while it is copied.
        stmt = select(table).order_by(*order).offset(done).limit(batch)
        with source.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(stmt)]
        if not rows:
            break
        with target.engine.begin() as conn:
            conn.execute(insert(table), _as_utc(table, rows))
        done += len(rows)
        if progress:
            progress(table.name, done, total)
    return done


def _advance_sequences(target: Store) -> None:
    """Move each serial column's sequence past the copied ids (PostgreSQL only: SQLite's
    autoincrement follows the largest rowid by itself)."""
    if target.dialect != "postgresql":
        return
    with target.engine.begin() as conn:
        for table in _tables():
            for col in table.primary_key.columns:
                if not (isinstance(col.type, Integer) and col.autoincrement is not False):
                    continue
                seq = conn.scalar(
                    text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": col.name}
                )
                if seq:
                    conn.execute(
                        text(
                            f'SELECT setval(:s, COALESCE((SELECT MAX("{col.name}") FROM '
                            f'"{table.name}"), 0) + 1, false)'
                        ),
                        {"s": seq},
                    )


def copy_store(
    source: Store,
    target: Store,
    *,
    force: bool = False,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Copy every row of `source` into `target` (both migrated); rows copied per table.
    TargetNotEmpty when the target holds data, unless `force` (which deletes it first)."""
    if source.url == target.url:
        raise PaperwireError("the source and the target are the same database")
    held = held_rows(target)
    if held and not force:
        listed = ", ".join(f"{name} {n:,}" for name, n in sorted(held.items()))
        raise TargetNotEmpty(
            f"the target database already holds data ({listed}): give an empty database, "
            "or --force to replace what it holds"
        )
    _empty(target)
    copied = {t.name: _copy_table(source, target, t, batch, progress) for t in _tables()}
    _advance_sequences(target)
    return copied
