"""`paperwire serve`: listening sockets with TCP_NODELAY on their connections, several server
processes sharing a port (SO_REUSEPORT), stopped together, a dead one reported."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from paperwire.settings import Settings
from paperwire.web.serve import bound_socket, listen_socket


def test_accepted_connections_have_tcp_nodelay() -> None:
    """asyncio sets TCP_NODELAY only on connections from an IPPROTO_TCP socket: without it a
    keep-alive connection waits ~40 ms (Nagle + delayed ACK) for every response after the first."""
    sock = listen_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    assert sock.proto == socket.IPPROTO_TCP

    async def main() -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            conn = writer.get_extra_info("socket")
            seen.set_result(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(connected, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            nodelay = await asyncio.wait_for(seen, 5)
            writer.close()
            return nodelay

    assert asyncio.run(main()) != 0


def test_reuse_port_sockets_share_a_port() -> None:
    reserve = bound_socket("127.0.0.1", 0, reuse_port=True)
    port = reserve.getsockname()[1]
    try:
        with (
            listen_socket("127.0.0.1", port, reuse_port=True),
            listen_socket("127.0.0.1", port, reuse_port=True),
            pytest.raises(OSError),  # a server without SO_REUSEPORT cannot take the port
            listen_socket("127.0.0.1", port),
        ):
            pass
    finally:
        reserve.close()


def test_a_port_in_use_fails_at_once() -> None:
    with listen_socket("127.0.0.1", 0) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(OSError):
            bound_socket("127.0.0.1", port, reuse_port=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    """The server processes of the supervisor `pid` (not multiprocessing's resource tracker)."""
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True)
    pids = [int(p) for p in out.stdout.split()]
    return [p for p in pids if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]


def _session(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "-s", str(pid)], capture_output=True)
    return [int(p) for p in out.stdout.split()]


def _start(
    settings: Settings, log: Path, workers: int, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    cmd = [sys.executable, "-m", "paperwire", "--home", str(settings.home), "serve"]
    cmd += ["--port", str(port), "--workers", str(workers), "--no-index-update"]
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            cmd, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True, env=env
        )
    deadline = time.monotonic() + 60
    while log.read_text().count("Application startup complete") < workers:
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "the server did not start in 60 s"
        time.sleep(0.2)
    return proc, f"http://127.0.0.1:{port}"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


@pytest.mark.network_local
def test_two_server_processes_answer_fast_and_stop_together(
    settings: Settings, tmp_path: Path
) -> None:
    proc, url = _start(settings, tmp_path / "server.log", workers=2)
    try:
        assert len(_children(proc.pid)) == 2
        with httpx.Client() as client:  # one keep-alive connection
            client.get(url + "/static/style.css").raise_for_status()
            started = time.perf_counter()
            for _ in range(10):
                client.get(url + "/static/style.css").raise_for_status()
            took = time.perf_counter() - started
        assert took < 0.3, f"10 keep-alive requests took {took:.3f} s (Nagle: ~0.4 s)"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    deadline = time.monotonic() + 10
    while [p for p in _session(proc.pid) if p != proc.pid] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _session(proc.pid), "server processes left after SIGTERM"


@pytest.mark.network_local
def test_a_dead_server_process_is_reported_and_stops_the_rest(
    settings: Settings, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    proc, _ = _start(settings, log, workers=2)
    try:
        first, _ = _children(proc.pid)
        os.kill(first, signal.SIGKILL)
        assert proc.wait(30) == 1
        assert f"server process {first} exited with code -9" in log.read_text()
        deadline = time.monotonic() + 10
        while _session(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _session(proc.pid)
    finally:
        _stop(proc)


@pytest.mark.network_local
def test_server_processes_get_the_settings_but_not_the_secrets_in_their_environment(
    settings: Settings, tmp_path: Path
) -> None:
    """The secret key and SMTP password reach the server processes over multiprocessing's pipe:
    neither they nor a dump of the settings are in either server process's environment, and the
    site still signs with the key it was given."""
    from paperwire.signing import serializer

    key, password = "k-" + os.urandom(16).hex(), "p-" + os.urandom(16).hex()
    env = os.environ | {"PAPERWIRE_SECRET_KEY": key, "PAPERWIRE_SMTP_PASSWORD": password}
    proc, url = _start(settings, tmp_path / "server.log", workers=2, env=env)
    try:
        pids = _children(proc.pid)  # the supervisor's own environ is what it was started with
        assert len(pids) == 2
        for pid in pids:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            assert key.encode() not in environ and password.encode() not in environ
            assert b"PAPERWIRE_SERVE_SETTINGS" not in environ
        tokens = set()
        for _ in range(6):  # connections spread over both workers
            with httpx.Client() as client:
                page = client.get(url + "/signin").text
            tokens.add(page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0])
        signer = serializer(Settings(home=settings.home, secret_key=key), "csrf")
        assert all(isinstance(signer.loads(t), str) for t in tokens)
    finally:
        _stop(proc)
