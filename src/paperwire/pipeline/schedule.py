"""When the pipeline harvests and when the digest is due, in the configured time zone.

A *harvest slot* is `harvest_time` on one of `harvest_days` (default Sunday to Thursday, 20:30
US Eastern: after arXiv's announcement). Each cycle harvests the newest slot that has begun, once
(a failed source is tried again at the next cycle). The digest of day D is due from
`digest_time` on D (or, without a digest_time, as soon as the slot is harvested), and goes out
only once the newest slot before that moment is fully harvested, or `digest_max_wait_hours`
later with what is in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from paperwire.digest.scheduler import parse_time
from paperwire.errors import ConfigError
from paperwire.settings import Settings

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Schedule:
    zone: ZoneInfo
    harvest_days: frozenset[int]  # 0 = Monday, as date.weekday()
    harvest_at: time
    digest_at: time | None
    max_wait: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> Schedule:
        try:
            zone = ZoneInfo(settings.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(
                f"timezone {settings.timezone!r} is not an IANA time zone (e.g. America/New_York)"
            ) from exc
        days = set()
        for name in settings.harvest_days.split(","):
            name = name.strip().lower()[:3]
            if name not in WEEKDAYS:
                raise ConfigError(
                    f"harvest_days {settings.harvest_days!r}: use days such as mon,tue,...,sun"
                )
            days.add(WEEKDAYS.index(name))
        return cls(
            zone=zone,
            harvest_days=frozenset(days),
            harvest_at=parse_time(settings.harvest_time),
            digest_at=parse_time(settings.digest_time) if settings.digest_time else None,
            max_wait=timedelta(hours=settings.digest_max_wait_hours),
        )

    def local(self, now: datetime) -> datetime:
        if now.tzinfo is None:
            raise ConfigError("the pipeline's clock must give time-zone-aware datetimes")
        return now.astimezone(self.zone)

    def _slot(self, day: date) -> datetime:
        return datetime.combine(day, self.harvest_at, tzinfo=self.zone)

    def latest_slot(self, now: datetime) -> datetime | None:
        """The newest harvest slot that has begun at `now` (None without harvest days)."""
        local = self.local(now)
        for back in range(8):
            day = local.date() - timedelta(days=back)
            if day.weekday() in self.harvest_days and self._slot(day) <= local:
                return self._slot(day)
        return None

    def digest_day(self, now: datetime) -> tuple[date, datetime] | None:
        """(the digest's day, the moment it became due) when a digest is due at `now`."""
        local = self.local(now)
        if self.digest_at is None:
            slot = self.latest_slot(now)
            return (slot.date(), slot) if slot is not None else None
        due = datetime.combine(local.date(), self.digest_at, tzinfo=self.zone)
        return (local.date(), due) if local >= due else None
