from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from httpserver import RecordedServer, Route

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PAPERWIRE_SHARED", REPO.parent / "shared"))
DATA = SHARED / "data"
FIXTURES = DATA / "fixtures"


def need(path: Path) -> Path:
    """A path under ../shared, or a skip naming it (a user's clone has no ../shared)."""
    if not path.exists():
        pytest.skip(f"needs {path}")
    return path


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
