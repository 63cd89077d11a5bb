"""The JSON API's list options (order, category chips, has code, the signed-in user's rules)
and what each listed paper carries (external signals, comment count, the "for you" reason),
through the real app over a real SQLite store and a saved index (tests/support/listsweb.py)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from paperwire.settings import Settings
from paperwire.store import Store
from paperwire.store.comments import add_comment
from paperwire.store.rules import add_rule
from paperwire.store.seeds import seed_bookmarks
from paperwire.store.users import create_user
from tests.support.listsweb import BOOSTED, CODE, lists_corpus, make_home, sign_in
from tests.support.recsdata import LATEST, pk_of, topic_of

API_DAY = f"/api/v1/days/{LATEST.isoformat()}"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_home(tmp_path_factory.mktemp("lists-api"), lists_corpus())


def get(client: TestClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.text[:500]
    return response.json()


def numbers(body: dict[str, Any]) -> list[int]:
    return [int(p["id"].split(".")[1]) for p in body["papers"]]


def test_top_order_and_the_external_signal(client: TestClient) -> None:
    plain = get(client, API_DAY)
    assert plain["order"] == "all" and numbers(plain) == sorted(numbers(plain))
    top = get(client, f"{API_DAY}?order=top")
    assert top["order"] == "top" and numbers(top)[:2] == [BOOSTED, CODE]
    assert "ln(1 + H)" in top["note"]
    boosted = top["papers"][0]
    assert boosted["signals"] == [
        {"source": "hf-daily", "label": "HF", "upvotes": 50, "submitter": "Ada <b>Lovelace</b>"}
    ]
    assert boosted["top_score"] == pytest.approx(3.9318, abs=1e-3)
    assert top["papers"][2]["signals"] == []
    # Not remembered: the API's default stays the listing order after an order=top.
    assert get(client, API_DAY)["order"] == "all"


def test_category_chips_and_code(client: TestClient) -> None:
    body = get(client, f"{API_DAY}?cat=cs.CL&cat=cs.RO&order=top")
    assert body["filters"] == {"categories": ["cs.CL", "cs.RO"], "has_code": False, "rules": True}
    assert body["papers"] and {topic_of(n) for n in numbers(body)} == {"language", "robot"}
    assert numbers(get(client, f"{API_DAY}?code=1")) == [CODE]
    week = get(client, f"/api/v1/weeks/{LATEST.isoformat()}?cat=quant-ph")
    assert {topic_of(n) for n in numbers(week)} == {"quantum"}
    trending = get(client, "/api/v1/trending?period=week&cat=cs.CL")
    assert {topic_of(n) for n in numbers(trending)} == {"language"}
    month = get(client, "/api/v1/months/2026-07?order=top&code=1")
    assert month["order"] == "all" and numbers(month) == [CODE]  # months: listing order


def test_comment_counts(client: TestClient, store: Store) -> None:
    author = create_user(store, "talker@example.org")[0]
    paper = f"2607.{CODE:05d}"
    for text in ("first", "second"):
        add_comment(store, paper_pk=pk_of(store, CODE), user_id=author.id, body=text)
    body = get(client, f"{API_DAY}?code=1")
    assert body["papers"][0]["comment_count"] == 2
    assert all(p["comment_count"] == 0 for p in get(client, API_DAY)["papers"] if p["id"] != paper)


def test_the_signed_in_users_rules_apply_unless_off(
    client: TestClient, settings: Settings, store: Store
) -> None:
    uid = sign_in(client, settings, store, "api-rules@example.org")
    add_rule(store, uid, "exclude", "galaxy")
    ruled = get(client, API_DAY)
    assert ruled["hidden_by_rules"] > 0 and ruled["filters"]["rules"] is True
    texts = [f"{p['title']} {p['abstract']}".lower() for p in ruled["papers"]]
    assert texts and not any("galaxy" in t for t in texts)
    everything = get(client, f"{API_DAY}?rules=off")
    assert everything["filters"]["rules"] is False and everything["hidden_by_rules"] == 0
    assert len(numbers(everything)) == len(numbers(ruled)) + ruled["hidden_by_rules"] == 20
    client.cookies.clear()  # anonymous: nobody's rules
    assert len(numbers(get(client, API_DAY))) == 20


def test_for_you_needs_a_user_and_carries_reasons(
    client: TestClient, settings: Settings, store: Store
) -> None:
    error = get(client, f"{API_DAY}?order=foryou", 401)["error"]
    assert error["status"] == 401 and "signed-in" in error["message"]
    uid = sign_in(client, settings, store, "api-foryou@example.org")
    fresh = get(client, f"{API_DAY}?order=foryou")
    assert fresh["onboarding"] is True and all(p["reason"] is None for p in fresh["papers"])
    seed_bookmarks(store, uid, [pk_of(store, n) for n in (162, 163, 164)])  # quantum papers
    body = get(client, f"{API_DAY}?order=foryou")
    assert body["order"] == "foryou" and body["onboarding"] is False
    order = numbers(body)
    assert {topic_of(n) for n in order[:4]} == {"quantum"}
    assert all(p["reason"] and "close to" in p["reason"] for p in body["papers"])
    assert body["papers"][0]["score"] >= body["papers"][-1]["score"]


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("order=best", "order"),
        ("cat=%3Cscript%3E", "cat"),
        ("code=2", "code"),
        ("rules=maybe", "rules"),
        ("&".join(f"cat=c{i}" for i in range(21)), "cat"),
    ],
)
def test_bad_list_options_are_400(client: TestClient, query: str, needle: str) -> None:
    error = get(client, f"{API_DAY}?{query}", 400)["error"]
    assert needle in str(error["detail"]) + error["message"]
