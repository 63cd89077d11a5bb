"""The built-in daily trigger: with `digest_time` = "HH:MM", `paperwire serve` runs
`send_digests` once a day at that local time, in a background thread of one process.

When the server starts after today's time, it sends today's digest at once (a restart must not
skip a day). Running twice is harmless: the outbox gives each subscriber one digest per day,
so a cron job beside the scheduler, or a restart right after a run, sends nobody a second one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from paperwire.errors import ConfigError
from paperwire.settings import Settings

log = logging.getLogger(__name__)
Job = Callable[[date], object]


def parse_time(text: str) -> time:
    """ "HH:MM" (24-hour) -> time; ConfigError otherwise."""
    try:
        hours, minutes = text.strip().split(":")
        if len(hours) > 2 or len(minutes) != 2:
            raise ValueError(text)
        return time(int(hours), int(minutes))
    except ValueError as exc:
        raise ConfigError(
            f"digest_time {text!r} is not a time of day: use HH:MM, e.g. 07:30"
        ) from exc


def next_run(at: time, now: datetime, *, last: date | None) -> datetime:
    """When to run next: today at `at` (at once if that passed and today has not run yet),
    else tomorrow at `at`."""
    today = datetime.combine(now.date(), at)
    if last != now.date():
        return max(today, now) if now >= today else today
    return datetime.combine(now.date() + timedelta(days=1), at)


class DigestScheduler:
    """A daemon thread that calls `job(day)` once a day; `stop()` ends it promptly."""

    def __init__(
        self,
        settings: Settings,
        job: Job | None = None,
        *,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        if not settings.digest_time:
            raise ConfigError("digest_time is not set")
        self.at = parse_time(settings.digest_time)
        self.settings = settings
        self.job: Job = job or self._send
        self.clock = clock
        self.last: date | None = None
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="digest-scheduler", daemon=True)

    def _send(self, day: date) -> object:
        from paperwire.digest.send import send_digests

        summary = send_digests(self.settings, day=day)
        log.info("digest of %s: %s", day, summary.as_dict())
        return summary

    def _loop(self) -> None:
        while not self._stop.is_set():
            now = self.clock()
            when = next_run(self.at, now, last=self.last)
            wait = (when - now).total_seconds()
            # Wake at least every minute: the clock may jump (suspend, DST, NTP).
            if wait > 0 and self._stop.wait(min(wait, 60.0)):
                return
            if wait > 60.0:
                continue
            day = self.clock().date()
            try:
                self.job(day)
            except Exception:  # logged; tomorrow is another run, and the outbox resumes
                log.exception("the digest of %s failed", day)
            self.last = day
            self.runs += 1

    def start(self) -> DigestScheduler:
        self._thread.start()
        log.info("digest scheduler: daily at %s", self.at.strftime("%H:%M"))
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)


def start_scheduler(settings: Settings) -> DigestScheduler | None:
    """The scheduler started, when `digest_time` is set (else None)."""
    if not settings.digest_time:
        return None
    return DigestScheduler(settings).start()
