"""The site in a real browser: Debian's chromium, driven by Playwright, against a real
`paperwire serve` process over the demo corpus (ten days of arXiv CS listings).

A reader's journey (home, the previous day, a filtered search, a paper, a similar paper, its
category's Atom feed), the keyboard's skip link, and the JavaScript enhancements (htmx "load
more" and search as you type, KaTeX) under the site's Content-Security-Policy. Each step leaves
a screenshot in test-artifacts/browser/ (git-ignored) to look at.

Without chromium or the playwright package the tests skip, unless PAPERWIRE_REQUIRE_BROWSER=1
(scripts/test.sh sets it) makes that a failure. Playwright's own browser downloads are never
used: the browser is /usr/bin/chromium (`apt-get install chromium`).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, unquote_plus, urlsplit

import httpx
import pytest
from lxml import etree

from paperwire.demo import build_demo
from paperwire.index.manager import open_index, update_index
from paperwire.settings import Settings
from paperwire.store import open_store

pytestmark = [pytest.mark.browser, pytest.mark.network_local]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM = Path(os.environ.get("PAPERWIRE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ATOM = "{http://www.w3.org/2005/Atom}"
TIMEOUT_MS = 20_000


def _missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def artifacts() -> Path:
    """test-artifacts/browser/, emptied of the last run's screenshots."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    return ARTIFACTS


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's chromium, headless, under Playwright (skipped when either is missing)."""
    reason = _missing_browser()
    if reason:
        if os.environ.get("PAPERWIRE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"PAPERWIRE_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[str]:
    """`paperwire serve` in a real process over the demo corpus; yields its base URL."""
    settings = Settings(home=tmp_path_factory.mktemp("browser-home"))
    with open_store(settings) as store:
        build_demo(store)
        update_index(store, open_index(settings))
    port = _free_port()
    cmd = [sys.executable, "-m", "paperwire", "--home", str(settings.home), "serve"]
    log = (artifacts / "server.log").open("wb")
    proc = subprocess.Popen(
        [*cmd, "--no-index-update", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/api/v1/status", timeout=2).raise_for_status()
                break
            except httpx.TransportError:
                assert proc.poll() is None, (artifacts / "server.log").read_text()
                assert time.monotonic() < deadline, "the server did not start in 60 s"
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


class Tab:
    """A browser page on the demo site that records console errors, uncaught exceptions and
    failed requests (a CSP violation is a console error), and takes numbered screenshots."""

    def __init__(self, page: Any, base: str, artifacts: Path) -> None:
        self.page, self.base, self.artifacts = page, base, artifacts
        self.problems: list[str] = []
        page.set_default_timeout(TIMEOUT_MS)
        page.on(
            "console",
            lambda m: self.problems.append(f"console: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", self._request_failed)

    def _request_failed(self, request: Any) -> None:
        if request.failure != "net::ERR_ABORTED":  # htmx cancelling a superseded request
            self.problems.append(f"request failed: {request.url} ({request.failure})")

    def goto(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == 200, path

    def path(self) -> str:
        parts = urlsplit(self.page.url)
        return unquote(parts.path) + (f"?{unquote_plus(parts.query)}" if parts.query else "")

    def click_and_wait(self, locator: Any) -> None:
        """Click a link and wait until the next page has loaded (scripts included)."""
        with self.page.expect_navigation(wait_until="load"):
            locator.click()

    def h1(self) -> str:
        return str(self.page.locator("h1").first.inner_text()).strip()

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.artifacts / f"{name}.png"))


@pytest.fixture
def tab(chromium: Any, demo_site: str, artifacts: Path) -> Iterator[Tab]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    opened = Tab(page, demo_site, artifacts)
    yield opened
    context.close()
    assert not opened.problems, "\n".join(opened.problems)


def test_a_readers_journey(tab: Tab) -> None:
    page = tab.page
    # Home: the latest listing day.
    tab.goto("/")
    assert tab.h1().startswith("Papers of ")
    assert page.locator("ol.papers > li:not(.more)").count() == 30  # and a "load more" item
    tab.shot("01-home")

    # The previous day, by its link.
    prev = page.locator('nav.views a[rel="prev"]')
    prev_day = prev.inner_text().strip("← ").strip()
    tab.click_and_wait(prev)
    assert tab.path() == f"/day/{prev_day}"
    assert tab.h1().startswith("Papers of ")
    assert page.locator("ol.papers > li").count() > 0
    tab.shot("02-previous-day")

    # A search with a filter, typed into the header's search box.
    page.locator("#site-q").fill("cat:cs.CL language")
    with page.expect_navigation(wait_until="load"):
        page.locator("#site-q").press("Enter")
    assert tab.path() == "/search?q=cat:cs.CL language"
    assert page.locator("#q").input_value() == "cat:cs.CL language"
    assert page.locator("ul.filters").inner_text() == "category: cs.CL"
    results = page.locator("#results ol.papers > li")
    assert results.count() > 0
    for i in range(results.count()):
        categories = results.nth(i).locator("a.cat").all_inner_texts()
        assert "cs.CL" in categories, categories
    assert page.locator("#results .snippet mark").count() > 0  # "language" highlighted
    tab.shot("03-search")

    # A paper from the results.
    first = results.first.locator("h2.title a")
    title = first.inner_text().strip()
    tab.click_and_wait(first)
    assert tab.path().startswith("/paper/")
    assert tab.h1() == title
    assert "cs.CL" in page.locator("dl.facts a.cat").all_inner_texts()
    assert page.locator("#abstract").is_visible()
    assert page.locator("section.similar ol.papers h3 a").count() > 0
    tab.shot("04-paper")

    # A similar paper (the first with categories: the listing-page papers of the demo have none).
    similar = page.locator("section.similar ol.papers > li:has(a.cat) h3 a")
    assert similar.count() > 0
    first_paper = tab.path()
    similar_title = similar.first.inner_text().strip()
    tab.click_and_wait(similar.first)
    assert tab.path().startswith("/paper/") and tab.path() != first_paper
    assert tab.h1() == similar_title
    tab.shot("05-similar-paper")

    # Its first category, and that list's Atom feed.
    category = page.locator("dl.facts a.cat").first
    name = category.inner_text().strip()
    tab.click_and_wait(category)
    assert tab.path() == f"/category/{name}"
    assert page.locator("ol.papers > li").count() > 0
    tab.shot("06-category")
    href = page.locator("p.count a", has_text="Atom").get_attribute("href")
    assert href == f"/category/{name}/feed.atom"
    feed = page.request.get(tab.base + href)
    assert feed.status == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")
    root = etree.fromstring(feed.body())
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    assert entries
    for entry in entries:
        assert entry.findtext(f"{ATOM}title")
        link = entry.find(f"{ATOM}link").get("href")
        assert link.startswith(f"{tab.base}/paper/"), link
    # ... and the day feed the page announces in its <head>.
    day_feed = page.request.get(tab.base + "/feed.atom")
    assert etree.fromstring(day_feed.body()).findall(f"{ATOM}entry")


def test_keyboard_skip_link(tab: Tab) -> None:
    page = tab.page
    tab.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => [document.activeElement.className, document.activeElement.textContent]"
    )
    assert focused == ["skip", "Skip to content"]
    box = page.locator("a.skip").bounding_box()
    assert box is not None and box["y"] >= 0 and box["height"] > 0  # on screen when focused
    tab.shot("07-skip-link-focused")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"#main$"))
    assert page.evaluate("() => document.activeElement.id") == "main"
    # The next Tab goes to the first link in the content, past the header's navigation.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")
    tab.shot("08-after-skip-link")


def test_load_more_search_as_you_type_and_math(tab: Tab) -> None:
    page = tab.page
    # The $...$ of titles and abstracts arrive as MathML (converted on the server) and the
    # browser draws them; this demo day has some on its first page.
    tab.goto("/day/2026-06-24")
    formulas = page.locator("main math")
    assert formulas.count() > 0
    in_abstract = page.locator("ol.papers > li:has(details math)")
    if in_abstract.count():  # open that abstract, as a reader would, to see its formula
        in_abstract.first.locator("summary").click()
        shown = in_abstract.first.locator("details math").first
    else:
        shown = formulas.first
    shown.scroll_into_view_if_needed()
    box = shown.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0  # laid out, not raw TeX
    tab.shot("09-math")

    # "Load more" (htmx): the next page's items join the list; the page stays.
    items = page.locator("ol.papers > li:not(.more)")
    tab.goto("/")
    assert items.count() == 30
    page.locator("li.more a").first.click()
    page.wait_for_function(
        "() => document.querySelectorAll('ol.papers > li:not(.more)').length > 30"
    )
    assert tab.path() == "/"
    tab.shot("10-load-more")

    # Search as you type (htmx): results arrive without submitting; the URL follows.
    tab.goto("/search")
    page.locator("#q").fill("cat:cs.CL language")  # one input event, one request
    page.wait_for_selector("#results ol.papers > li")
    page.wait_for_url(re.compile(r"/search\?.*q=cat"))
    assert page.locator("#q").input_value() == "cat:cs.CL language"
    tab.shot("11-search-as-you-type")
