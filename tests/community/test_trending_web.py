"""The trending page, its feed and /api/v1/trending: by votes when a period has some, the
recency listing (said so on the page) when it has none. (This module's own store.)"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from paperwire.settings import Settings
from paperwire.store import Store
from paperwire.store.papers import find_paper
from paperwire.store.users import create_user
from paperwire.store.votes import add_vote
from paperwire.web.data import TRENDING_FALLBACK_NOTE, TRENDING_FORMULA, TRENDING_NOTE
from tests.support.community_kit import act_as


def listed(html: str) -> list[str]:
    return [unquote(u) for u in re.findall(r'<h2 class="title tex"><a href="/paper/([^"]+)"', html)]


def test_without_votes_trending_is_by_recency_and_says_so(client: TestClient) -> None:
    html = client.get("/trending?period=week").text
    assert "There are no community votes yet in this period" in html
    assert listed(html)[:5] == [f"2607.0000{i}" for i in range(1, 6)]
    body = client.get("/api/v1/trending").json()
    assert body["note"] == TRENDING_FALLBACK_NOTE and TRENDING_FORMULA in body["note"]
    assert body["papers"][0].get("score") is None


@pytest.fixture(scope="module")
def voted(client: TestClient) -> None:
    """Votes at known ages: 2607.00012 has two this week, 2607.00020 one today,
    hep-th/9901001 one 10 days ago (month only)."""
    store: Store = client.app.state.site.store  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    a, _ = create_user(store, "trend-a@example.org")
    b, _ = create_user(store, "trend-b@example.org")
    for user, paper, days in (
        (a, "2607.00012", 2.0),
        (b, "2607.00012", 2.5),
        (a, "2607.00020", 0.1),
        (a, "hep-th/9901001", 10.0),
    ):
        add_vote(store, user.id, find_paper(store, paper)[0], created=now - timedelta(days=days))


@pytest.mark.usefixtures("voted")
def test_trending_by_votes(client: TestClient, settings: Settings) -> None:
    week = client.get("/trending?period=week").text
    assert listed(week) == ["2607.00012", "2607.00020"]
    assert "recent votes counting most" in week and "half-life = 1 day" in week
    assert listed(client.get("/trending?period=month").text) == [
        "2607.00012",
        "2607.00020",
        "hep-th/9901001",
    ]
    assert listed(client.get("/trending?period=day").text) == ["2607.00020"]

    api = client.get("/api/v1/trending?period=week").json()
    assert api["note"] == TRENDING_NOTE
    assert [p["id"] for p in api["papers"]] == ["2607.00012", "2607.00020"]
    first, second = api["papers"]
    assert first["votes"] == 2 and second["votes"] == 1
    assert first["score"] == pytest.approx(0.5 ** (2 / 3) + 0.5 ** (2.5 / 3), abs=1e-3)
    assert second["score"] == pytest.approx(0.5 ** (0.1 / 3), abs=1e-3)
    assert api["pagination"]["total"] == 2
    assert client.get("/trending?period=week&page=2").status_code == 404

    feed = client.get("/trending/feed.atom?period=month").text
    assert feed.index("/paper/2607.00012") < feed.index("/paper/hep-th/9901001")

    act_as(client, settings, "trend-a@example.org")  # a voter sees their votes pressed
    week = client.get("/trending?period=week").text
    assert 'name="paper" value="2607.00020"' in week and 'aria-pressed="true"' in week
