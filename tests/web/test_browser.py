"""The site in a real browser: Debian's chromium, driven by Playwright, against a real
`paperwire serve` process over the demo corpus (ten days of arXiv CS listings).

A reader's journey (home, the previous day, a filtered search, a paper, a similar paper, its
category's Atom feed), the keyboard's skip link, and the JavaScript enhancements (htmx "load
more" and search as you type, formulas as MathML) under the site's Content-Security-Policy.
Each step leaves a screenshot in test-artifacts/browser/ (git-ignored) to look at. The browser,
the server process and the Tab come from tests/support/browserkit.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.support.browserkit import (
    Tab,
    artifacts_dir,
    build_demo_home,
    launch_chromium,
    open_tab,
    serving,
)

pytestmark = [pytest.mark.browser, pytest.mark.network_local]

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def artifacts() -> Path:
    return artifacts_dir("browser")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[str]:
    """`paperwire serve` in a real process over the demo corpus; yields its base URL."""
    home = tmp_path_factory.mktemp("browser-home")
    build_demo_home(home)
    with serving(home, artifacts / "server.log") as base:
        yield base


@pytest.fixture
def tab(chromium: Any, demo_site: str, artifacts: Path) -> Iterator[Tab]:
    with open_tab(chromium, demo_site, artifacts) as opened:
        yield opened


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
