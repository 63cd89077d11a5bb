"""Votes through the site: one per account per paper, counts on lists and the paper page,
CSRF, rate limits, the sign-in redirect, htmx fragments and safe `next` paths."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from paperwire.settings import Settings
from paperwire.store import Store
from paperwire.store.papers import find_paper
from paperwire.store.users import create_user
from paperwire.store.votes import add_vote, remove_vote, set_vote, vote_state
from paperwire.web import auth
from tests.support.community_kit import act_as, form_token


def vote(client: TestClient, token: str, paper: str, action: str = "toggle", **kw: str) -> object:
    data = {"csrf_token": token, "paper": paper, "action": action, **kw}
    return client.post("/vote", data=data, follow_redirects=False)


def count_on(html: str, paper_id: str) -> tuple[int, bool | None]:
    """(votes, pressed) of the vote control of one paper on a page (None: a sign-in link)."""
    form = re.search(
        r'<form class="vote"[^>]*>(?:(?!</form>).)*?name="paper" value="'
        + re.escape(paper_id)
        + r'".*?aria-pressed="(true|false)".*?<span class="votes">(\d+)</span>',
        html,
        re.S,
    )
    if form:
        return int(form.group(2)), form.group(1) == "true"
    link = re.search(
        r'<a class="vote" href="/signin\?next=/paper/'
        + re.escape(paper_id)
        + r'"[^>]*>▲ <span class="votes">(\d+)</span>',
        html,
    )
    assert link, f"no vote control for {paper_id}"
    return int(link.group(1)), None


def test_vote_toggles_and_counts_one_per_account(client: TestClient, settings: Settings) -> None:
    alice = act_as(client, settings, "alice-votes@example.org")
    r = vote(client, alice.csrf, "2607.00001")
    assert r.status_code == 303 and r.headers["location"] == "/paper/2607.00001"
    assert count_on(client.get("/paper/2607.00001").text, "2607.00001") == (1, True)
    vote(client, alice.csrf, "2607.00001", "vote")  # again: still one vote
    assert count_on(client.get("/paper/2607.00001").text, "2607.00001") == (1, True)

    bob = act_as(client, settings, "bob-votes@example.org")
    vote(client, bob.csrf, "2607.00001", "vote")
    assert count_on(client.get("/paper/2607.00001").text, "2607.00001") == (2, True)
    vote(client, bob.csrf, "2607.00001")  # toggle: undo
    assert count_on(client.get("/paper/2607.00001").text, "2607.00001") == (1, False)

    act_as(client, settings, None)
    assert count_on(client.get("/paper/2607.00001").text, "2607.00001") == (1, None)


def test_counts_on_list_and_search_pages(client: TestClient, settings: Settings) -> None:
    carol = act_as(client, settings, "carol-votes@example.org")
    vote(client, carol.csrf, "2607.00003", "vote")
    vote(client, carol.csrf, "hep-th/9901001", "vote")
    day = client.get("/day/2026-07-01").text
    assert count_on(day, "2607.00003") == (1, True)
    assert count_on(day, "2607.00004") == (0, False)
    assert count_on(client.get("/search?q=strings").text, "hep-th/9901001") == (1, True)
    act_as(client, settings, None)
    anonymous = client.get("/day/2026-07-01")
    assert count_on(anonymous.text, "2607.00003") == (1, None)
    assert auth.CSRF_COOKIE not in anonymous.headers.get("set-cookie", "")  # no token signed


def test_old_style_and_versioned_ids(client: TestClient, settings: Settings) -> None:
    dave = act_as(client, settings, "dave-votes@example.org")
    r = vote(client, dave.csrf, "2607.00005v1", "vote")
    assert r.headers["location"] == "/paper/2607.00005"
    assert count_on(client.get("/paper/2607.00005").text, "2607.00005") == (1, True)
    assert vote(client, dave.csrf, "no-such-paper").status_code == 404


def test_anonymous_vote_goes_to_sign_in(client: TestClient, settings: Settings) -> None:
    anon = act_as(client, settings, None)
    r = vote(client, anon.csrf, "hep-th/9901001")
    assert r.status_code == 303
    assert r.headers["location"] == "/signin?next=/paper/hep-th/9901001"
    htmx = client.post(
        "/vote",
        data={"csrf_token": anon.csrf, "paper": "hep-th/9901001"},
        headers={"HX-Request": "true"},
        follow_redirects=False,
    )
    assert htmx.headers["HX-Redirect"] == "/signin?next=/paper/hep-th/9901001"


def test_csrf_missing_or_forged_is_refused(
    client: TestClient, settings: Settings, site_store: Store
) -> None:
    erin = act_as(client, settings, "erin-votes@example.org")
    assert erin.user is not None
    missing = client.post("/vote", data={"paper": "2607.00002"}, follow_redirects=False)
    assert missing.status_code == 403
    forged = auth.serializer(Settings(home=settings.home_dir, secret_key="x" * 40), "csrf")
    r = vote(client, forged.dumps(client.cookies[auth.CSRF_COOKIE]), "2607.00002")
    assert r.status_code == 403
    other = auth.serializer(settings, "session").dumps(client.cookies[auth.CSRF_COOKIE])
    assert vote(client, other, "2607.00002").status_code == 403  # a token for another purpose
    assert vote_state(site_store, ["2607.00002"], erin.user.id) == {}


def test_a_page_form_token_works(client: TestClient, settings: Settings) -> None:
    act_as(client, settings, "frank-votes@example.org")
    client.cookies.delete(auth.CSRF_COOKIE)
    page = client.get("/paper/2607.00004")
    token = form_token(page.text)
    assert auth.CSRF_COOKIE in page.headers["set-cookie"]
    r = vote(client, token, "2607.00004", "vote", next="/day/2026-07-01?page=1")
    assert r.status_code == 303 and r.headers["location"] == "/day/2026-07-01?page=1"


@pytest.mark.parametrize(
    "evil", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x", ""]
)
def test_next_must_be_a_same_site_path(client: TestClient, settings: Settings, evil: str) -> None:
    grace = act_as(client, settings, "grace-votes@example.org")
    r = vote(client, grace.csrf, "2607.00011", next=evil)
    assert r.headers["location"] == "/paper/2607.00011"


def test_htmx_gets_the_button(client: TestClient, settings: Settings) -> None:
    heidi = act_as(client, settings, "heidi-votes@example.org")
    r = client.post(
        "/vote",
        data={"csrf_token": heidi.csrf, "paper": "2607.00012", "action": "vote", "next": "/"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<form class="vote"') and "<html" not in r.text
    assert 'aria-pressed="true"' in r.text and 'value="unvote"' in r.text
    assert count_on(r.text, "2607.00012") == (1, True)
    assert 'name="next" value="/"' in r.text


def test_bad_action_is_400(client: TestClient, settings: Settings) -> None:
    ivan = act_as(client, settings, "ivan-votes@example.org")
    assert vote(client, ivan.csrf, "2607.00001", "downvote").status_code == 400


def test_rate_limit(client: TestClient, settings: Settings) -> None:
    judy = act_as(client, settings, "judy-votes@example.org")
    codes = [vote(client, judy.csrf, "2607.00002").status_code for _ in range(61)]
    assert codes[:60] == [303] * 60
    assert codes[60] == 429


# --- the store -------------------------------------------------------------------------------


def test_store_votes(site_store: Store) -> None:
    a, _ = create_user(site_store, "store-a@example.org")
    b, _ = create_user(site_store, "store-b@example.org")
    pk, _ = find_paper(site_store, "2607.00010")
    assert add_vote(site_store, a.id, pk, created=datetime(2026, 7, 1, tzinfo=UTC))
    assert not add_vote(site_store, a.id, pk)
    assert set_vote(site_store, b.id, pk) == (True, 2)
    assert set_vote(site_store, b.id, pk) == (False, 1)
    assert vote_state(site_store, ["2607.00010", "2607.00014"], a.id) == {"2607.00010": (1, True)}
    assert vote_state(site_store, ["2607.00010"], None) == {"2607.00010": (1, False)}
    assert remove_vote(site_store, a.id, pk) and not remove_vote(site_store, a.id, pk)


def test_a_page_asks_for_its_votes_once(client: TestClient, settings: Settings) -> None:
    """Vote counts for all papers of a page (and the user's own votes) in one query."""
    from sqlalchemy import event

    store: Store = client.app.state.site.store  # type: ignore[attr-defined]
    seen: list[str] = []

    def count(_conn: object, _cur: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        for who in (None, "once-votes@example.org"):
            act_as(client, settings, who)
            for url in ("/day/2026-07-01", "/search?q=attention", "/paper/2607.00001"):
                seen.clear()
                assert client.get(url).status_code == 200
                assert sum("votes" in s for s in seen) == 1, (who, url, seen)
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
