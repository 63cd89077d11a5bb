"""/ask, /api/v1/ask and /ask/stream over the web tests' store, with and without a recorded chat
API (a real HTTP server on 127.0.0.1 replaying OpenAI-style responses)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paperwire.settings import Settings
from paperwire.web import create_app
from tests.support.httpserver import RecordedServer, Reply

RECORDED = Path(__file__).parents[1] / "search" / "llm"
QUESTION = "which papers study robust transformers with attention?"


def sse_reply() -> Reply:
    body = (RECORDED / "chat_stream_invented.sse").read_bytes()
    return Reply(200, headers={"Content-Type": "text/event-stream"},
                 chunks=[p + b"\n\n" for p in body.split(b"\n\n") if p])  # fmt: skip


@pytest.fixture(scope="module")
def llm() -> Iterator[RecordedServer]:
    def route(path: str, query: dict[str, str]) -> Reply:
        if json.loads(server.bodies[-1]).get("stream"):
            return sse_reply()
        return Reply(200, (RECORDED / "chat_invented.json").read_bytes())

    with RecordedServer(route) as server:
        yield server


@pytest.fixture(scope="module")
def llm_client(settings: Settings, llm: RecordedServer) -> Iterator[TestClient]:
    configured = settings.model_copy(update={"llm_url": f"{llm.url}/v1", "llm_timeout": 5.0})
    with TestClient(create_app(configured), raise_server_exceptions=False) as test_client:
        yield test_client


def test_the_ask_page_quotes_and_cites(client: TestClient) -> None:
    empty = client.get("/ask")
    assert empty.status_code == 200 and "<h1>Ask</h1>" in empty.text
    assert 'href="/ask" aria-current="page"' in empty.text  # the nav link
    page = client.get("/ask", params={"q": QUESTION}).text
    assert 'id="E1"' in page and "Confidence:" in page
    links = re.findall(r'<h3 class="title tex"><a href="(/paper/[^"]+)"', page)
    assert links and all(client.get(u).status_code == 200 for u in links)
    assert "<mark>robust</mark>" in page
    assert "generated" not in page and "ask.js" not in page  # no chat API configured
    assert client.get("/ask/stream", params={"q": QUESTION}).status_code == 404


def test_hostile_abstracts_stay_escaped(client: TestClient) -> None:
    page = client.get("/ask", params={"q": "inject abstracts robust transformers"}).text
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_no_good_evidence_page(client: TestClient) -> None:
    page = client.get("/ask", params={"q": "sourdough bread recipes"}).text
    assert "No good evidence found" in page and 'id="E1"' not in page


def test_the_api_answers_as_the_page(client: TestClient) -> None:
    data = client.get("/api/v1/ask", params={"q": QUESTION}).json()
    assert data["asked"] and data["found"] and data["llm"] is False
    assert data["evidence"][0]["eid"] == "E1"
    assert data["papers"][0]["url"].startswith("/paper/")
    assert data["generated"] is None
    bad = client.get("/api/v1/ask", params={"q": '"unclosed'})
    assert bad.status_code == 400 and "quote" in bad.json()["error"]["message"]


def test_with_a_chat_api_the_page_streams(llm_client: TestClient) -> None:
    page = llm_client.get("/ask", params={"q": QUESTION}).text
    assert 'src="/static/ask.js' in page and 'data-stream="/ask/stream?q=' in page
    assert "generate=1" in page  # the same answer without JavaScript
    with llm_client.stream("GET", "/ask/stream", params={"q": QUESTION}) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        events = re.findall(r"event: (\w+)\ndata: (.*)\n\n", r.read().decode())
    kinds = [k for k, _ in events]
    assert kinds[-1] == "answer" and kinds.count("token") >= 3
    result = json.loads(events[-1][1])
    assert result["invented"] == ["E7"] and all(
        c == "E1" for s in result["segments"] for c in s["cites"]
    )


def test_without_javascript_the_answer_is_written_on_the_server(llm_client: TestClient) -> None:
    page = llm_client.get("/ask", params={"q": QUESTION, "generate": "1"}).text
    cites = re.findall(r'<a class="cite" href="#(E\d+)">', page)
    assert cites == ["E1"]
    assert all(f'id="{c}"' in page for c in cites)  # every citation resolves on the page
    assert "does not exist (E7)" in page and "citing no evidence" in page
    api = llm_client.get("/api/v1/ask", params={"q": QUESTION, "generate": "true"}).json()
    assert api["generated"]["status"] == "ok" and api["generated"]["invented"] == ["E7"]


def test_generated_answers_are_rate_limited(llm_client: TestClient) -> None:
    """Last in this module: it uses up the minute's allowance of generated answers."""
    statuses = [
        llm_client.get("/api/v1/ask", params={"q": QUESTION, "generate": "true"}).status_code
        for _ in range(11)
    ]
    assert 429 in statuses and statuses[0] == 200
    limited = llm_client.get("/ask/stream", params={"q": QUESTION})
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert llm_client.get("/ask", params={"q": QUESTION}).status_code == 200  # extractive: free


def test_a_question_longer_than_the_query_limit_is_asked_with_its_first_terms(
    client: TestClient,
) -> None:
    long = " ".join(["robust", "transformers"] * 40)  # 80 terms; a search takes at most 64
    assert client.get("/api/v1/search", params={"q": long}).status_code == 400
    body = client.get("/api/v1/ask", params={"q": long}).json()
    assert body["asked"] is True and "first 64 terms" in body["note"]
    bad = client.get("/api/v1/ask", params={"q": 'an "unclosed quote'})
    assert bad.status_code == 400  # other unreadable questions still say what is wrong
