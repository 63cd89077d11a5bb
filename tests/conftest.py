from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from paperwire.store import Store, open_store
from tests.support.httpserver import RecordedServer, Route
from tests.support.mailserver import Capture, MailServer
from tests.support.milvus import MilvusServer
from tests.support.milvus import start_server as start_milvus
from tests.support.pg import PostgresServer, start_server
from tests.support.shared_data import DATA, FIXTURES, need


@pytest.fixture
def shared_data() -> Path:
    return need(DATA)


@pytest.fixture
def fixtures_dir() -> Path:
    return need(FIXTURES)


@pytest.fixture
def serve() -> Iterator[object]:
    """Start a RecordedServer for a route: `with serve(route) as srv: ... srv.url ...`."""
    servers: list[RecordedServer] = []

    def start(route: Route) -> RecordedServer:
        srv = RecordedServer(route)
        srv.__enter__()
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.__exit__(None, None, None)


# --- databases: one real PostgreSQL server per session (tests/support/pg.py), a fresh db a test


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server (skipped, or failed under PAPERWIRE_REQUIRE_POSTGRES=1,
    when Debian's postgresql is not installed)."""
    server = start_server()
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database: `postgresql+psycopg://postgres@127.0.0.1:<port>/<db>`."""
    name = pg_server.create_database()
    yield pg_server.url(name)
    pg_server.drop_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An opened (migrated) store on a fresh SQLite file or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'paperwire.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    opened = open_store(url=url)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def milvus_server() -> Iterator[MilvusServer]:
    """The session's Milvus server (milvus-lite on loopback, tests/support/milvus.py; skipped,
    or failed under PAPERWIRE_REQUIRE_MILVUS=1, when milvus-lite is not installed). Tests use
    their own collections: `milvus_server.url()` names a fresh one."""
    server = start_milvus()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mail_server() -> Iterator[MailServer]:
    """A real SMTP server on 127.0.0.1 that keeps what it accepts (tests/support/mailserver.py)."""
    server = MailServer().start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(mail_server: MailServer) -> Capture:
    """The captured messages, emptied for each test."""
    mail_server.capture.clear()
    return mail_server.capture
