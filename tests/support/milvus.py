"""A throwaway real Milvus server for the tests: `milvus-lite server` (the milvus-lite package)
on 127.0.0.1 on a free port, with its own data dir, speaking the same gRPC API as Milvus
Standalone. One server per test session; each test takes its own collection.

Known gaps of Milvus Lite against a Milvus server (the tests stay inside them): no binary or
int8 vectors, no struct arrays (so token vectors live in the store), BM25 IDF computed per
segment and over the rows a filter leaves, one server process per data dir.

Without milvus-lite (or pymilvus) the tests that need it are skipped, unless
PAPERWIRE_REQUIRE_MILVUS=1 is set (CI, scripts/test.sh): then they fail.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

REQUIRE_ENV = "PAPERWIRE_REQUIRE_MILVUS"
READY_TIMEOUT = 60.0


def required() -> bool:
    return os.environ.get(REQUIRE_ENV, "").strip() not in ("", "0", "false", "no")


def unavailable(reason: str) -> None:
    if required():
        pytest.fail(f"{reason} ({REQUIRE_ENV} is set, so this is an error)", pytrace=False)
    pytest.skip(f"{reason}; pip install pymilvus milvus-lite (the test extra has them)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MilvusServer:
    """A running `milvus-lite server`: `url(collection)`, `stop()`, `kill()`."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.base = Path(tempfile.mkdtemp(prefix="paperwire-milvus-"))
        self.log = self.base / "server.log"
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> MilvusServer:
        for _attempt in range(5):  # a probed free port can be taken before the server binds it
            self.port = free_port()
            with self.log.open("ab") as log:
                self.proc = subprocess.Popen(
                    [self.binary, "server", "--data-dir", str(self.base / "data"),
                     "--host", "127.0.0.1", "--port", str(self.port)],
                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                )  # fmt: skip
            if self._wait_ready():
                return self
            self.stop(remove=False)
        raise RuntimeError(f"milvus-lite server did not start:\n{self.log_tail()}")

    def _wait_ready(self) -> bool:
        from pymilvus import MilvusClient

        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                return False
            try:
                client = MilvusClient(uri=f"http://127.0.0.1:{self.port}", timeout=2)
                client.list_collections()
                client.close()
                return True
            except Exception:
                time.sleep(0.2)
        return False

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def url(self, collection: str | None = None) -> str:
        name = collection or f"t_{uuid.uuid4().hex[:12]}"
        return f"milvus://127.0.0.1:{self.port}/{name}"

    def stop(self, *, remove: bool = True) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=20)
        self.proc = None
        if remove:
            shutil.rmtree(self.base, ignore_errors=True)


def start_server() -> MilvusServer:
    """Start a server, or skip/fail (see `unavailable`) when milvus-lite is not installed."""
    binary = shutil.which("milvus-lite")
    if binary is None:
        unavailable("the milvus-lite command is not installed")
    try:
        import pymilvus  # noqa: F401
    except ImportError:
        unavailable("the pymilvus client is not installed")
    assert binary is not None
    return MilvusServer(binary).start()
