"""`paperwire daily` with every source down: each is skipped with its reason, in JSON log lines
under PAPERWIRE_LOG_FORMAT=json; `paperwire status` then shows the failed steps."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.clirun import run_main


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when we return: connections refused


def test_sources_down_are_skipped_with_logged_reasons(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    down = f"http://127.0.0.1:{_closed_port()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    env.update(
        PAPERWIRE_HOME=str(tmp_path / "home"),
        PAPERWIRE_LOG_FORMAT="json",
        PAPERWIRE_SOURCES="oai,hf-daily",
        PAPERWIRE_OAI_URL=f"{down}/oai",
        PAPERWIRE_HF_DAILY_URL=f"{down}/hf",
        PAPERWIRE_HTTP_RETRIES="0",
        PAPERWIRE_REQUEST_INTERVAL="0",
    )
    cmd = [sys.executable, "-m", "paperwire", "daily", "--at", "2026-07-06T21:00-04:00"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr  # failed steps: exit 1
    events = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    skipped = [e for e in events if "skipped for this cycle" in e["message"]]
    assert {e["level"] for e in skipped} == {"warning"}
    assert [e["message"].split()[2] for e in skipped] == ["harvest:oai:cs", "harvest:hf-daily"]
    assert all(e["logger"] == "paperwire.pipeline.cycle" and "time" in e for e in skipped)

    code, out, _err = run_main(capsys, "--home", str(tmp_path / "home"), "status", "--json")
    assert code == 0
    status = json.loads(out)
    assert {s: r["status"] for s, r in status["steps"].items()} == {
        "harvest:oai:cs": "failed",
        "harvest:hf-daily": "failed",
    }
    assert status["steps"]["harvest:oai:cs"]["day"] == "2026-07-06"
    assert status["index"]["lags_store_by"] == 0 and status["worker"] is None
    code, out, _err = run_main(capsys, "--home", str(tmp_path / "home"), "status")
    assert code == 0 and "pipeline steps" in out and "worker: none running" in out


def test_the_worker_loop_retries_each_cycle_and_yields_to_a_lock_holder(tmp_path: Path) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from paperwire.pipeline import Worker
    from paperwire.pipeline.lease import Lease
    from paperwire.settings import Settings
    from paperwire.store import open_store
    from paperwire.store.pipeline import runs_of

    settings = Settings(
        home=tmp_path / "home",
        sources="hf-daily",
        hf_daily_url=f"http://127.0.0.1:{_closed_port()}/hf",
        http_retries=0,
        request_interval=0,
        worker_interval=0.1,  # at least 1 s between cycles
    )
    when = datetime(2026, 7, 6, 21, 0, tzinfo=ZoneInfo("America/New_York"))
    reports: list[object] = []
    worker = Worker(settings, clock=lambda: when, on_cycle=reports.append)
    with open_store(settings) as store:
        with Lease(store, 60):  # another worker holds the lock: this one skips its cycle
            assert worker.run_once() is None
        assert runs_of(store) == []
        worker.start()
        deadline = time.monotonic() + 30
        while len(reports) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        worker.stop()
        runs = runs_of(store, step="harvest:hf-daily")
    assert len(reports) >= 2  # a failed source is tried again at every cycle
    assert len(runs) == len(reports) and {r.status for r in runs} == {"failed"}
