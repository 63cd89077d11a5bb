"""`paperwire demo` as a new user runs it: a fresh data home, output not a terminal. The site
must answer while the embeddings are still being computed in the background, and stopping the
demo stops the embedding process too."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.network_local]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _wait_for_site(base: str, proc: subprocess.Popen[bytes], log: Path) -> dict:
    deadline = time.monotonic() + 120
    while True:
        try:
            response = httpx.get(f"{base}/api/v1/status", timeout=5)
            response.raise_for_status()
            return dict(response.json())
        except httpx.TransportError:
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the demo did not serve within 120 s"
            time.sleep(0.3)


@pytest.mark.model
def test_demo_serves_while_embedding(tmp_path: Path) -> None:
    port = free_port()
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    env = {**os.environ, "PAPERWIRE_HOME": str(tmp_path / "home")}
    env.pop("PAPERWIRE_DATABASE_URL", None)
    with out.open("wb") as o, err.open("wb") as e:
        proc = subprocess.Popen(
            [sys.executable, "-m", "paperwire", "demo", "--port", str(port)],
            stdout=o,
            stderr=e,
            env=env,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        status = _wait_for_site(base, proc, err)
        index = status["index"]
        assert index["papers_indexed"] == status["papers"] > 2000
        assert index["papers_embedded"] < index["papers_indexed"]  # still embedding
        found = httpx.get(f"{base}/api/v1/search", params={"q": "diffusion"}, timeout=30).json()
        assert found["pagination"]["total"] > 0 and found["hits"]
        coverage = found["embedding"]
        assert coverage["papers_embedded"] < coverage["papers_indexed"] == index["papers_indexed"]
        page = httpx.get(f"{base}/search", params={"q": "diffusion"}, timeout=30).text
        assert "Embeddings are still being computed" in page
        assert "search uses the embeddings as they are computed" in httpx.get(f"{base}/about").text
        workers = _children(proc.pid)
        assert workers, "no background embedding process"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    stdout, stderr = out.read_text(), err.read_text()
    # One screen, not the latest day's 300-row table; short progress lines on stderr.
    assert len(stdout.splitlines()) < 25, stdout
    assert "serving the demo at" in stdout and "latest day 2026-07-01: 300 papers" in stdout
    assert "demo: building the search index" in stderr
    assert "in the background" in stderr
    assert "Traceback" not in stderr
    deadline = time.monotonic() + 15
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in workers if _running(pid)], "embedding left running"


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has finished


def test_demo_port_in_use_fails_at_once(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "PAPERWIRE_HOME": str(tmp_path / "home")}
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "paperwire", "demo", "--port", str(port)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
    assert time.monotonic() - started < 30
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"error: port {port} on 127.0.0.1 is already in use (another paperwire or another "
        "server): stop it, or pick another port with --port"
    ]
    assert not (tmp_path / "home" / "paperwire.db").exists()  # failed before building
