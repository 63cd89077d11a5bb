"""The daily pipeline's records: step runs, kept state, and the lease that lets one worker run.

The lease is a row with an expiry, taken by compare-and-set on its `version`, so it works the
same on SQLite and PostgreSQL and across machines: a holder that dies stops renewing and the
row expires; a holder on this machine whose process is gone can be replaced at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from paperwire.store.db import Store
from paperwire.store.schema import pipeline_leases, pipeline_runs, pipeline_state


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite drops the zone


def _now() -> datetime:
    return datetime.now(UTC)


# --- the lease -------------------------------------------------------------------------------


def acquire_lease(
    store: Store,
    name: str,
    holder: str,
    *,
    ttl: float,
    replaceable: Callable[[str], bool] = lambda _holder: False,
) -> bool:
    """Take the lease `name` for `ttl` seconds: True when it is now ours. It is free when
    nobody holds it, when it expired, when we hold it, or when `replaceable(holder)` says the
    holder is gone (a dead process on this machine)."""
    now = _now()
    expires = now + timedelta(seconds=ttl)
    with store.engine.begin() as conn:
        row = conn.execute(
            select(
                pipeline_leases.c.holder, pipeline_leases.c.expires, pipeline_leases.c.version
            ).where(pipeline_leases.c.name == name)
        ).first()
        if row is not None:
            free = (_utc(row.expires) or now) <= now or row.holder == holder
            if not (free or replaceable(row.holder)):
                return False
            taken = conn.execute(
                update(pipeline_leases)
                .where(pipeline_leases.c.name == name, pipeline_leases.c.version == row.version)
                .values(holder=holder, expires=expires, version=row.version + 1)
            )
            return taken.rowcount == 1
    try:
        with store.engine.begin() as conn:
            conn.execute(
                insert(pipeline_leases).values(name=name, holder=holder, expires=expires, version=1)
            )
    except IntegrityError:  # another process inserted it first
        return False
    return True


def renew_lease(store: Store, name: str, holder: str, *, ttl: float) -> bool:
    """Push our lease's expiry on; False when it is no longer ours."""
    with store.engine.begin() as conn:
        result = conn.execute(
            update(pipeline_leases)
            .where(pipeline_leases.c.name == name, pipeline_leases.c.holder == holder)
            .values(expires=_now() + timedelta(seconds=ttl))
        )
    return result.rowcount == 1


def release_lease(store: Store, name: str, holder: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            delete(pipeline_leases).where(
                pipeline_leases.c.name == name, pipeline_leases.c.holder == holder
            )
        )


def lease_holder(store: Store, name: str) -> tuple[str, datetime] | None:
    with store.engine.connect() as conn:
        row = conn.execute(
            select(pipeline_leases.c.holder, pipeline_leases.c.expires).where(
                pipeline_leases.c.name == name
            )
        ).first()
    return (row.holder, _utc(row.expires)) if row is not None else None  # type: ignore[return-value]


# --- step runs -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StepRun:
    id: int
    step: str
    day: date
    status: str
    started: datetime
    finished: datetime | None
    seconds: float | None
    counts: dict[str, Any]
    error: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "day": self.day.isoformat(),
            "status": self.status,
            "started": self.started.isoformat(),
            "finished": self.finished.isoformat() if self.finished else None,
            "seconds": self.seconds,
            "counts": self.counts,
            "error": self.error,
        }


def _step_run(row: Any) -> StepRun:
    day = row.day if isinstance(row.day, date) else date.fromisoformat(str(row.day))
    return StepRun(
        id=int(row.id),
        step=row.step,
        day=day,
        status=row.status,
        started=_utc(row.started) or _now(),
        finished=_utc(row.finished),
        seconds=row.seconds,
        counts=dict(row.counts or {}),
        error=row.error,
    )


def start_step(store: Store, step: str, day: date) -> int:
    with store.engine.begin() as conn:
        result = conn.execute(
            insert(pipeline_runs).values(
                step=step, day=day, status="running", started=_now(), counts={}
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]


def finish_step(
    store: Store,
    run_id: int,
    *,
    status: str,
    seconds: float,
    counts: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            update(pipeline_runs)
            .where(pipeline_runs.c.id == run_id)
            .values(
                status=status,
                finished=_now(),
                seconds=round(seconds, 3),
                counts=counts or {},
                error=error,
            )
        )


def step_done(store: Store, step: str, day: date) -> bool:
    """Whether `step` finished successfully for `day`."""
    with store.engine.connect() as conn:
        found = conn.scalar(
            select(func.count())
            .select_from(pipeline_runs)
            .where(
                pipeline_runs.c.step == step,
                pipeline_runs.c.day == day,
                pipeline_runs.c.status == "done",
            )
        )
    return bool(found)


def interrupt_running(store: Store) -> int:
    """Mark runs left "running" by a dead worker as interrupted (call with the lease held:
    then no other run can be in progress)."""
    with store.engine.begin() as conn:
        result = conn.execute(
            update(pipeline_runs)
            .where(pipeline_runs.c.status == "running")
            .values(status="interrupted", finished=_now(), error="the worker stopped mid-step")
        )
    return int(result.rowcount or 0)


def last_runs(store: Store) -> dict[str, StepRun]:
    """The newest run of each step, by step name."""
    newest = select(func.max(pipeline_runs.c.id)).group_by(pipeline_runs.c.step).scalar_subquery()
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(pipeline_runs)
            .where(pipeline_runs.c.id.in_(newest))
            .order_by(pipeline_runs.c.step)
        ).all()
    return {r.step: _step_run(r) for r in rows}


def runs_of(store: Store, *, step: str | None = None, day: date | None = None) -> list[StepRun]:
    stmt = select(pipeline_runs).order_by(pipeline_runs.c.id)
    if step is not None:
        stmt = stmt.where(pipeline_runs.c.step == step)
    if day is not None:
        stmt = stmt.where(pipeline_runs.c.day == day)
    with store.engine.connect() as conn:
        return [_step_run(r) for r in conn.execute(stmt)]


# --- kept state ------------------------------------------------------------------------------


def get_state(store: Store, key: str) -> Any:
    with store.engine.connect() as conn:
        return conn.scalar(select(pipeline_state.c.value).where(pipeline_state.c.key == key))


def set_state(store: Store, key: str, value: Any) -> None:
    with store.engine.begin() as conn:
        conn.execute(delete(pipeline_state).where(pipeline_state.c.key == key))
        conn.execute(insert(pipeline_state).values(key=key, value=value, updated=_now()))


def store_reachable(store: Store) -> None:
    """Raise when the database does not answer a trivial query (for /readyz)."""
    from sqlalchemy import text

    with store.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
