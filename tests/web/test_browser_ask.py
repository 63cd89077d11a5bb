"""Ask in a real browser (Debian's chromium through Playwright) against a real `paperwire serve`
over the demo corpus, configured with a recorded chat API (a real HTTP server on 127.0.0.1
replaying an OpenAI-style streamed answer that also cites an evidence id that does not exist).

Ask a question, see the cited evidence, follow a citation to its paper; the generated answer
streams in under the site's CSP, and every citation it keeps resolves to evidence on the page.
Screenshots in test-artifacts/browser-ask/."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browserkit import (
    Tab,
    artifacts_dir,
    build_demo_home,
    launch_chromium,
    open_tab,
    serving,
)
from tests.support.httpserver import RecordedServer, Reply

pytestmark = [pytest.mark.browser, pytest.mark.network_local]
RECORDED = Path(__file__).parents[1] / "search" / "llm"
QUESTION = "which methods reduce KV cache memory?"


@pytest.fixture(scope="module")
def artifacts() -> Path:
    return artifacts_dir("browser-ask")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.fixture(scope="module")
def llm() -> Iterator[RecordedServer]:
    body = (RECORDED / "chat_stream_invented.sse").read_bytes()
    chunks = [p + b"\n\n" for p in body.split(b"\n\n") if p]

    def route(path: str, query: dict[str, str]) -> Reply:
        assert json.loads(server.bodies[-1])["stream"] is True
        return Reply(200, headers={"Content-Type": "text/event-stream"}, chunks=chunks)

    with RecordedServer(route) as server:
        yield server


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, artifacts: Path, llm: RecordedServer
) -> Iterator[str]:
    home = tmp_path_factory.mktemp("browser-ask-home")
    build_demo_home(home)
    env = os.environ | {"PAPERWIRE_LLM_URL": f"{llm.url}/v1", "PAPERWIRE_LLM_TIMEOUT": "10"}
    with serving(home, artifacts / "server.log", env) as base:
        yield base


@pytest.fixture
def tab(chromium: Any, site: str, artifacts: Path) -> Iterator[Tab]:
    with open_tab(chromium, site, artifacts, full_page=True) as opened:
        yield opened


def test_ask_cite_and_follow(tab: Tab, llm: RecordedServer) -> None:
    page = tab.page
    tab.goto("/")
    tab.click_and_wait(page.locator('nav[aria-label="Site"] a', has_text="Ask"))
    assert tab.path() == "/ask" and tab.h1() == "Ask"
    page.fill("#q", QUESTION)
    tab.click_and_wait(page.locator("form.search button"))
    assert tab.path() == f"/ask?q={QUESTION}"

    # The extractive answer: evidence sentences, each with its id, under their papers.
    evidence = page.locator("ul.evidence li")
    assert evidence.count() >= 2
    assert evidence.first.get_attribute("id") == "E1"
    assert page.locator("ul.evidence mark").count() >= 1

    # The generated answer streams in; the invented [E7] is removed and said so.
    section = page.locator("#generated[data-state=answered]")
    section.wait_for()
    cites = page.locator("#generated a.cite")
    assert cites.count() >= 1
    for href in cites.evaluate_all("els => els.map(e => e.getAttribute('href'))"):
        assert page.locator(f"ul.evidence li{href}").count() == 1, href  # every one resolves
    assert "E7" in page.locator("#generated .gen-flags").inner_text()
    assert "[E7]" not in page.locator("#generated .gen-text").inner_text()
    tab.shot("01-answer")

    # A citation jumps to its evidence; the evidence's paper title goes to the paper.
    cites.first.click()
    assert page.url.endswith("#E1")
    title = page.locator("ol.evidence-papers h3 a").first
    name = title.inner_text().strip()
    tab.click_and_wait(title)
    assert tab.path().startswith("/paper/") and tab.h1() == name
    tab.shot("02-paper")
    assert len(llm.bodies) == 1  # one streamed request, no reconnects


def test_ask_without_evidence(tab: Tab) -> None:
    tab.goto("/ask?q=zxqvw+blorfting+grandmotherly+sourdoughs")
    assert "No good evidence found" in tab.page.locator(".no-evidence").inner_text()
    assert tab.page.locator("#generated").count() == 0
