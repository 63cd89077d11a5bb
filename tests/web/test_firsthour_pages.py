"""What a new user notices first on the site (issue 16): listing-only papers without invented
dates, LaTeX text commands and links in abstracts, the API's index, the favicon, feed errors
in the feed's format, a bad saved search back on its form, and the trending wording."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from paperwire.index.manager import open_index, update_index
from paperwire.records import Version
from paperwire.settings import Settings
from paperwire.store import open_store
from paperwire.store.papers import upsert_records
from paperwire.store.users import create_user
from paperwire.web import auth, create_app
from tests.support.paperfactory import paper_record

ABSTRACT = (
    r"We \emph{merge} tokens with \textbf{no training}~\cite{bolya2023}. Code: "
    "https://github.com/example/tome. Not a link: javascript:alert(1)."
)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home: Path = tmp_path_factory.mktemp("firsthour-web")
    settings = Settings(home=home, secret_key="firsthour-web-test-key-0123456789abcdef")
    full = paper_record(
        title="Token merging for vision transformers",
        abstract=ABSTRACT,
        authors=["Ada Lovelace"],
        categories=["cs.CV"],
        arxiv_id="2601.00001",
        versions=[Version(1)],
        announced=date(2026, 1, 2),
        source="test",
    )
    listing = paper_record(
        title="Sparse attention from a listing page",
        abstract="Attention, sparsely.",
        source="listing-page",
    )
    with open_store(settings) as store:
        upsert_records(store, [full, listing])
        update_index(store, open_index(settings))
    return settings


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def test_listing_only_papers_carry_no_invented_date(client: TestClient) -> None:
    page = client.get("/search", params={"q": "sparse attention"}).text
    assert "from a listing page, date unknown" in page
    found = re.search(r'href="/paper/(title-[^"]+)"', page)
    assert found
    paper = client.get(f"/paper/{found.group(1)}").text
    assert "on a listing page, date unknown" in paper
    assert "<time" not in paper.split("<main", 1)[1].split("</dl>", 1)[0]


def test_latex_text_commands_and_links_in_abstracts(client: TestClient) -> None:
    full = client.get("/paper/2601.00001").text
    [page] = [p for p in full.split("</p>") if "<em>merge</em>" in p]  # the abstract
    assert "<em>merge</em>" in page and "<strong>no training</strong>" in page
    assert "\\emph" not in page and "\\cite" not in page and "bolya2023" not in page
    assert (
        '<a href="https://github.com/example/tome" rel="nofollow noopener ugc">'
        "https://github.com/example/tome</a>." in page
    )
    assert 'href="javascript:' not in full


def test_api_index_instead_of_404(client: TestClient) -> None:
    for path in ("/api/v1", "/api/v1/papers"):
        response = client.get(path)
        assert response.status_code == 200, path
        paths = [e["path"] for e in response.json()["endpoints"]]
        assert "/api/v1/search" in paths and "/api/v1/papers/{paper_id}" in paths
        assert response.json()["openapi"] == "/openapi.json"


def test_favicon_ico(client: TestClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.content.lstrip().startswith(b"<svg") or b"<svg" in response.content[:200]


def test_search_feed_with_a_bad_query_answers_a_feed(client: TestClient) -> None:
    for fmt, media in (("atom", "application/atom+xml"), ("rss", "application/rss+xml")):
        response = client.get(f"/search/feed.{fmt}", params={"q": '"unclosed'})
        assert response.status_code == 400
        assert response.headers["content-type"].startswith(media)
        root = etree.fromstring(response.content)
        assert "This search cannot run" in etree.tostring(root, encoding="unicode")


def test_trending_title_reads_well(client: TestClient) -> None:
    assert "Trending this day" not in client.get("/trending", params={"period": "day"}).text
    assert "Trending today" in client.get("/trending", params={"period": "day"}).text


def test_a_bad_saved_search_returns_to_the_form(client: TestClient, settings: Settings) -> None:
    with open_store(settings) as store:
        user, _ = create_user(store, "saver@example.org")
    token = auth.serializer(settings, "session").dumps({"u": user.id, "v": user.session_version})
    client.cookies.set(auth.SESSION_COOKIE, token)
    form = client.get("/account/subscriptions")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf
    response = client.post(
        "/account/subscriptions",
        data={"csrf_token": csrf.group(1), "kind": "search", "query": '"unclosed'},
    )
    assert response.status_code == 400
    assert 'role="alert"' in response.text and "That search cannot be saved" in response.text
    assert 'id="saved-query"' in response.text and 'value="&#34;unclosed"' in response.text
    client.cookies.clear()


def test_category_codes_with_names_and_counts_explained(client: TestClient) -> None:
    page = client.get("/categories").text
    assert "cs.CV — Computer Vision and Pattern Recognition" in page
    assert "cross-lists" in page and "primary" in page
    api = client.get("/api/v1/categories").json()
    assert {
        "category": "cs.CV",
        "name": "Computer Vision and Pattern Recognition",
        "papers": 1,
    } in (api["categories"])
    assert (
        "Papers in cs.CV — Computer Vision and Pattern Recognition"
        in client.get("/category/cs.CV").text
    )
    about = client.get("/about").text
    assert "Top primary categories" in about and "counts cross-lists too" in about


def test_atom_and_rss_items_link_to_the_same_page(client: TestClient) -> None:
    atom = etree.fromstring(client.get("/category/cs.CV/feed.atom").content)
    rss = etree.fromstring(client.get("/category/cs.CV/feed.rss").content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    atom_links = atom.xpath("//a:entry/a:link/@href", namespaces=ns)
    rss_links = rss.xpath("//item/link/text()")
    assert atom_links == rss_links and len(rss_links) == 1
    assert rss_links[0].endswith("/paper/2601.00001")
    assert rss.xpath("/rss/channel/link/text()")[0].endswith("/category/cs.CV")
