"""A real SQLite store and index built from the papers of webdata.py, and an app over them
(through FastAPI's TestClient: the in-process ASGI transport, lifespan included)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paperwire.index.manager import open_index, update_index
from paperwire.settings import Settings
from paperwire.store import open_store
from paperwire.store.papers import upsert_records
from paperwire.web import create_app
from tests.support.webdata import records


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home: Path = tmp_path_factory.mktemp("web-home")
    settings = Settings(home=home)
    with open_store(settings) as store:
        upsert_records(store, records())
        update_index(store, open_index(settings))
    return settings


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client
