"""The pipeline's lease (one worker at a time, on SQLite and PostgreSQL) and its schedule."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from paperwire.errors import ConfigError
from paperwire.pipeline.lease import Lease, WorkerBusy, gone
from paperwire.pipeline.schedule import Schedule
from paperwire.settings import Settings
from paperwire.store import Store
from paperwire.store.pipeline import acquire_lease, lease_holder, renew_lease

ET = ZoneInfo("America/New_York")


def test_one_holder_at_a_time_until_expiry(store: Store) -> None:
    assert acquire_lease(store, "x", "host-a:1:aa", ttl=0.5)
    assert not acquire_lease(store, "x", "host-b:2:bb", ttl=30)
    assert acquire_lease(store, "x", "host-a:1:aa", ttl=0.5)  # the holder may take it again
    assert not renew_lease(store, "x", "host-b:2:bb", ttl=30)
    time.sleep(0.7)
    assert acquire_lease(store, "x", "host-b:2:bb", ttl=30)  # expired: free
    assert not renew_lease(store, "x", "host-a:1:aa", ttl=30)
    held = lease_holder(store, "x")
    assert held is not None and held[0] == "host-b:2:bb"


def test_a_second_worker_is_refused_and_a_dead_one_replaced(store: Store) -> None:
    with Lease(store, 60), pytest.raises(WorkerBusy), Lease(store, 60):
        pass
    assert lease_holder(store, "pipeline") is None  # released on exit
    # A holder of this machine whose process is gone is replaced without waiting.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    import socket

    holder = f"{socket.gethostname()}:{dead.stdout.strip()}:00"
    assert gone(holder) and not gone(f"elsewhere:{dead.stdout.strip()}:00")
    assert acquire_lease(store, "pipeline", holder, ttl=600)
    with Lease(store, 60) as lease:
        held = lease_holder(store, "pipeline")
        assert held is not None and held[0] == lease.holder


def schedule(**kw: str) -> Schedule:
    return Schedule.from_settings(Settings(harvest_time="20:30", **kw))  # type: ignore[arg-type]


def test_slots_follow_arxiv_days_in_the_zone() -> None:
    s = schedule()
    # Friday 2026-07-10 and Saturday: the newest slot is Thursday's.
    assert s.latest_slot(datetime(2026, 7, 11, 12, 0, tzinfo=ET)) == datetime(
        2026, 7, 9, 20, 30, tzinfo=ET
    )
    before = datetime(2026, 7, 6, 20, 29, tzinfo=ET)  # Monday before 20:30: Sunday's slot
    slot = s.latest_slot(before)
    assert slot is not None and slot.date() == date(2026, 7, 5)
    # The clock in UTC gives the same answer (00:40 UTC Tuesday is Monday 20:40 in New York).
    utc = datetime.fromisoformat("2026-07-07T00:40:00+00:00")
    assert s.latest_slot(utc) == datetime(2026, 7, 6, 20, 30, tzinfo=ET)


def test_digest_day() -> None:
    s = schedule(digest_time="07:30")
    assert s.digest_day(datetime(2026, 7, 7, 7, 0, tzinfo=ET)) is None
    due = s.digest_day(datetime(2026, 7, 7, 8, 0, tzinfo=ET))
    assert due is not None and due[0] == date(2026, 7, 7)
    now = datetime(2026, 7, 7, 21, 0, tzinfo=ET)
    assert schedule().digest_day(now) == (date(2026, 7, 7), datetime(2026, 7, 7, 20, 30, tzinfo=ET))


def test_bad_schedule_settings_say_what_is_allowed() -> None:
    with pytest.raises(ConfigError, match="IANA"):
        schedule(timezone="Mars/Olympus")
    with pytest.raises(ConfigError, match="mon,tue"):
        schedule(harvest_days="mon,someday")
    with pytest.raises(ConfigError, match="time-zone-aware"):
        schedule().latest_slot(datetime(2026, 7, 7, 12, 0))


def test_step_runs_and_kept_state(store: Store) -> None:
    from paperwire.store.pipeline import (
        finish_step,
        get_state,
        interrupt_running,
        last_runs,
        set_state,
        start_step,
        step_done,
    )

    day = date(2026, 7, 6)
    first = start_step(store, "harvest:oai:cs", day)
    finish_step(store, first, status="failed", seconds=0.5, error="HTTP 503")
    assert not step_done(store, "harvest:oai:cs", day)
    second = start_step(store, "harvest:oai:cs", day)
    finish_step(store, second, status="done", seconds=1.25, counts={"new": 3})
    start_step(store, "embed", day)  # cut off by a kill
    assert step_done(store, "harvest:oai:cs", day)
    assert not step_done(store, "harvest:oai:cs", date(2026, 7, 7))
    assert interrupt_running(store) == 1
    runs = last_runs(store)
    assert runs["harvest:oai:cs"].counts == {"new": 3} and runs["harvest:oai:cs"].seconds == 1.25
    assert runs["embed"].status == "interrupted" and runs["embed"].finished is not None
    assert get_state(store, "oai:x") is None
    set_state(store, "oai:x", {"from": "2026-07-03"})
    set_state(store, "oai:x", {"from": "2026-07-06", "pending": None})
    assert get_state(store, "oai:x") == {"from": "2026-07-06", "pending": None}
