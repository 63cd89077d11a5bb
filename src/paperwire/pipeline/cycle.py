"""One pipeline cycle: harvest the newest slot's sources, index, embed, and send the digest
when it is due and the day's papers are in.

Every step is recorded in `pipeline_runs` and is safe to repeat: a harvest completed for a slot
is not asked again (and an interrupted one resumes from its ingest checkpoint), the index update
and the embedding job do only what is missing, and the digest outbox sends each subscriber one
digest a day. A source that fails (down, 503 or 429 after the client's retries with backoff) is
logged, recorded as failed and skipped for this cycle; the next cycle tries it again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from paperwire.errors import PaperwireError
from paperwire.index.backend import IndexBackend
from paperwire.ingest.http import PoliteClient
from paperwire.ingest.runner import run_ingest
from paperwire.ops import metrics
from paperwire.pipeline.lease import Lease
from paperwire.pipeline.schedule import Schedule
from paperwire.pipeline.sources import PlannedSource, plan_sources, step_names
from paperwire.settings import Settings
from paperwire.store import Store, open_store
from paperwire.store.pipeline import finish_step, interrupt_running, start_step, step_done

log = logging.getLogger(__name__)
EMBED_PER_CYCLE = 2000  # ~1 minute on 2 cores: a backlog never holds the digest up for long


@dataclass
class CycleReport:
    at: datetime  # the cycle's time, in the schedule's zone
    slot: date | None = None  # the harvest slot it harvested (or found harvested)
    steps: list[dict[str, Any]] = field(default_factory=list)
    digest: str = "not due"  # not due | sent | already sent | waiting for ... | failed

    @property
    def failed(self) -> list[str]:
        return [s["step"] for s in self.steps if s["status"] == "failed"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "slot": self.slot.isoformat() if self.slot else None,
            "steps": self.steps,
            "digest": self.digest,
            "failed": self.failed,
        }


class _Cycle:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        lease: Lease,
        now: datetime,
        sleep: Callable[[float], None],
        embed_limit: int | None,
    ) -> None:
        self.settings, self.store, self.lease = settings, store, lease
        self.schedule = Schedule.from_settings(settings)
        self.now = now
        self.sleep = sleep
        self.embed_limit = embed_limit
        self.report = CycleReport(at=self.schedule.local(now))
        self._index: IndexBackend | None = None

    @property
    def index(self) -> IndexBackend:
        if self._index is None:
            from paperwire.index.manager import open_backend

            self._index = open_backend(self.settings)
        return self._index

    def step(self, name: str, day: date, work: Callable[[], dict[str, Any]]) -> bool:
        """Run one recorded step; False (recorded, logged) when it failed."""
        self.lease.check()
        run_id = start_step(self.store, name, day)
        started = time.perf_counter()
        status, counts, error = "done", {}, None
        try:
            counts = work()
        except PaperwireError as exc:  # a source down, a store error: skipped for this cycle
            status, error = "failed", str(exc)
            log.warning("pipeline step %s of %s failed, skipped for this cycle: %s", name, day, exc)
        except Exception as exc:  # a bug must not stop the other steps, nor the site
            status, error = "failed", f"{type(exc).__name__}: {exc}"
            log.exception("pipeline step %s of %s failed", name, day)
        seconds = time.perf_counter() - started
        finish_step(self.store, run_id, status=status, seconds=seconds, counts=counts, error=error)
        metrics.STEPS.labels(step=name, status=status).inc()
        self.report.steps.append(
            {
                "step": name,
                "day": day.isoformat(),
                "status": status,
                "counts": counts,
                "seconds": round(seconds, 3),
                "error": error,
            }
        )
        log.info("pipeline step %s of %s: %s %s", name, day, status, counts)
        return status == "done"

    # --- the steps -----------------------------------------------------------------------

    def harvest(self) -> None:
        slot = self.schedule.latest_slot(self.now)
        if slot is None:
            return
        day = self.report.slot = slot.date()
        s = self.settings
        with PoliteClient(
            min_interval=s.request_interval,
            max_retries=s.http_retries,
            timeout=s.http_timeout,
            sleep=self.sleep,
        ) as client:
            skip = lambda step: step_done(self.store, step, day)  # noqa: E731
            for planned in plan_sources(s, self.store, day, client, skip=skip):
                self.step(planned.step, day, _bind(self._ingest, planned, day))

    def _ingest(self, planned: PlannedSource, slot: date) -> dict[str, Any]:
        summary = run_ingest(self.store, planned.source, batch_size=self.settings.ingest_batch_size)
        planned.completed(self.store, slot)
        counts = summary.counts()
        for outcome in ("new", "updated", "merged", "unchanged", "rejected"):
            if counts[outcome]:
                metrics.INGESTED.labels(source=planned.step, outcome=outcome).inc(counts[outcome])
        return counts | {"resumed": summary.resumed}

    def index_and_embed(self) -> None:
        from paperwire.index.manager import index_status, update_index

        status = index_status(self.store, self.index)
        day = self.report.at.date()
        if not status["up_to_date"]:
            self.step("index", day, lambda: update_index(self.store, self.index))
        counts = self.index.status()
        if counts.papers_embedded < counts.papers_indexed:
            self.step("embed", day, self._embed)

    def _embed(self) -> dict[str, Any]:
        from paperwire.index.manager import embed_index

        result = embed_index(self.store, self.index, limit=self.embed_limit)
        metrics.EMBEDDED.inc(result["embedded"])
        return result

    def digest(self) -> None:
        due = self.schedule.digest_day(self.now)
        if due is None:
            return
        day, due_at = due
        if step_done(self.store, "digest", day):
            self.report.digest = "already sent"
            return
        missing = self._missing_harvests()
        if missing and self.report.at < due_at + self.schedule.max_wait:
            self.report.digest = f"waiting for {', '.join(missing)}"
            log.info("the digest of %s waits for %s", day, ", ".join(missing))
            return
        if missing:
            log.warning("the digest of %s goes out without %s", day, ", ".join(missing))
        ok = self.step("digest", day, lambda: self._send(day))
        self.report.digest = "sent" if ok else "failed"

    def _missing_harvests(self) -> list[str]:
        slot = self.schedule.latest_slot(self.now)
        if slot is None:
            return []
        return [s for s in step_names(self.settings) if not step_done(self.store, s, slot.date())]

    def _send(self, day: date) -> dict[str, Any]:
        from paperwire.digest.send import send_digests

        summary = send_digests(self.settings, day=day, store=self.store, index=self.index)
        counts = summary.as_dict()
        for outcome in ("sent", "empty", "failed", "deferred", "errors"):
            if counts[outcome]:
                metrics.DIGESTS.labels(outcome=outcome).inc(counts[outcome])
        if summary.deferred or summary.errors:
            # Left pending in the outbox: a later cycle sends them (never twice).
            raise DigestIncomplete(
                f"{summary.deferred} digests deferred, {summary.errors} errors; retried next cycle"
            )
        keep = ("subscribers", "sent", "empty", "failed", "skipped_already_sent", "seconds")
        return {k: counts[k] for k in keep}


def _bind(
    fn: Callable[[PlannedSource, date], dict[str, Any]], planned: PlannedSource, day: date
) -> Callable[[], dict[str, Any]]:
    return lambda: fn(planned, day)


class DigestIncomplete(PaperwireError):
    """Some digests of the day are still pending after the run."""


def run_cycle(
    settings: Settings,
    *,
    now: datetime | None = None,
    store: Store | None = None,
    sleep: Callable[[float], None] = time.sleep,
    embed_limit: int | None = EMBED_PER_CYCLE,
) -> CycleReport:
    """One cycle at `now` (default: the current time; a time-zone-aware datetime). Raises
    WorkerBusy when another process is running one."""
    now = now or datetime.now(UTC)
    own = store is None
    store = store or open_store(settings)
    try:
        with Lease(store, settings.worker_lease_seconds) as lease:
            stale = interrupt_running(store)
            if stale:
                log.warning("resuming after an interrupted cycle (%d steps were cut off)", stale)
            cycle = _Cycle(settings, store, lease, now, sleep, embed_limit)
            cycle.harvest()
            cycle.index_and_embed()
            cycle.digest()
            _observe(cycle)
            return cycle.report
    finally:
        if own:
            store.close()


def _observe(cycle: _Cycle) -> None:
    from paperwire.index.manager import index_status

    try:
        status = index_status(cycle.store, cycle.index)
    except Exception:  # metrics must never fail a cycle
        log.exception("could not read the index status")
        return
    metrics.INDEX_LAG.set(status["lags_store_by"])
    metrics.EMBEDDED_FRACTION.set(status["embedded_fraction"])
