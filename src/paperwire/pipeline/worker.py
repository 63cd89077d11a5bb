"""The pipeline worker: a cycle every `worker_interval` seconds until stopped, and between
cycles the index follower every `index_poll_interval` seconds (papers stored by any host, e.g.
submitted on the site, are in the index within seconds, not at the next cycle)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from paperwire.pipeline.cycle import CycleReport, run_cycle
from paperwire.pipeline.follower import IndexFollower
from paperwire.pipeline.lease import WorkerBusy
from paperwire.settings import Settings

log = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Worker:
    """`Worker(settings).run()` loops in this thread; `.start()` runs it in a daemon thread
    (inside `paperwire serve`); `.stop()` ends it after the step under way."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = _utc_now,
        on_cycle: Callable[[CycleReport], None] | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.on_cycle = on_cycle
        self.cycles = 0
        self.follower = IndexFollower(settings)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> CycleReport | None:
        try:
            report = run_cycle(self.settings, now=self.clock())
        except WorkerBusy as exc:
            log.info("%s", exc)
            return None
        except Exception:  # the store unreachable, a bad setting: logged, tried again later
            log.exception("the pipeline cycle failed")
            return None
        self.cycles += 1
        if self.on_cycle is not None:
            self.on_cycle(report)
        return report

    def run(self) -> None:
        log.info("pipeline worker: a cycle every %.0f s", self.settings.worker_interval)
        while not self._stop.is_set():
            self.run_once()
            self._follow_until(time.monotonic() + max(1.0, self.settings.worker_interval))
        self.follower.stop()

    def _follow_until(self, deadline: float) -> None:
        """Until the next cycle is due (or stop): the index follower, every poll interval."""
        poll = max(0.5, self.settings.index_poll_interval)
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.follower.poll()
            self._stop.wait(min(poll, max(0.0, deadline - time.monotonic())))

    def start(self) -> Worker:
        self._thread = threading.Thread(target=self.run, name="pipeline-worker", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout)
