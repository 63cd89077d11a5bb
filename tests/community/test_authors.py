"""Authors: the name normalisation (case, accents, "Surname, Given", suffixes; initials kept),
the author page (its papers, spellings, related names, the ambiguity said), links to it from
lists, paper pages and `author:` searches, and following (signed in, CSRF, 429)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from lxml import html

from paperwire.community.authors import (
    ambiguity_note,
    author_key,
    author_links,
    related_names,
    spellings,
)
from paperwire.index.manager import update_index
from paperwire.settings import Settings
from paperwire.store import Store
from paperwire.store.papers import upsert_records
from paperwire.store.subscriptions import list_subscriptions
from paperwire.web import authors
from tests.support.community_kit import LATEST, act_as, arxiv


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Ada Lovelace", "ada-lovelace"),
        ("ADA LOVELACE", "ada-lovelace"),  # case
        ("Lovelace, Ada", "ada-lovelace"),  # "Surname, Given"
        ("Zoë Ørsted", "zoe-orsted"),  # accents and letters like ø
        ("Łukasz Kaiser", "lukasz-kaiser"),
        ("Martin Luther King, Jr.", "martin-luther-king"),  # suffixes dropped
        ("O'Brien, Pat", "pat-obrien"),
        ("A. Lovelace", "a-lovelace"),  # initials kept: not merged into "ada-lovelace"
        ("Plato", "plato"),
        ("... —", ""),
    ],
)
def test_author_key(name: str, key: str) -> None:
    assert author_key(name) == key


def test_links_escape_names_and_cut_long_lists() -> None:
    out = str(author_links(['<b>Evil</b> "x"', "Ada Lovelace", "—"], limit=8))
    assert '<a href="/author/b-evil-b-x">&lt;b&gt;Evil&lt;/b&gt; &#34;x&#34;</a>' in out
    assert out.endswith(", —")  # a name without letters is text, not a link
    many = str(author_links([f"Person {chr(65 + i)}" for i in range(10)], limit=3))
    assert many.count("<a ") == 3 and many.endswith(" and 7 more")


def test_spellings_related_and_note() -> None:
    lists = [
        ["Ada Lovelace", "Charles Babbage"],
        ["Lovelace, Ada"],
        ["A. Lovelace"],
        ["Ada K. Lovelace"],
        ["Bob Lovelace"],
    ]
    spelled = spellings("ada-lovelace", lists)
    assert [(s.name, s.papers) for s in spelled] == [("Ada Lovelace", 1), ("Lovelace, Ada", 1)]
    related = related_names("ada-lovelace", lists)
    assert [r.key for r in related] == ["a-lovelace", "ada-k-lovelace"]  # not bob-lovelace
    note = ambiguity_note(2, spelled)
    assert note.startswith("2 papers under this name; it may cover several people")
    assert "spelled 2 ways" in note


def test_author_page(client: TestClient) -> None:
    r = client.get("/author/ada-lovelace")
    assert r.status_code == 200
    tree = html.fromstring(r.text)
    assert tree.findtext(".//h1") == "Ada Lovelace"
    note = tree.xpath('string(//p[contains(@class, "author-note")])')
    assert re.match(r"\d+ papers under this name; it may cover several people", note), note
    assert len(tree.xpath('//ol[@class="papers"]/li')) >= 8
    # Anonymous: a sign-in link, no follow form.
    assert tree.xpath('//a[starts-with(@href, "/signin?next=/author/ada-lovelace")]')
    assert not tree.xpath('//form[@class="follow"]')


def test_other_spellings_redirect_to_the_normal_key(client: TestClient) -> None:
    for raw in ("Lovelace,%20Ada", "ADA%20LOVELACE", "ada%20lovelace"):
        r = client.get(f"/author/{raw}", follow_redirects=False)
        assert r.status_code == 301 and r.headers["location"] == "/author/ada-lovelace", raw
    assert client.get("/author/%20...").status_code == 404
    assert client.get("/author/" + "a" * 400).status_code == 400


def test_names_link_to_author_pages(client: TestClient) -> None:
    listing = client.get("/").text
    assert '<a href="/author/ada-lovelace">Ada Lovelace</a>' in listing
    paper = client.get("/paper/2607.00021").text  # "Zoë Ørsted", "Tom and Jerry"
    assert '<a href="/author/zoe-orsted">Zoë Ørsted</a>' in paper
    found = client.get("/search", params={"q": 'author:"Ada Lovelace"'}).text
    tree = html.fromstring(found)
    assert tree.xpath('//p[@class="author-pages"]/a[@href="/author/ada-lovelace"]')
    assert not html.fromstring(client.get("/search?q=graphs").text).xpath(
        '//p[@class="author-pages"]'
    )


def test_follow_needs_sign_in_and_csrf(client: TestClient, settings: Settings) -> None:
    anon = act_as(client, settings, None)
    r = client.post(
        "/author/ada-lovelace/follow", data={"csrf_token": anon.csrf}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/signin?next=")
    act_as(client, settings, "nocsrf@example.org")
    r = client.post("/author/ada-lovelace/follow", data={}, follow_redirects=False)
    assert r.status_code == 403


def test_follow_and_unfollow(client: TestClient, settings: Settings, site_store: Store) -> None:
    me = act_as(client, settings, "fan@example.org")
    assert me.user is not None
    page = client.get("/author/ada-lovelace").text
    assert '<form class="follow"' in page and 'aria-pressed="false"' in page
    data = {"csrf_token": me.csrf, "action": "follow"}
    # Followed under another spelling: the same normal key is stored.
    r = client.post("/author/Lovelace,%20Ada/follow", data=data, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/author/ada-lovelace"
    subs = list_subscriptions(site_store, me.user.id)
    assert [(s.kind, s.query) for s in subs] == [("author", "ada-lovelace")]
    page = client.get("/author/ada-lovelace").text
    assert 'aria-pressed="true"' in page and "daily digest" in page
    prefs = client.get("/account/subscriptions").text
    assert '<a href="/author/ada-lovelace">ada-lovelace</a>' in prefs
    client.post("/author/ada-lovelace/follow", data={**data, "action": "unfollow"})
    assert list_subscriptions(site_store, me.user.id) == []
    bad = client.post("/author/ada-lovelace/follow", data={**data, "action": "spam"})
    assert bad.status_code == 400


def test_follow_is_rate_limited(client: TestClient, settings: Settings) -> None:
    me = act_as(client, settings, "busy@example.org")
    data = {"csrf_token": me.csrf, "action": "follow"}
    codes = [
        client.post("/author/ada-lovelace/follow", data=data, follow_redirects=False).status_code
        for _ in range(authors.FOLLOW_LIMIT[0] + 1)
    ]
    assert codes[:-1] == [303] * authors.FOLLOW_LIMIT[0] and codes[-1] == 429


def test_a_new_paper_shows_once_indexed(client: TestClient, site_store: Store) -> None:
    before = client.get("/author/grace-brewster-hopper").text
    assert "0 papers under this name" in before
    upsert_records(site_store, [arxiv(90, LATEST, authors=["Hopper, Grace Brewster"])])
    update_index(site_store, client.app.state.site.index)  # type: ignore[attr-defined]
    after = client.get("/author/grace-brewster-hopper").text
    assert "1 paper under this name" in after and "2607.00090" in after


def test_reply_notice_setting(client: TestClient, settings: Settings, site_store: Store) -> None:
    """On by default; switched off and on at /account/subscriptions (CSRF, signed in)."""
    from paperwire.store.replies import notify_replies

    me = act_as(client, settings, "replies@example.org")
    assert me.user is not None and notify_replies(site_store, me.user.id)
    page = client.get("/account/subscriptions").text
    assert "Replies to your comments" in page and "On: your digest tells you" in page
    assert client.post("/account/replies", data={"on": "0"}).status_code == 403  # no CSRF
    r = client.post(
        "/account/replies", data={"csrf_token": me.csrf, "on": "0"}, follow_redirects=False
    )
    assert r.status_code == 303 and not notify_replies(site_store, me.user.id)
    assert "Off: your digest does not tell you" in client.get(r.headers["location"]).text
    client.post("/account/replies", data={"csrf_token": me.csrf, "on": "1"})
    assert notify_replies(site_store, me.user.id)
    anon = act_as(client, settings, None)
    r = client.post(
        "/account/replies", data={"csrf_token": anon.csrf, "on": "1"}, follow_redirects=False
    )
    assert (r.status_code, r.headers.get("location", "")[:7]) == (303, "/signin"), r.text[:200]
