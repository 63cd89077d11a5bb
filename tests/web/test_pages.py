"""The HTML pages and feeds over a real SQLite store and index (tests/web/conftest.py): every
route, pagination, 404s and 400s, escaping of hostile content, page weight, index reload, and
one smoke test against a real server process."""

from __future__ import annotations

import gzip
import re
import socket
import subprocess
import sys
import time
from html import unescape
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
from fastapi.testclient import TestClient
from lxml import etree

from paperwire.index.manager import open_index, update_index
from paperwire.settings import Settings
from paperwire.store import open_store
from paperwire.store.papers import upsert_records
from paperwire.web import create_app
from tests.support.paperfactory import paper_record
from tests.support.webdata import BUSY_DAY_PAPERS, HOSTILE_ABSTRACT, HOSTILE_TITLE, LATEST, records

MAX_PAGE_BYTES = 60 * 1024
ATOM = "{http://www.w3.org/2005/Atom}"
DOI_ID = "doi:10.1234/jp.2026(7)-1"
DOI_PATH = "/paper/doi:10.1234/jp.2026%287%29-1"

PAGES = [
    "/",
    "/?page=2",
    "/day/2026-06-30",
    "/week/2026-07-01",
    "/month/2026-06",
    "/category/cs.CL",
    "/category/hep-th",
    "/categories",
    "/trending",
    "/trending?period=day",
    "/trending?period=month",
    "/search",
    "/search?q=robust+transformers",
    "/search?q=strings+sort:date",
    "/ask",
    "/ask?q=which+papers+study+robust+transformers+with+attention",
    "/author/ada-lovelace",
    "/paper/2607.00001",
    "/paper/2607.00200",
    "/paper/hep-th/9901001",
    DOI_PATH,
    "/about",
]


def paper_links(html: str) -> list[str]:
    """Paper ids in the order the page's list shows them (titles only, not similar papers)."""
    return [unquote(u) for u in re.findall(r'<h2 class="title tex"><a href="/paper/([^"]+)"', html)]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_renders_semantic_html(client: TestClient, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    for tag in ("<header", "<nav", "<main", "<h1", 'class="skip" href="#main"', '<html lang="en"'):
        assert tag in html
    assert "Traceback" not in html
    for control in re.findall(r"<(?:input|select)[^>]*\bid=\"([^\"]+)\"", html):
        assert f'<label for="{control}"' in html, f"{url}: #{control} has no label"
    assert not re.search(r"<(?:input|select)(?![^>]*\bid=)[^>]*>", html), "a control without id"


def test_home_is_the_latest_day_paginated(client: TestClient) -> None:
    first = client.get("/").text
    assert "Papers of Wednesday 1 July 2026" in first
    assert f"{BUSY_DAY_PAPERS} papers" in first
    ids = paper_links(first)
    assert len(ids) == 30
    assert ids[0] == "2607.00001"
    assert 'href="/day/2026-06-30"' in first  # the previous listing day
    assert 'href="/week/2026-07-01"' in first and 'href="/month/2026-07"' in first
    assert 'rel="next" href="/day/2026-07-01?page=2"' in first
    second = client.get("/?page=2").text
    assert paper_links(second) == [f"2607.{n:05d}" for n in range(31, BUSY_DAY_PAPERS + 1)]
    assert client.get("/?page=3").status_code == 404  # past the last page


def test_load_more_returns_only_the_next_items_to_htmx(client: TestClient) -> None:
    first = client.get("/").text
    assert 'hx-get="/day/2026-07-01?page=2"' in first and "htmx.min.js" in first
    fragment = client.get("/?page=2", headers={"HX-Request": "true"}).text
    assert "<html" not in fragment and fragment.lstrip().startswith("<li>")
    assert len(re.findall(r"<article", fragment)) == BUSY_DAY_PAPERS - 30
    assert "Load more" not in fragment  # the last page has no further button


def test_day_week_month_views(client: TestClient) -> None:
    day = client.get("/day/2026-06-30").text
    assert set(paper_links(day)) == {"2607.00100", "2607.00101", "2607.00102", DOI_ID}
    assert 'rel="prev" href="/day/2026-06-24"' in day
    assert 'rel="next" href="/day/2026-07-01"' in day
    week = client.get("/week/2026-07-01").text  # Monday 2026-06-29 to Sunday 2026-07-05
    assert "2026-06-29 to 2026-07-05" in week and f"{BUSY_DAY_PAPERS + 4} papers" in week
    assert 'rel="prev" href="/week/2026-06-22"' in week
    month = client.get("/month/2026-06").text
    assert "Papers of June 2026" in month and "6 papers" in month
    assert 'rel="next" href="/month/2026-07"' in month
    assert 'rel="prev" href="/month/1999-01"' in month
    empty = client.get("/day/2020-01-01")
    assert empty.status_code == 200 and "No papers here" in empty.text


def test_category_pages(client: TestClient) -> None:
    hep = client.get("/category/hep-th").text
    assert paper_links(hep) == ["hep-th/9901001"]
    ids = paper_links(client.get("/category/cs.CL").text)
    ids += paper_links(client.get("/category/cs.CL?page=2").text)
    assert ids[0] == "2607.00001" and ids[-1] == DOI_ID  # newest first
    assert len(ids) == len(set(ids)) == 18 + 1 + 1  # odd numbers of the busy day, 2607.00101, doi
    assert client.get("/category/cs.XX").status_code == 404
    assert client.get("/category/not a category!").status_code == 400
    cats = client.get("/categories").text
    assert 'href="/category/hep-th"' in cats and 'href="/category/cs.LG"' in cats


def test_trending_documents_its_recency_score(client: TestClient) -> None:
    html = client.get("/trending").text
    assert "no community votes yet" in html and "days from 1970-01-01" in html
    ids = paper_links(html)
    assert ids[0] == "2607.00003"  # newest day, and it links to code
    assert ids[1:4] == ["2607.00001", "2607.00002", "2607.00004"]
    month = paper_links(client.get("/trending?period=month&page=2").text)
    assert "2607.00200" in month and "hep-th/9901001" not in month
    assert client.get("/trending?period=year").status_code == 400


def test_search_page(client: TestClient) -> None:
    html = client.get("/search?q=strings").text
    assert "1 result in" in html
    assert "<mark>strings</mark>" in html  # the only raw HTML rendered: the service's snippet
    assert paper_links(html) == ["hep-th/9901001"]
    filtered = client.get("/search?q=robust+cat:cs.CL+-attention").text
    assert "category: cs.CL" in filtered and "without: attention" in filtered
    assert paper_links(filtered) == [DOI_ID]
    assert 'href="/search?q=robust+-attention+cat%3Acs.cl+sort%3Adate' in filtered  # sort links
    many = client.get("/search?q=robust&mode=bm25").text
    assert 'rel="next"' in many and "page 1 of" in many
    help_only = client.get("/search").text
    assert "Search syntax" in help_only and "result" not in help_only.split('id="results"')[1]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/search?q=%22unclosed", "this quote is never closed"),
        ("/search?q=year:20x", "year:"),
        ("/search?q=robust&mode=dense", "search mode 'dense' is not one of"),
        ("/search?q=" + "x" * 1001, "at most 1,000"),
    ],
)
def test_bad_queries_are_400_with_the_message(client: TestClient, url: str, message: str) -> None:
    r = client.get(url)
    assert r.status_code == 400
    assert message in unescape(r.text)
    assert '<div id="results"' in r.text and 'id="q"' in r.text  # the form, to fix the query
    assert "Traceback" not in r.text


def test_paper_pages_with_odd_ids(client: TestClient) -> None:
    old = client.get("/paper/hep-th/9901001").text
    assert "Duality in string theory" in old and "https://arxiv.org/pdf/hep-th/9901001" in old
    doi = client.get(DOI_PATH).text
    assert "A journal paper without an arXiv id" in doi
    assert 'href="https://doi.org/10.1234/jp.2026(7)-1"' in doi
    page = client.get("/paper/2607.00003").text
    assert 'href="https://github.com/example/robust"' in page
    assert "Similar papers" in page and 'href="/search?q=' in page  # more like this
    assert len(re.findall(r'<h3 class="title tex">', page)) > 0
    versioned = client.get("/paper/2607.00001v1", follow_redirects=False)
    assert versioned.status_code == 301 and versioned.headers["location"] == "/paper/2607.00001"


@pytest.mark.parametrize(
    "url",
    ["/paper/nope", "/paper/2607.99999", "/paper/%00", "/paper/" + "x" * 400, "/no/such/page"],
)
def test_unknown_things_are_404_pages(client: TestClient, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "Not found" in r.text


@pytest.mark.parametrize(
    "url",
    [
        "/day/2026-13-01",
        "/day/yesterday",
        "/day/2026-7-1",
        "/week/2026-02-30",
        "/month/2026-13",
        "/month/2026",
        "/week/9999-12-31",
        "/month/9999-12",
        "/day/0001-01-01",
        "/?page=0",
        "/?page=abc",
        "/?page=99999999999999999999",
        "/trending?period=%00",
        "/day/2026-07-01/feed.json",
        "/search/feed.atom",
    ],
)
def test_malformed_parameters_are_400(client: TestClient, url: str) -> None:
    r = client.get(url)
    assert r.status_code in (400, 404), r.text[:300]
    assert r.status_code == 400 or url.endswith(".json")
    assert "Traceback" not in r.text


def test_post_is_not_allowed(client: TestClient) -> None:
    r = client.post("/")
    assert r.status_code == 405


def test_hostile_content_is_escaped(client: TestClient) -> None:
    for url in ("/paper/2607.00201", "/week/2026-06-24", "/search?q=inject", "/category/cs.CR"):
        html = client.get(url).text
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;alert(" in html, url
        assert 'href="javascript:' not in html
    page = client.get("/paper/2607.00201").text
    assert "https://arxiv.org/pdf/2607.00201" in page  # the javascript: pdf_url was dropped
    reflected = client.get("/search?q=%3Cscript%3Ealert(1)%3C/script%3E").text
    assert "<script>alert(1)" not in reflected
    bad = client.get('/search?q="<script>').text
    assert '<script>"' not in bad and "&lt;script&gt;" in bad


def test_security_headers_everywhere(client: TestClient) -> None:
    for url in ("/", "/paper/nope", "/static/style.css", "/api/v1/status", "/feed.atom"):
        r = client.get(url)
        assert r.headers["content-security-policy"].startswith("default-src 'self'"), url
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def _assets(client: TestClient, html: str) -> dict[str, bytes]:
    return {
        url: client.get(url).content for url in re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    }


@pytest.mark.parametrize("url", PAGES)
def test_page_weight(client: TestClient, url: str) -> None:
    """At most 60 KB per page as sent (gzip): the HTML, the CSS and every script it loads; the
    HTML alone is under 60 KB uncompressed."""
    r = client.get(url)
    assert len(r.content) <= MAX_PAGE_BYTES
    assets = _assets(client, r.text)
    sent = len(gzip.compress(r.content)) + sum(len(gzip.compress(b)) for b in assets.values())
    assert sent <= MAX_PAGE_BYTES, f"{url}: {sent:,} bytes"


def test_formulas_are_mathml_from_the_server(client: TestClient) -> None:
    math = client.get("/paper/2607.00200").text
    assert "<mi>α</mi>" in math and "-entmax" in math  # $\alpha$-entmax, drawn by the browser
    assert "$\\alpha$" not in math.split("<main")[1]  # (<title> cannot hold markup: TeX there)
    assert "katex" not in math  # every formula converted: no script needed
    assert "<math" in client.get("/week/2026-06-24").text
    assert "<math" not in client.get("/").text
    for name in _assets(client, math):
        assert client.get(name).status_code == 200
    # KaTeX stays vendored for formulas MathML conversion cannot take (paperwire.web.tex).
    assert client.get("/static/vendor/katex/katex.min.js").status_code == 200
    assert client.get("/static/vendor/katex/fonts/KaTeX_Main-Regular.woff2").status_code == 200
    assert client.get("/static/vendor/htmx/LICENSE").status_code == 200


def _atom(client: TestClient, url: str) -> list[etree._Element]:
    r = client.get(url)
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"].startswith("application/atom+xml")
    root = etree.fromstring(r.content)
    assert root.tag == f"{ATOM}feed"
    return root.findall(f"{ATOM}entry")


def test_atom_feeds(client: TestClient) -> None:
    day = _atom(client, "/day/2026-07-01/feed.atom")
    assert len(day) == BUSY_DAY_PAPERS  # feeds are not cut at a page's 30
    assert day[0].findtext(f"{ATOM}id") == "http://testserver/paper/2607.00001"
    assert len(_atom(client, "/feed.atom")) == BUSY_DAY_PAPERS
    assert len(_atom(client, "/week/2026-06-24/feed.atom")) == 2
    assert len(_atom(client, "/month/1999-01/feed.atom")) == 1
    hep = _atom(client, "/category/hep-th/feed.atom")
    assert [e.findtext(f"{ATOM}title") for e in hep] == ["Duality in string theory"]
    assert hep[0].findtext(f"{ATOM}id") == "http://testserver/paper/hep-th/9901001"
    trending = _atom(client, "/trending/feed.atom?period=week")
    assert trending[0].findtext(f"{ATOM}id").endswith("/paper/2607.00003")
    found = _atom(client, "/search/feed.atom?q=strings")
    assert [e.findtext(f"{ATOM}title") for e in found] == ["Duality in string theory"]
    hostile = _atom(client, "/category/cs.CR/feed.atom")
    assert hostile[0].findtext(f"{ATOM}title") == HOSTILE_TITLE
    assert hostile[0].findtext(f"{ATOM}summary") == HOSTILE_ABSTRACT


def test_rss_feeds(client: TestClient) -> None:
    for url, n in (("/day/2026-06-30/feed.rss", 4), ("/trending/feed.rss", BUSY_DAY_PAPERS + 4)):
        r = client.get(url)
        assert r.headers["content-type"].startswith("application/rss+xml")
        items = etree.fromstring(r.content).findall("channel/item")
        assert len(items) == n
        assert all(item.findtext("link").startswith("http://testserver/paper/") for item in items)
    assert client.get("/search/feed.rss?q=%22open").status_code == 400
    assert client.get("/category/cs.XX/feed.atom").status_code == 404


def test_rss_description_is_html_escaped_text(client: TestClient) -> None:
    """Feed readers render RSS <description> as HTML: a stored "<img onerror>" must reach them
    escaped once more than XML needs, so that they show it as text (issue 17)."""
    item = etree.fromstring(client.get("/category/cs.CR/feed.rss").content).find("channel/item")
    assert item.findtext("title") == HOSTILE_TITLE
    description = item.findtext("description")
    assert "<" not in description
    assert unescape(description) == HOSTILE_ABSTRACT


def test_about_page(client: TestClient) -> None:
    html = client.get("/about").text
    assert f"{len(records())}" in html
    assert "up to date with the store" in html
    assert "sqlite" in html
    assert "paperwire.db" not in html  # no file paths on a public page


def test_index_reload_when_the_cli_updates_it(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    first = paper_record(title="Quokka locomotion", arxiv_id="2607.01000", announced=LATEST)
    with open_store(settings) as store:
        upsert_records(store, [first])
        update_index(store, open_index(settings))
    app = create_app(settings, check_every=0.0)
    with TestClient(app) as client:
        assert "0 results" in client.get("/search?q=wombat").text
        second = paper_record(title="Wombat burrows", arxiv_id="2607.01001", announced=LATEST)
        with open_store(settings) as store:
            upsert_records(store, [second])
            time.sleep(0.01)  # a new mtime for state.json even on coarse clocks
            update_index(store, open_index(settings))
        html = client.get("/search?q=wombat").text
        assert "1 result in" in html and "Wombat burrows" in html
        assert app.state.site.reloads == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.network_local
def test_paperwire_serve_smoke(settings: Settings) -> None:
    """`paperwire serve` in a real process: it answers the home page and the API."""
    port = _free_port()
    cmd = [sys.executable, "-m", "paperwire", "--home", str(settings.home), "serve"]
    proc = subprocess.Popen(
        [*cmd, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                assert time.monotonic() < deadline, "the server did not start in 30 s"
                time.sleep(0.2)
        assert r.status_code == 200 and "Papers of Wednesday 1 July 2026" in r.text
        status = httpx.get(f"http://127.0.0.1:{port}/api/v1/status", timeout=5).json()
        assert status["papers"] == len(records())
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_dates_render_as_iso(client: TestClient) -> None:
    assert f'<time datetime="{LATEST.isoformat()}">' in client.get("/").text


@pytest.mark.postgres
def test_the_lists_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, database_url=pg_url)
    with open_store(settings) as store:
        upsert_records(store, records())
        update_index(store, open_index(settings))
    with TestClient(create_app(settings)) as client:
        assert paper_links(client.get("/trending").text)[0] == "2607.00003"
        assert len(paper_links(client.get("/week/2026-07-01?page=2").text)) == 9
        assert 'rel="prev" href="/month/1999-01"' in client.get("/month/2026-06").text
        assert paper_links(client.get("/category/hep-th").text) == ["hep-th/9901001"]
        assert client.get(DOI_PATH).status_code == 200
        assert client.get("/api/v1/status").json()["days"] == 4
        assert client.get("/paper/%00").status_code == 404


def test_head_wherever_get(client: TestClient) -> None:
    """RFC 9110: HEAD answers where GET does, same status and headers, no body (issue 17)."""
    for url in ("/", "/day/2026-06-30", "/feed.atom", "/api/v1/days/2026-06-30", "/openapi.json"):
        get, head = client.get(url), client.head(url)
        assert head.status_code == get.status_code == 200, url
        assert head.content == b""
        assert head.headers["content-type"] == get.headers["content-type"]
        assert head.headers["x-frame-options"] == "DENY"
    assert client.head("/paper/0000.00000").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/collections/9223372036854775808",
        "/collections/99999999999999999999999.bib",
    ],
)
def test_huge_path_ids_are_not_500(client: TestClient, url: str) -> None:
    assert client.get(url).status_code in (400, 404)


def test_500_answers_carry_the_security_headers(settings: Settings) -> None:
    app = create_app(settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/boom")
    assert r.status_code == 500
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["content-security-policy"].startswith("default-src 'self'")
    assert r.headers["x-content-type-options"] == "nosniff"
