"""Fixed-window rate-limit counters in the database, so every worker process shares them."""

from __future__ import annotations

import time

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from paperwire.store.db import Store
from paperwire.store.schema import rate_limits


def hit(store: Store, key: str, *, limit: int, window: int, now: float | None = None) -> bool:
    """Count one event for `key`; False when it is over `limit` events in the current
    `window`-second window (the event is then not counted)."""
    start = int((now if now is not None else time.time()) // window * window)
    key = key[:255]
    for _ in range(3):  # an insert race with another process: read again
        with store.engine.begin() as conn:
            row = conn.execute(
                select(rate_limits.c.window, rate_limits.c.count).where(rate_limits.c.key == key)
            ).first()
            if row is None:
                try:
                    conn.execute(rate_limits.insert().values(key=key, window=start, count=1))
                    return True
                except IntegrityError:
                    continue
            if row[0] != start:
                conn.execute(
                    update(rate_limits)
                    .where(rate_limits.c.key == key)
                    .values(window=start, count=1)
                )
                return True
            if row[1] >= limit:
                return False
            result = conn.execute(
                update(rate_limits)
                .where(rate_limits.c.key == key, rate_limits.c.window == start)
                .where(rate_limits.c.count < limit)
                .values(count=rate_limits.c.count + 1)
            )
            return result.rowcount == 1
    return False
