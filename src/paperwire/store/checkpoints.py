"""Where an interrupted ingest stands, and the log of ingest runs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from paperwire.store.db import Store
from paperwire.store.schema import ingest_checkpoints, ingest_runs


def save_checkpoint(conn: Connection, key: str, source: str, state: dict[str, Any]) -> None:
    """Record a source's position; called inside the transaction that stored its records."""
    conn.execute(delete(ingest_checkpoints).where(ingest_checkpoints.c.key == key))
    conn.execute(
        insert(ingest_checkpoints).values(
            key=key, source=source, state=state, updated=datetime.now(UTC)
        )
    )


def load_checkpoint(store: Store, key: str) -> dict[str, Any] | None:
    with store.engine.connect() as conn:
        state = conn.scalar(
            select(ingest_checkpoints.c.state).where(ingest_checkpoints.c.key == key)
        )
    return dict(state) if state is not None else None


def clear_checkpoint(store: Store, key: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(delete(ingest_checkpoints).where(ingest_checkpoints.c.key == key))


def start_run(store: Store, *, source: str, key: str) -> int:
    with store.engine.begin() as conn:
        result = conn.execute(
            insert(ingest_runs).values(
                source=source, key=key, started=datetime.now(UTC), status="running", counts={}
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]


def finish_run(
    store: Store, run_id: int, *, status: str, counts: dict[str, int], message: str | None = None
) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            update(ingest_runs)
            .where(ingest_runs.c.id == run_id)
            .values(finished=datetime.now(UTC), status=status, counts=counts, message=message)
        )
