"""`/metrics` of `paperwire serve --workers 2`: every answer sums both server processes
(prometheus_client's multiprocess mode, set up by serve), whichever process gives it."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from paperwire.settings import Settings

REQUESTS = 30


def _healthz_count(text: str) -> float:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "paperwire_http_requests_total" and s.labels.get("route") == "/healthz":
                return s.value
    return 0.0


@pytest.mark.network_local
def test_metrics_sum_all_server_processes(settings: Settings, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    home = tmp_path / "home"
    import shutil

    shutil.copytree(settings.home, home)
    log = tmp_path / "server.log"
    cmd = [sys.executable, "-m", "paperwire", "--home", str(home), "serve"]
    cmd += ["--port", str(port), "--workers", "2", "--no-index-update"]
    with log.open("wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while log.read_text().count("Application startup complete") < 2:
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        url = f"http://127.0.0.1:{port}"
        for _ in range(REQUESTS):  # a new connection each: the kernel spreads them
            assert httpx.get(url + "/healthz").status_code == 200
        seen = {_healthz_count(httpx.get(url + "/metrics").text) for _ in range(8)}
        assert seen == {REQUESTS}
        assert len(list((home / "metrics").glob("counter_*.db"))) == 2  # one file per process
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
