"""The list pages' orders (top, all, for you), filters (category chips, has code, keyword
rules), external signals and the "for you" onboarding, through the real app (FastAPI
TestClient) over a real SQLite store and a saved index with HashEncoder vectors (recsdata's
five topics, each in its own category here)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from paperwire.digest.build import DigestBuilder
from paperwire.index.manager import open_index
from paperwire.settings import Settings
from paperwire.store import Store
from paperwire.store.rules import add_rule
from paperwire.store.subscriptions import add_subscription
from paperwire.store.users import create_user
from tests.support import listsweb
from tests.support.listsweb import (
    BOOSTED,
    CODE,
    DAY,
    lists_corpus,
    make_home,
    numbers,
    sign_in,
)
from tests.support.recsdata import LATEST, pk_of, topic_of, vote


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_home(tmp_path_factory.mktemp("lists-foryou"), lists_corpus())


def csrf(client: TestClient, url: str = "/account/filters") -> str:
    return listsweb.csrf(client, url)


def text_of(store: Store, n: int) -> str:
    from paperwire.store.reading import papers_by_pk

    pk = pk_of(store, n)
    row = papers_by_pk(store, [pk], columns=["title", "abstract"])[pk]
    return f"{row['title']} {row['abstract']}".lower()


# --- orders and signals ----------------------------------------------------------------------


def test_listing_order_is_the_default_and_top_is_remembered(client: TestClient) -> None:
    listed = client.get(DAY)
    assert listed.status_code == 200
    order = numbers(listed.text)
    assert order == sorted(order) and len(order) == 20  # listing order: by id within the day
    top = client.get(f"{DAY}?order=top")
    assert top.status_code == 200
    assert "pw_order=top" in top.headers["set-cookie"]
    ranked = numbers(top.text)
    # 50 HF upvotes: ln(51) = 3.9; code: 0.5; then the rest by id.
    assert ranked[:2] == [BOOSTED, CODE]
    assert "score = V + ln(1 + H) + 0.5 × C" in top.text
    again = client.get(DAY)  # the cookie remembers "top"
    assert numbers(again.text) == ranked
    assert numbers(client.get(f"{DAY}?order=all").text) == order
    assert numbers(client.get(DAY).text) == order


def test_external_signal_is_shown_apart_from_our_votes(client: TestClient) -> None:
    page = client.get(f"{DAY}?order=top").text
    item = page[page.index(f"2607.{BOOSTED:05d}") :]
    item = item[: item.index("<article", 10)]
    assert "HF ▲ 50" in item
    assert '<span class="votes">0</span>' in item  # our own count stays ours
    assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in item and "<b>Lovelace" not in item


def test_bad_list_options_are_clear_errors(client: TestClient) -> None:
    assert client.get(f"{DAY}?order=best").status_code == 400
    assert "is not one of: top, all, foryou" in client.get(f"{DAY}?order=best").text
    assert client.get(f"{DAY}?cat=%3Cscript%3E").status_code == 400
    many = "&".join(f"cat=c{i}" for i in range(21))
    assert client.get(f"{DAY}?{many}").status_code == 400
    assert client.get(f"{DAY}?code=2").status_code == 400
    assert client.get(f"{DAY}?rules=maybe").status_code == 400


# --- filters ---------------------------------------------------------------------------------


def test_category_chips_narrow_the_list_and_stay_in_the_url(client: TestClient) -> None:
    page = client.get(f"{DAY}?cat=cs.CL&cat=cs.RO").text
    found = numbers(page)
    assert found and {topic_of(n) for n in found} == {"language", "robot"}
    assert 'class="chip on"' in page
    week = client.get(f"/week/{LATEST.isoformat()}?cat=quant-ph&order=top")
    assert week.status_code == 200
    assert "cat=quant-ph" in week.text  # the pager and chips keep the filter
    assert {topic_of(n) for n in numbers(week.text)} == {"quantum"}


def test_has_code_filter(client: TestClient) -> None:
    assert numbers(client.get(f"{DAY}?code=1").text) == [CODE]


def test_keyword_rules_hide_papers_and_can_be_shown(
    client: TestClient, settings: Settings, store: Store
) -> None:
    sign_in(client, settings, store, "rules@example.org")
    token = csrf(client)
    saved = client.post(
        "/account/filters",
        data={"csrf_token": token, "kind": "exclude", "keyword": "Galaxy"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert "<code>galaxy</code>" in client.get("/account/filters").text
    page = client.get(DAY).text
    shown = numbers(page)
    assert shown and not any("galaxy" in text_of(store, n) for n in shown)
    assert "hidden by" in page
    hidden = int(re.search(r"(\d+) hidden by", page)[1])  # type: ignore[index]
    everything = numbers(client.get(f"{DAY}?rules=off").text)
    assert len(everything) == len(shown) + hidden == 20


def test_saved_chips_and_has_code_narrow_the_lists(
    client: TestClient, settings: Settings, store: Store
) -> None:
    sign_in(client, settings, store, "chips@example.org")
    token = csrf(client)
    for form in (
        {"kind": "chip", "category": "cs.RO"},
        {"kind": "chip", "category": "astro-ph.GA"},
    ):
        saved = client.post(
            "/account/filters", data={"csrf_token": token, **form}, follow_redirects=False
        )
        assert saved.status_code == 303
    page = client.get("/account/filters").text
    assert "<code>cs.RO</code>" in page and "Only papers with code" in page
    found = numbers(client.get(DAY).text)
    assert found and {topic_of(n) for n in found} == {"robot", "galaxy"}
    # Chips picked on the list replace the saved ones there; rules=off shows everything.
    assert {topic_of(n) for n in numbers(client.get(f"{DAY}?cat=cs.CL").text)} == {"language"}
    assert len(numbers(client.get(f"{DAY}?rules=off").text)) == 20
    client.post("/account/filters", data={"csrf_token": token, "kind": "code"})
    assert numbers(client.get(DAY).text) == [CODE]
    assert "Only papers with code" not in client.get("/account/filters").text
    bad = client.post(
        "/account/filters", data={"csrf_token": token, "kind": "chip", "category": "<b>x"}
    )
    assert bad.status_code == 400 and "<b>x" not in bad.text


def test_bad_rules_keep_what_was_typed(
    client: TestClient, settings: Settings, store: Store
) -> None:
    sign_in(client, settings, store, "badrule@example.org")
    token = csrf(client)
    short = client.post("/account/filters", data={"csrf_token": token, "keyword": "x"})
    assert short.status_code == 400 and "2 to 100 characters" in short.text
    hostile = "<script>alert(1)</script>" * 10
    long = client.post("/account/filters", data={"csrf_token": token, "keyword": hostile})
    assert long.status_code == 400 and "<script>alert(1)" not in long.text
    assert "&lt;script&gt;" in long.text  # what was typed is still in the field, escaped
    assert client.post("/account/filters", data={"keyword": "galaxy"}).status_code == 403
    kind = client.post(
        "/account/filters", data={"csrf_token": token, "kind": "drop", "keyword": "ab"}
    )
    assert kind.status_code == 400


def test_another_users_rule_cannot_be_deleted(
    client: TestClient, settings: Settings, store: Store
) -> None:
    owner = create_user(store, "owner@example.org")[0]
    add_rule(store, owner.id, "exclude", "protein")
    from paperwire.store.rules import get_rules

    rule_id = get_rules(store, owner.id).listed[0].id
    sign_in(client, settings, store, "intruder@example.org")
    token = csrf(client)
    client.post(f"/account/filters/{rule_id}/delete", data={"csrf_token": token})
    assert [r.value for r in get_rules(store, owner.id).listed] == ["protein"]


def test_rule_writes_are_rate_limited(client: TestClient, settings: Settings, store: Store) -> None:
    sign_in(client, settings, store, "flood@example.org")
    token = csrf(client)
    codes = [
        client.post(
            "/account/filters/999999/delete", data={"csrf_token": token}, follow_redirects=False
        ).status_code
        for _ in range(61)
    ]
    assert codes[:60] == [303] * 60 and codes[60] == 429


# --- for you ---------------------------------------------------------------------------------


def test_onboarding_with_pasted_ids_orders_the_day_for_the_user(
    client: TestClient, settings: Settings, store: Store
) -> None:
    sign_in(client, settings, store, "newcomer@example.org")
    before = client.get(f"{DAY}?order=foryou").text
    assert "/for-you/start" in before and 'class="reason"' not in before
    token = csrf(client, "/for-you/start")
    liked = [
        f"2607.{n:05d}" for n in (162, 163, 164)
    ]  # quantum papers (161..200), not of the latest day
    done = client.post(
        "/for-you/start",
        data={
            "csrf_token": token,
            "ids": "\n".join(liked) + ", https://arxiv.org/abs/2607.00165v2",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/?order=foryou"
    page = client.get(f"{DAY}?order=foryou").text
    order = numbers(page)
    assert len(order) == 20 and order != sorted(order)
    assert {topic_of(n) for n in order[:4]} == {"quantum"}  # the day's 4 quantum papers first
    assert page.count('class="reason"') == 20 and "Why: close to “" in page
    assert "Seed papers" in client.get("/collections").text


def test_onboarding_categories_only_put_them_first(
    client: TestClient, settings: Settings, store: Store
) -> None:
    sign_in(client, settings, store, "cats@example.org")
    token = csrf(client, "/for-you/start")
    done = client.post(
        "/for-you/start",
        data={"csrf_token": token, "categories": ["cs.RO"]},
        follow_redirects=False,
    )
    assert done.status_code == 303
    order = numbers(client.get(f"{DAY}?order=foryou").text)
    assert {topic_of(n) for n in order[:4]} == {"robot"}


BIB = """@comment{exported}
@article{hep, title={Galaxy {Dark} matter}, eprint={2607.00081}, archivePrefix={arXiv}}
@misc{url, title = "x", url = {https://arxiv.org/abs/2607.00082v1}}
@inproceedings{title_only, title = {%s}, year = 2026}
@article{broken, title = {never closed
"""


def test_onboarding_with_a_bibtex_file(
    client: TestClient, settings: Settings, store: Store
) -> None:
    sign_in(client, settings, store, "bib@example.org")
    from paperwire.store.reading import papers_by_pk

    title = papers_by_pk(store, [pk_of(store, 83)], columns=["title"])[pk_of(store, 83)]["title"]
    token = csrf(client, "/for-you/start")
    upload = {"bibtex": ("refs.bib", (BIB % title.upper()).encode(), "text/x-bibtex")}
    done = client.post(
        "/for-you/start", data={"csrf_token": token}, files=upload, follow_redirects=False
    )
    assert done.status_code == 303, done.text[:500]
    collections = client.get("/collections").text
    assert "(3 papers)" in collections


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"x" * 2_000_001, "at most 2,000,000"),
        (b"\xff\xfe@article{a, title={x}}", "not UTF-8"),
        (b"just some text, no entries", "no BibTeX entries found"),
        (b"@article{a, title={Nothing here}, eprint={2999.99999}}", "none of the papers named"),
        (b"@article{" + b"{" * 200_000, "no BibTeX entries found"),
    ],
)
def test_bad_bibtex_files_are_clear_errors(
    client: TestClient, settings: Settings, store: Store, content: bytes, message: str
) -> None:
    sign_in(client, settings, store, "badbib@example.org")
    token = csrf(client, "/for-you/start")
    response = client.post(
        "/for-you/start",
        data={"csrf_token": token, "ids": "<script>x</script>"},
        files={"bibtex": ("refs.bib", content, "text/plain")},
    )
    assert response.status_code == 400 and message in response.text, response.text[-800:]
    assert "<script>x</script>" not in response.text  # the pasted text kept, escaped


def test_anonymous_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    for url in ("/account/filters", "/for-you/start"):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/signin")
    assert "Sign in to get this list ordered for you" in client.get(f"{DAY}?order=foryou").text


# --- the digest, page weight, queries -------------------------------------------------------


def test_exclude_rule_applies_to_the_digest(settings: Settings, store: Store) -> None:
    user = create_user(store, "digest-rules@example.org")[0]
    add_subscription(store, user.id, "trending")
    index = open_index(settings)
    plain = DigestBuilder(settings.model_copy(update={"digest_size": 50}), store, index, LATEST)
    titles = [p.title.lower() for s in plain.build(user).sections for p in s.papers]
    assert any("galaxy" in t for t in titles)
    add_rule(store, user.id, "exclude", "galaxy")
    ruled = DigestBuilder(settings.model_copy(update={"digest_size": 50}), store, index, LATEST)
    papers = [p for s in ruled.build(user).sections for p in s.papers]
    assert papers and not any("galaxy" in f"{p.title} {p.abstract}".lower() for p in papers)


def test_list_pages_do_not_query_per_paper(
    client: TestClient, settings: Settings, store: Store
) -> None:
    uid = sign_in(client, settings, store, "queries@example.org")
    for n in (1, 2):
        vote(store, uid, pk_of(store, n))
    add_rule(store, uid, "exclude", "lensing")
    engine = client.app.state.site.store.engine  # type: ignore[attr-defined]
    counts = {}
    for size_url in (f"{DAY}?order=foryou", f"/week/{LATEST.isoformat()}?order=foryou"):
        statements: list[str] = []

        def count(*args: object, seen: list[str] = statements) -> None:
            seen.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(size_url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        counts[size_url] = len(statements)
    # A day (20 papers) and a week (30 of 140 on the page) cost the same queries.
    day, week = counts.values()  # (the week also reads its days: one query more)
    assert week - day <= 1 and week < 40, counts


def test_page_weight_of_the_new_pages(client: TestClient, settings: Settings, store: Store) -> None:
    import gzip

    sign_in(client, settings, store, "weight@example.org")
    for url in (
        f"{DAY}?order=top&cat=cs.CL",
        f"/week/{LATEST.isoformat()}?order=foryou",
        "/for-you/start",
        "/account/filters",
    ):
        r = client.get(url)
        assert r.status_code == 200
        assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', r.text)
        sent = len(gzip.compress(r.content)) + sum(
            len(gzip.compress(client.get(a).content)) for a in assets
        )
        assert sent <= 60 * 1024, (url, sent)


def test_trending_takes_the_filters(client: TestClient, settings: Settings, store: Store) -> None:
    uid = create_user(store, "voter@example.org")[0].id
    for n in (1, 41, 121):  # protein, galaxy, robot
        vote(store, uid, pk_of(store, n))
    assert {1, 41, 121} <= set(numbers(client.get("/trending?period=week").text))
    page = client.get("/trending?period=week&cat=astro-ph.GA&cat=cs.RO").text
    assert {41, 121} <= set(numbers(page))
    assert {topic_of(n) for n in numbers(page)} == {"galaxy", "robot"}
    assert "period=week&amp;cat=astro-ph.GA" in page  # the chips keep the period
    assert set(numbers(client.get("/trending?period=week&code=1").text)) <= {CODE}
    # With no votes in the period (a day long ago is not the window: use the recency list).
    fallback = client.get("/trending?period=day&cat=cs.CL")
    assert fallback.status_code == 200
