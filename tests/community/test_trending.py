"""The trending score on real stores (SQLite and PostgreSQL): the formula, the period windows,
ties, paging; and a few thousand votes scored against a plain-Python recomputation."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from paperwire.community.trending import HALF_LIFE_DAYS, trending, window
from paperwire.errors import BadRequest
from paperwire.store import Store
from paperwire.store.papers import find_paper, upsert_records
from paperwire.store.users import create_user
from paperwire.store.votes import add_vote, add_votes
from tests.support.community_kit import records

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def filled(store: Store) -> Store:
    upsert_records(store, records())
    return store


def users(store: Store, n: int) -> list[int]:
    return [create_user(store, f"u{i}@example.org")[0].id for i in range(n)]


def pk(store: Store, paper_id: str) -> int:
    return find_paper(store, paper_id)[0]


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def test_score_is_the_decayed_sum_of_votes(filled: Store) -> None:
    u = users(filled, 3)
    a, b, c = pk(filled, "2607.00001"), pk(filled, "2607.00002"), pk(filled, "2607.00010")
    add_vote(filled, u[0], a, created=ago(1))
    add_vote(filled, u[1], a, created=ago(2))
    add_vote(filled, u[0], b, created=ago(0.01))
    add_vote(filled, u[0], c, created=ago(6.5))
    ranked, total = trending(filled, period="week", now=NOW)
    assert total == 3
    scores = dict(ranked)
    assert [p for p, _ in ranked] == [a, b, c]
    assert scores[a] == pytest.approx(0.5 ** (1 / 3) + 0.5 ** (2 / 3))
    assert scores[b] == pytest.approx(0.5 ** (0.01 / 3))
    assert scores[c] == pytest.approx(0.5 ** (6.5 / 3))


def test_periods_are_windows_ending_now(filled: Store) -> None:
    u = users(filled, 1)
    fresh, old, older = (pk(filled, i) for i in ("2607.00001", "2607.00002", "2607.00003"))
    add_vote(filled, u[0], fresh, created=ago(0.25))
    add_vote(filled, u[0], old, created=ago(1.25))  # outside "day"
    add_vote(filled, u[0], older, created=ago(10))  # outside "week", inside "month"
    add_vote(filled, u[0], pk(filled, "2607.00004"), created=ago(31))  # outside every period
    add_vote(filled, u[0], pk(filled, "2607.00005"), created=NOW + timedelta(hours=1))  # future
    day, n_day = trending(filled, period="day", now=NOW)
    assert [p for p, _ in day] == [fresh] and n_day == 1
    assert day[0][1] == pytest.approx(0.5**0.25)  # half-life 1 day
    week, _ = trending(filled, period="week", now=NOW)
    assert [p for p, _ in week] == [fresh, old]
    month, _ = trending(filled, period="month", now=NOW)
    assert [p for p, _ in month] == [fresh, old, older]
    assert dict(month)[older] == pytest.approx(0.5 ** (10 / HALF_LIFE_DAYS["month"]))
    # `day`: the period ending at the end of that day.
    assert [p for p, _ in trending(filled, period="day", day=date(2026, 6, 30))[0]] == [old]
    assert trending(filled, period="week", day=date(2026, 5, 1)) == ([], 0)


def test_ties_go_to_the_newer_paper_then_the_id(filled: Store) -> None:
    u = users(filled, 1)
    when = ago(1)
    for paper_id in ("2607.00011", "2607.00002", "2607.00001", "hep-th/9901001"):
        add_vote(filled, u[0], pk(filled, paper_id), created=when)
    ranked, total = trending(filled, period="week", now=NOW)
    ids = [pk(filled, i) for i in ("2607.00001", "2607.00002", "2607.00011", "hep-th/9901001")]
    assert [p for p, _ in ranked] == ids and total == 4
    page2, total2 = trending(filled, period="week", now=NOW, limit=2, offset=2)
    assert [p for p, _ in page2] == ids[2:] and total2 == 4
    assert trending(filled, period="week", now=NOW, limit=2, offset=4) == ([], 4)


def test_no_votes_no_trending(filled: Store) -> None:
    assert trending(filled, period="month", now=NOW) == ([], 0)
    with pytest.raises(BadRequest):
        window("year")


def test_thousands_of_votes_match_a_plain_recomputation(filled: Store) -> None:
    rng = random.Random(7)
    voters = users(filled, 300)
    papers = [pk(filled, f"2607.{n:05d}") for n in (1, 2, 3, 4, 5, 10, 11, 12, 20, 21)]
    rows, expected = [], dict.fromkeys(papers, 0.0)
    for user in voters:
        for paper in rng.sample(papers, 10):
            days = rng.uniform(0, 40)
            rows.append((user, paper, ago(days)))
            if days < 30:
                expected[paper] += 0.5 ** (days / HALF_LIFE_DAYS["month"])
    assert add_votes(filled, rows) == 3000
    ranked, total = trending(filled, period="month", now=NOW, limit=5)
    best = sorted(expected.items(), key=lambda kv: -kv[1])[:5]
    assert total == 10
    assert [p for p, _ in ranked] == [p for p, _ in best]
    for (_, got), (_, want) in zip(ranked, best, strict=True):
        assert got == pytest.approx(want, rel=1e-6)
