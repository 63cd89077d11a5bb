"""A throwaway real PostgreSQL server for the tests, from Debian's `postgresql` package.

One server per test session: `initdb -A trust` into a temp dir, listening only on 127.0.0.1 on a
free port (unix socket in the temp dir), fsync off; stopped with `pg_ctl stop -m immediate` and
deleted at the end. PostgreSQL refuses to run as root, so under root initdb and pg_ctl run as the
`postgres` system user (`runuser -u postgres --`) on a data dir chowned to it.

Without the binaries (or the psycopg driver) the tests that need it are skipped, unless
PAPERWIRE_REQUIRE_POSTGRES=1 is set (CI, scripts/test.sh): then they fail.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest

REQUIRE_ENV = "PAPERWIRE_REQUIRE_POSTGRES"
BIN_GLOB = "/usr/lib/postgresql/*/bin"
SUPERUSER = "postgres"  # the database superuser initdb creates (not an OS user)
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "32MB",
    "max_connections": "100",
    "log_min_messages": "warning",
}


def required() -> bool:
    return os.environ.get(REQUIRE_ENV, "").strip() not in ("", "0", "false", "no")


def unavailable(reason: str) -> None:
    """Skip (or, when PostgreSQL is required, fail) the tests that need the server."""
    if required():
        pytest.fail(f"{reason} ({REQUIRE_ENV} is set, so this is an error)", pytrace=False)
    pytest.skip(f"{reason}; install Debian's postgresql package (scripts/test.sh does)")


def find_bin() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin with initdb and pg_ctl, or None."""

    def version(p: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", p.parent.name))

    found = [
        p
        for p in Path("/").glob(BIN_GLOB.lstrip("/"))
        if (p / "initdb").is_file() and (p / "pg_ctl").is_file()
    ]
    return max(found, key=version) if found else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """A running temp server: `url(db)`, `create_database()`, `drop_database(name)`, `stop()`."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        self.base = Path(tempfile.mkdtemp(prefix="paperwire-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self.port = 0
        self.running = False
        if self.as_root:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(self.base, ignore_errors=True)
                raise RuntimeError(
                    "running as root but there is no `postgres` system user to run PostgreSQL as"
                ) from None
            os.chown(self.base, owner.pw_uid, owner.pw_gid)
            self.base.chmod(0o700)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        proc = subprocess.run(
            cmd, cwd=self.base, capture_output=True, text=True, timeout=120, check=False
        )
        if check and proc.returncode != 0:
            raise RuntimeError(
                f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}"
                f"{self.log_tail()}"
            )
        return proc

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\nserver log:\n" + "\n".join(text.splitlines()[-lines:])

    def start(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            SUPERUSER,
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        conf = self.data / "postgresql.conf"
        extra = dict(SETTINGS, unix_socket_directories=f"'{self.base}'")
        with conf.open("a") as f:  # root appending keeps the postgres owner
            f.write("\n# paperwire tests\n")
            f.writelines(f"{k} = {v}\n" for k, v in extra.items())
        # A free port can be taken between probing and binding it: try a few.
        for _attempt in range(5):
            self.port = free_port()
            proc = self._run(
                "pg_ctl",
                "start",
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-w",
                "-t",
                "60",
                "-o",
                f"-p {self.port}",
                check=False,
            )
            if proc.returncode == 0:
                self.running = True
                return
            if "could not bind" not in self.log_tail(10):
                break
        raise RuntimeError(
            f"pg_ctl start failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}{self.log_tail()}"
        )

    def stop(self) -> None:
        try:
            if self.running:
                self._run(
                    "pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w", "-t", "60"
                )
                self.running = False
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def url(self, database: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _admin(self) -> Any:
        import psycopg

        return psycopg.connect(self.url(driver="postgresql"), autocommit=True)

    def create_database(self, prefix: str = "t") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_server() -> PostgresServer:
    """Start a server, or skip/fail (see `unavailable`) when PostgreSQL is not installed."""
    bindir = find_bin()
    if bindir is None:
        unavailable(f"PostgreSQL server binaries not found in {BIN_GLOB}")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("the psycopg driver is not installed (pip install -e '.[test]')")
    assert bindir is not None
    server = PostgresServer(bindir)
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server
