"""Fixtures of the community tests: a real store and index of community_kit's papers, and an
app over them (one per test module, so votes in one module do not move another's lists)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from paperwire.settings import Settings
from paperwire.store import Store
from paperwire.web import create_app
from tests.support.community_kit import make_settings


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("community-home"))


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def site_store(client: TestClient) -> Store:
    store: Store = client.app.state.site.store  # type: ignore[attr-defined]
    return store
