"""`paperwire digest send` through the console entry point, and the built-in scheduler."""

from __future__ import annotations

import json
import threading
from datetime import date, datetime, time

import pytest

from paperwire.digest.scheduler import DigestScheduler, next_run, parse_time
from paperwire.errors import ConfigError
from paperwire.settings import Settings
from paperwire.store import Store
from tests.support.clirun import run_main
from tests.support.digestdata import DAY2, Subscriber
from tests.support.mailserver import Capture


def _env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    for name in ("home", "secret_key", "smtp_host", "smtp_port", "base_url", "mail_from"):
        monkeypatch.setenv(f"PAPERWIRE_{name.upper()}", str(getattr(settings, name)))


def test_cli_send_json_and_exit_codes(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    subscriber: Subscriber,
    mailbox: Capture,
    dstore: Store,
) -> None:
    _env(monkeypatch, settings)
    subscriber("cli@example.org", "trending")
    code, out, _ = run_main(capsys, "digest", "send", "--date", str(DAY2), "--dry-run", "--json")
    assert code == 0 and json.loads(out)["rendered"] == 1 and mailbox.messages == []
    code, out, _ = run_main(capsys, "digest", "send", "--date", str(DAY2), "--json")
    assert code == 0 and json.loads(out)["sent"] == 1 and len(mailbox.wait_for(1)) == 1
    code, out, _ = run_main(capsys, "digest", "send", "--date", str(DAY2))
    assert code == 3 and "1 already done" in out  # nothing new: exit 3
    code, _, err = run_main(capsys, "digest", "send", "--user", "nobody@example.org")
    assert code == 4 and "no user" in err
    code, _, err = run_main(capsys, "digest", "send", "--date", "2026-13-01")
    assert code == 2


def test_parse_time() -> None:
    assert parse_time("07:30") == time(7, 30)
    for bad in ("7", "25:00", "07:5", "noon", "07:30:00"):
        with pytest.raises(ConfigError):
            parse_time(bad)


def test_next_run_catches_up_once_a_day() -> None:
    at = time(8, 0)
    morning = datetime(2026, 7, 1, 6, 0)
    assert next_run(at, morning, last=None) == datetime(2026, 7, 1, 8, 0)
    late = datetime(2026, 7, 1, 9, 15)
    assert next_run(at, late, last=None) == late  # started after 08:00: today's run now
    assert next_run(at, late, last=date(2026, 7, 1)) == datetime(2026, 7, 2, 8, 0)


def test_scheduler_runs_the_job_in_its_thread(settings: Settings) -> None:
    ran: list[date] = []
    done = threading.Event()

    def job(day: date) -> None:
        ran.append(day)
        done.set()

    clock = lambda: datetime(2026, 7, 1, 8, 0, 1)  # noqa: E731 - just past the time
    scheduler = DigestScheduler(
        settings.model_copy(update={"digest_time": "08:00"}), job, clock=clock
    )
    scheduler.start()
    try:
        assert done.wait(5)
    finally:
        scheduler.stop()
    assert ran[0] == date(2026, 7, 1) and scheduler.runs >= 1
    assert len(set(ran)) == 1  # once that day, however long the thread ran
    with pytest.raises(ConfigError):
        DigestScheduler(settings.model_copy(update={"digest_time": "8h"}))


def test_cli_send_during_an_smtp_outage_exits_5_not_3(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    subscriber: Subscriber,
    mailbox: Capture,
) -> None:
    """Deferred mail is not "nothing to send": cron must see the difference (issue 17)."""
    import functools

    from paperwire.digest import send

    _env(monkeypatch, settings)
    fast = functools.partial(send.send_digests, retries=0, base_delay=0.0)
    monkeypatch.setattr(send, "send_digests", fast)  # the real sender, without the backoff
    subscriber("outage@example.org", "trending")
    mailbox.refuse = 100  # the real server answers 451 to everything
    code, out, err = run_main(capsys, "digest", "send", "--date", str(DAY2))
    assert code == 5
    assert "1 left for the next run" in out
    assert "deferred: 1 digests could not be handed to the mail server" in " ".join(err.split())
    mailbox.refuse = 0
    code, out, _ = run_main(capsys, "digest", "send", "--date", str(DAY2), "--json")
    assert code == 0 and json.loads(out)["sent"] == 1
