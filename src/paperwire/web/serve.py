"""Running the web app under uvicorn (`paperwire serve`)."""

from __future__ import annotations

import errno
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import TYPE_CHECKING

from fastapi import FastAPI

from paperwire.errors import ConfigError
from paperwire.settings import Settings, load_settings

if TYPE_CHECKING:
    from paperwire.digest.scheduler import DigestScheduler

log = logging.getLogger(__name__)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # read by prometheus_client when it is imported
# The settings of this server process, secrets included. They reach a worker process as an
# argument of multiprocessing's spawn, i.e. over the pipe to the child, never through the
# environment, which every process the worker starts would inherit (and /proc shows).
_settings: Settings | None = None
SECRET_ENV = ("PAPERWIRE_SECRET_KEY", "PAPERWIRE_SMTP_PASSWORD", "PAPERWIRE_DATABASE_URL")


def embedded_writer(settings: Settings) -> bool:
    """Whether this `paperwire serve` writes the index (from its main process, never from a web
    process): with the embedded index, it is the one machine's index writer; with a shared
    index (Milvus) serve hosts are stateless readers and `paperwire worker` writes."""
    from paperwire.index.location import parse_index

    return parse_index(settings.index).kind == "embedded"


def bring_index_up_to_date(settings: Settings) -> dict[str, int | float]:
    """Index what the store has that the index lacks, once, before any web process starts: the
    web processes only read the index (and reload it when the follower updates it)."""
    from paperwire.index.base import IndexFormatError
    from paperwire.index.manager import open_index, update_index
    from paperwire.store import open_store

    with open_store(settings) as store:
        try:
            result = update_index(store, open_index(settings))
        except IndexFormatError as exc:  # serve anyway: lists and papers need no index
            log.error("%s; serving without search until then", exc)
            return {}
    log.info(
        "index: %s papers read, %s in the index", result["papers_read"], result["papers_indexed"]
    )
    return result


def app_from_env() -> FastAPI:
    """The app factory a uvicorn worker process calls (with the settings `_serve` was given)."""
    from paperwire.web.app import create_app

    settings = _settings or load_settings()
    if settings.log_format != "text":
        from paperwire.ops.logs import configure_logging

        configure_logging(settings.log_format)
    return create_app(settings)


def listen_socket(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """A listening TCP socket on host:port. Made with IPPROTO_TCP spelled out: asyncio sets
    TCP_NODELAY only on connections accepted from such a socket (a plain `socket(AF_INET,
    SOCK_STREAM)`, as uvicorn makes for its workers, leaves Nagle on and every response after
    the first on a keep-alive connection waits ~40 ms for a delayed ACK). With `reuse_port`,
    several processes may each listen on the port and the kernel spreads connections over them."""
    sock = bound_socket(host, port, reuse_port=reuse_port)
    try:
        sock.listen(2048)
    except BaseException:
        sock.close()
        raise
    return sock


def bound_socket(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """A TCP socket (IPPROTO_TCP) bound to host:port, SO_REUSEADDR (and SO_REUSEPORT) set."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host.strip("[]"), port))
    except BaseException:
        sock.close()
        raise
    return sock


def _bind_error(host: str, port: int, exc: OSError) -> ConfigError:
    if exc.errno == errno.EADDRINUSE:
        return ConfigError(
            f"port {port} on {host} is already in use (another paperwire or another server): "
            f"stop it, or pick another port with --port"
        )
    if exc.errno == errno.EACCES:
        return ConfigError(f"not allowed to listen on port {port}: pick one above 1023 with --port")
    reason = exc.strerror or exc
    return ConfigError(f"cannot listen on {host}:{port}: {reason} (see --host and --port)")


def check_port(host: str, port: int) -> None:
    """Fail now, before minutes of work, if host:port cannot be listened on: a ConfigError (one
    line naming the port and --port, no traceback)."""
    try:
        bound_socket(host, port).close()
    except OSError as exc:
        raise _bind_error(host, port, exc) from None


def _serve(sock: socket.socket | None, host: str, port: int, settings_json: str) -> None:
    """One server process: uvicorn, one worker, on `sock` (or on its own SO_REUSEPORT socket
    when None). uvicorn stops on SIGINT/SIGTERM."""
    import uvicorn

    global _settings
    _settings = Settings.model_validate_json(settings_json)

    sock = sock or listen_socket(host, port, reuse_port=True)
    config = uvicorn.Config(
        "paperwire.web.serve:app_from_env",
        factory=True,
        host=host,
        port=port,
        # Off: uvicorn would trust X-Forwarded-* from 127.0.0.1 by default; the app's
        # TrustedProxies middleware honours them from PAPERWIRE_TRUSTED_PROXIES only.
        proxy_headers=False,
        log_level="info",
    )
    uvicorn.Server(config).run(sockets=[sock])


def run(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    *,
    update_index: bool = True,
) -> None:
    """Serve until interrupted (SIGINT/SIGTERM).

    With workers > 1: that many independent server processes, each with its own socket on the
    port (SO_REUSEPORT, so the kernel balances connections among them; where there is no
    SO_REUSEPORT they share one socket), supervised here: a signal stops them all, and one that
    exits on its own is reported and the others are stopped (exit status 1)."""
    check_port(host, port)
    if workers > 1:
        shared_metrics_folder(settings)  # before anything imports prometheus_client
    writer = embedded_writer(settings)
    if update_index and writer:
        bring_index_up_to_date(settings)
    settings_json = settings.model_dump_json()
    for name in SECRET_ENV:  # read into `settings` already; no child need inherit them
        os.environ.pop(name, None)
    # The daily digest (settings.digest_time): a thread of this process only, never of the
    # server processes, so one trigger a day (and the outbox makes a double one harmless).
    # With serve_worker, the pipeline worker runs there instead and sends the digest itself,
    # after the day's harvest (the scheduler would not wait for it).
    from paperwire.digest.scheduler import start_scheduler
    from paperwire.pipeline import Worker
    from paperwire.pipeline.follower import IndexFollower

    background: Worker | DigestScheduler | None
    background = Worker(settings).start() if settings.serve_worker else start_scheduler(settings)
    # Papers submitted on the site reach the index through this follower (or the worker's).
    follower = IndexFollower(settings).start() if writer and not settings.serve_worker else None
    try:
        try:
            _run_servers(host, port, workers, settings_json)
        except OSError as exc:
            if exc.errno not in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
                raise
            raise _bind_error(host, port, exc) from None  # taken since check_port
    finally:
        if follower is not None:
            follower.stop()
        if background is not None:
            background.stop()


def shared_metrics_folder(settings: Settings) -> None:
    """Several server processes: /metrics sums them all through prometheus_client's
    multiprocess mode, in `<home>/metrics` (emptied at each start) unless
    PROMETHEUS_MULTIPROC_DIR names a folder already."""
    if os.environ.get(MULTIPROC_ENV):
        return
    folder = settings.home_dir / "metrics"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[MULTIPROC_ENV] = str(folder)


def _run_servers(host: str, port: int, workers: int, settings_json: str) -> None:
    if workers <= 1:
        _serve(listen_socket(host, port), host, port, settings_json)
        return
    if hasattr(socket, "SO_REUSEPORT"):
        # Bound here first (not listening, so it gets no connection): a port in use fails at
        # once, and port 0 picks the port the server processes then all listen on.
        sock = None
        reserve = bound_socket(host, port, reuse_port=True)
        port = reserve.getsockname()[1]
    else:
        sock = reserve = listen_socket(host, port)
    try:
        _supervise(workers, sock, host, port, settings_json)
    finally:
        reserve.close()


def _supervise(
    workers: int, sock: socket.socket | None, host: str, port: int, settings_json: str
) -> None:
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    spawn = multiprocessing.get_context("spawn")
    args = (sock, host, port, settings_json)
    procs = [spawn.Process(target=_serve, args=args) for _ in range(workers)]
    failed = None
    try:
        for proc in procs:
            proc.start()
        log.info("started %d server processes: %s", workers, [p.pid for p in procs])
        while not stopping.is_set():
            wait([p.sentinel for p in procs], timeout=0.5)
            dead = [p for p in procs if p.exitcode is not None]
            if dead and not stopping.is_set():
                failed = dead[0]
                log.error(
                    "server process %s exited with code %s; stopping the others",
                    failed.pid,
                    failed.exitcode,
                )
                break
    finally:
        _stop_all(procs)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if failed is not None:
        raise SystemExit(1)


def _stop_all(procs: Sequence[BaseProcess], grace: float = 15.0) -> None:
    """SIGTERM to every server process still running (uvicorn finishes its requests), then
    SIGKILL to what is left after `grace` seconds."""
    for proc in procs:
        if proc.pid is not None and proc.exitcode is None:
            proc.terminate()
    deadline = time.monotonic() + grace
    for proc in procs:
        if proc.pid is not None:
            proc.join(max(0.0, deadline - time.monotonic()))
    for proc in procs:
        if proc.pid is not None and proc.exitcode is None:
            log.warning("server process %s did not stop in %.0f s: killed", proc.pid, grace)
            proc.kill()
            proc.join(5)
