"""Running a source into the store: batches, checkpoints, counts, and resumption after a kill."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from paperwire.errors import RecordsRefused, SourceError
from paperwire.ingest.base import Cursor, Source
from paperwire.records import PaperRecord, Rejected
from paperwire.store.checkpoints import (
    clear_checkpoint,
    finish_run,
    load_checkpoint,
    start_run,
)
from paperwire.store.db import Store
from paperwire.store.papers import Outcome, upsert_records

log = logging.getLogger(__name__)
MAX_KEPT_REJECTS = 1000


@dataclass
class IngestSummary:
    source: str
    records: int = 0
    new: int = 0
    updated: int = 0
    merged: int = 0
    unchanged: int = 0
    rejected: int = 0
    resumed: bool = False
    seconds: float = 0.0
    rejects: list[str] = field(default_factory=list)  # the first MAX_KEPT_REJECTS messages

    @property
    def changed(self) -> int:
        return self.new + self.updated + self.merged

    def counts(self) -> dict[str, int]:
        names = ("records", "new", "updated", "merged", "unchanged", "rejected")
        return {k: getattr(self, k) for k in names}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"changed": self.changed}


Progress = Callable[[int, int | None], None]  # (done, total)
Checkpoint = tuple[str, str, dict[str, Any]]


class _Batcher:
    def __init__(self, store: Store, source: Source, summary: IngestSummary, size: int) -> None:
        self.store, self.source, self.summary, self.size = store, source, summary, size
        # Once per run: a file source's key stats and resolves every file, which per batch
        # cost more than a tenth of a daily ingest.
        self.key = source.key
        self.records: list[PaperRecord] = []
        self.cursor: Cursor | None = None
        self.skipped = 0  # rejected items since the last flush

    def add(self, record: PaperRecord, cursor: Cursor) -> None:
        self.records.append(record)
        self.cursor = cursor
        if len(self.records) >= self.size:
            self.flush()

    def skip(self, cursor: Cursor) -> None:
        """A rejected item: only the position moves, checkpointed every `size` items too (a
        file of nothing but rejects still resumes near where it stopped)."""
        self.cursor = cursor
        self.skipped += 1
        if self.skipped >= self.size:
            self.flush()

    def flush(self) -> None:
        if not self.records and self.cursor is None:
            return
        checkpoint = (self.key, self.source.name, self.cursor.state) if self.cursor else None
        try:
            outcomes = upsert_records(self.store, self.records, checkpoint=checkpoint)
        except RecordsRefused as exc:
            # One record the database refuses must not block the batch: store them one by one.
            log.warning("%s; storing its records one by one", exc)
            outcomes = self._one_by_one(checkpoint)
        for outcome in outcomes:
            setattr(self.summary, outcome.value, getattr(self.summary, outcome.value) + 1)
        self.summary.records += len(outcomes)
        self.records, self.cursor, self.skipped = [], None, 0

    def _one_by_one(self, checkpoint: Checkpoint | None) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for record in self.records:
            try:
                outcomes += upsert_records(self.store, [record])
            except RecordsRefused as exc:
                reason = str(exc).replace("the batch", "it", 1)
                _reject(self.summary, Rejected(record.origin or "?", reason))
        if checkpoint:
            upsert_records(self.store, [], checkpoint=checkpoint)
        return outcomes


def _reject(summary: IngestSummary, item: Rejected) -> None:
    summary.rejected += 1
    log.warning("rejected %s", item)
    if len(summary.rejects) < MAX_KEPT_REJECTS:
        summary.rejects.append(str(item))


def _finish_failed(
    store: Store, run_id: int, summary: IngestSummary, started: float, exc: BaseException
) -> None:
    summary.seconds = time.perf_counter() - started
    status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
    message = str(exc) or type(exc).__name__
    try:
        finish_run(store, run_id, status=status, counts=summary.counts(), message=message)
    except Exception as mark_exc:  # the store itself failed: the original error matters more
        log.error("could not mark ingest run %s as %s: %s", run_id, status, mark_exc)


def run_ingest(
    store: Store,
    source: Source,
    *,
    batch_size: int = 1000,
    restart: bool = False,
    progress: Progress | None = None,
) -> IngestSummary:
    """Ingest a source; an interrupted earlier run of the same source resumes where it stopped.

    Each batch and the source's position are committed together, so a kill at any moment loses
    nothing and re-running never duplicates (upserts are idempotent anyway).
    """
    summary = IngestSummary(source=source.name)
    resume = None if restart else load_checkpoint(store, source.key)
    summary.resumed = resume is not None
    run_id = start_run(store, source=source.name, key=source.key)
    started = time.perf_counter()
    batcher = _Batcher(store, source, summary, batch_size)
    try:
        for item, cursor in source.items(resume):
            if isinstance(item, Rejected):
                _reject(summary, item)
                batcher.skip(cursor)
            else:
                batcher.add(item, cursor)
            if progress:
                progress(cursor.done, source.total)
        batcher.flush()
    except BaseException as exc:  # whatever failed, the run is marked, never left `running`
        try:
            if isinstance(exc, SourceError | KeyboardInterrupt):
                batcher.flush()  # keep what was read before the failure
        finally:
            _finish_failed(store, run_id, summary, started, exc)
        raise
    clear_checkpoint(store, source.key)
    summary.seconds = time.perf_counter() - started
    finish_run(store, run_id, status="done", counts=summary.counts())
    return summary


__all__ = ["IngestSummary", "Outcome", "run_ingest"]
