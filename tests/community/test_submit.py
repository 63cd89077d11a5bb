"""Submitting papers by arXiv id or URL: the arXiv API answered by a real HTTP server on
127.0.0.1 with recorded responses; the paper is stored, indexed, upvoted; errors write nothing."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paperwire.community.submit import parse_submission
from paperwire.errors import BadRequest
from paperwire.pipeline.follower import IndexFollower
from paperwire.settings import Settings
from paperwire.store import Store
from paperwire.store.papers import count_papers, find_paper
from paperwire.store.submissions import submission_count
from paperwire.store.votes import vote_state
from paperwire.web import create_app
from tests.support.community_kit import FIXTURES, act_as, make_settings
from tests.support.httpserver import RecordedServer, Reply

pytestmark = pytest.mark.network_local

RECORDINGS = FIXTURES / "arxiv-api" / "current-2026-recordings"
BY_ID = {
    "2104.12255": "id_2104.12255v1_s0_m100_6ae69987ffe1",
    "astro-ph/0601001": "id_astro-ph_0601001_s0_m100_3150dca9dc76",
    "0000.0000": "id_0000.0000_s0_m100_8b51d9633a68",
    "2101.00001": "id_abc_s0_m100_b79c8dcf6bc3",  # arXiv's HTTP 400 error feed
}


def recorded(name: str) -> Reply:
    rec = json.loads((RECORDINGS / f"{name}.json").read_text("utf-8"))
    # The recorder decoded arXiv's UTF-8 as Latin-1: encoding back gives the wire's bytes.
    body = rec["body"].encode("latin-1")
    return Reply(rec["status_code"], body, {"Content-Type": "application/atom+xml"})


def route(path: str, query: dict[str, str]) -> Reply:
    if path != "/api/query" or query.get("id_list") not in BY_ID:
        return Reply(404, b"not recorded")
    return recorded(BY_ID[query["id_list"]])


@pytest.fixture(scope="module")
def arxiv() -> Iterator[RecordedServer]:
    if not RECORDINGS.exists():
        pytest.skip(f"needs {RECORDINGS}")
    with RecordedServer(route) as srv:
        yield srv


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, arxiv: RecordedServer) -> Settings:
    home = tmp_path_factory.mktemp("submit-home")
    make_settings(home)
    return Settings(home=home, arxiv_api_url=f"{arxiv.url}/api/query", request_interval=0)


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    # check_every=0: the site looks at the index's state.json on every request.
    app = create_app(settings, check_every=0)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def submit(client: TestClient, token: str, paper: str) -> object:
    data = {"csrf_token": token, "paper": paper}
    return client.post("/submit", data=data, follow_redirects=False)


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("2104.12255", "2104.12255"),
        (" 2104.12255v3 ", "2104.12255"),
        ("arXiv:2104.12255", "2104.12255"),
        ("https://arxiv.org/abs/2104.12255v1", "2104.12255"),
        ("http://export.arxiv.org/abs/2104.12255", "2104.12255"),
        ("https://arxiv.org/pdf/2104.12255v2.pdf", "2104.12255"),
        ("arxiv.org/pdf/2104.12255", "2104.12255"),
        ("https://arxiv.org/abs/2104.12255?context=cs#x", "2104.12255"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("https://arxiv.org/abs/hep-th/9901001v2", "hep-th/9901001"),
    ],
)
def test_parse_submission(text: str, wanted: str) -> None:
    assert parse_submission(text) == wanted


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "2104.123",
        "https://example.org/abs/2104.12255",
        "ftp://arxiv.org/abs/2104.12255",
        "https://arxiv.org/list/cs.LG/new",
        "doi:10.1000/x",
        "x" * 400,
    ],
)
def test_parse_submission_refuses(text: str) -> None:
    with pytest.raises(BadRequest):
        parse_submission(text)


def store_of(client: TestClient) -> Store:
    store: Store = client.app.state.site.store  # type: ignore[attr-defined]
    return store


def test_submit_new_paper_by_versioned_id(
    client: TestClient, settings: Settings, arxiv: RecordedServer
) -> None:
    me = act_as(client, settings, "sub-a@example.org")
    assert me.user is not None
    before = len(arxiv.requests)
    r = submit(client, me.csrf, "2104.12255v1")
    assert r.status_code == 303 and r.headers["location"] == "/paper/2104.12255"
    assert arxiv.requests[before:] == [
        ("/api/query", {"id_list": "2104.12255", "start": "0", "max_results": "5"})
    ]
    page = client.get("/paper/2104.12255")
    assert page.status_code == 200 and 'aria-pressed="true"' in page.text
    store = store_of(client)
    assert vote_state(store, ["2104.12255"], me.user.id) == {"2104.12255": (1, True)}
    # Again, by URL: no request to arXiv, no second submission, still one vote.
    again = submit(client, me.csrf, "https://arxiv.org/abs/2104.12255")
    assert again.headers["location"] == "/paper/2104.12255"
    assert len(arxiv.requests) == before + 1
    assert submission_count(store, user_id=me.user.id) == 1


def test_submit_old_style_pdf_url(client: TestClient, settings: Settings) -> None:
    me = act_as(client, settings, "sub-b@example.org")
    r = submit(client, me.csrf, "https://arxiv.org/pdf/astro-ph/0601001v1")
    assert r.headers["location"] == "/paper/astro-ph/0601001"
    assert "Hot Jupiters" in client.get("/paper/astro-ph/0601001").text
    # The web process wrote no index: the paper waits in the store for the index follower.
    query = {"q": "hot jupiters ogle"}
    assert client.get("/api/v1/search", params=query).json()["hits"] == []
    follower = IndexFollower(settings, store=store_of(client))
    assert follower.run_once() is not None and follower.run_once() is None  # then nothing new
    # The site reloads the index the follower saved.
    hits = client.get("/api/v1/search", params=query).json()["hits"]
    assert [h["id"] for h in hits] == ["astro-ph/0601001"]


def test_submit_a_paper_already_here(
    client: TestClient, settings: Settings, arxiv: RecordedServer
) -> None:
    me = act_as(client, settings, "sub-c@example.org")
    assert me.user is not None
    before = len(arxiv.requests)
    r = submit(client, me.csrf, "hep-th/9901001")
    assert r.headers["location"] == "/paper/hep-th/9901001" and len(arxiv.requests) == before
    store = store_of(client)
    assert vote_state(store, ["hep-th/9901001"], me.user.id)["hep-th/9901001"][1] is True
    assert submission_count(store, user_id=me.user.id) == 1


@pytest.mark.parametrize(
    ("text", "status", "message"),
    [
        ("0000.0000", 404, "arXiv has no paper 0000.0000"),
        ("2101.00001", 502, "HTTP 400"),
        ("not a paper", 400, "is not an arXiv id or URL"),
        ("https://evil.example/abs/2101.00001", 400, "only arxiv.org abs or pdf links"),
    ],
)
def test_errors_write_nothing(
    client: TestClient, settings: Settings, text: str, status: int, message: str
) -> None:
    me = act_as(client, settings, f"sub-err-{status}@example.org")
    store = store_of(client)
    papers = count_papers(store)
    r = submit(client, me.csrf, text)
    assert r.status_code == status and message in r.text
    assert settings.arxiv_api_url not in r.text and "127.0.0.1" not in r.text  # internal
    assert 'role="alert"' in r.text and 'name="paper"' in r.text  # the form, to try again
    assert count_papers(store) == papers


def test_unreachable_arxiv_is_502(settings: Settings, tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    make_settings(tmp_path)
    down = Settings(home=tmp_path, arxiv_api_url=f"http://127.0.0.1:{port}/api/query")
    with TestClient(create_app(down), raise_server_exceptions=False) as client:
        me = act_as(client, down, "sub-down@example.org")
        r = submit(client, me.csrf, "2104.12255")
        assert r.status_code == 502 and "arXiv could not be asked right now" in r.text
        assert f":{port}" not in r.text and "/api/query" not in r.text
        with pytest.raises(Exception, match="no paper"):
            find_paper(store_of(client), "2104.12255")


def test_submit_needs_an_account_csrf_and_is_rate_limited(
    client: TestClient, settings: Settings
) -> None:
    anon = act_as(client, settings, None)
    assert "Sign in</a> to submit" in client.get("/submit").text
    r = submit(client, anon.csrf, "2104.12255")
    assert r.status_code == 303 and r.headers["location"] == "/signin?next=/submit"
    me = act_as(client, settings, "sub-rate@example.org")
    assert client.post("/submit", data={"paper": "2104.12255"}).status_code == 403
    form = client.get("/submit").text
    assert 'name="csrf_token"' in form
    hostile = "<img src=x onerror=alert(1)>"
    codes = [submit(client, me.csrf, hostile) for _ in range(11)]
    assert [c.status_code for c in codes] == [400] * 10 + [429]
    assert hostile not in codes[0].text and "&lt;img src=x" in codes[0].text
