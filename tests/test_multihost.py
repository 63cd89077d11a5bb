"""Many hosts over one PostgreSQL and one Milvus: a `paperwire worker` (the one index writer: it
applies the store's changes within `index_poll_interval` and embeds) and two `paperwire serve`
processes, each with its own data home (nothing shared on disk; they share only the two
servers). A paper ingested into the store, and one submitted on host A, are found by search on
host B within a bounded time; a vote on A counts on B; after host A is SIGKILLed, B keeps
serving and nothing A acknowledged is lost."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from paperwire.index.location import parse_index
from paperwire.index.manager import sync_status
from paperwire.settings import Settings
from paperwire.store import open_store
from paperwire.store.papers import upsert_records
from paperwire.store.users import create_user
from paperwire.web import auth
from tests.support.httpserver import RecordedServer, Reply
from tests.support.milvus import MilvusServer, free_port
from tests.support.paperfactory import arxiv_record
from tests.support.shared_data import FIXTURES

pytestmark = [pytest.mark.postgres, pytest.mark.milvus, pytest.mark.network_local]
DAY = date(2026, 7, 1)
FOUND_WITHIN = 30.0  # seconds from a paper's commit to the store to a search hit on host B
RECORDED = FIXTURES / "arxiv-api" / "current-2026-recordings" / (
    "id_2104.12255v1_s0_m100_6ae69987ffe1.json"
)  # fmt: skip


class Hosts:
    def __init__(self, base: Path, env: dict[str, str]) -> None:
        self.base, self.env = base, env
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def environ(self, name: str, **extra: str) -> dict[str, str]:
        home = self.base / name
        home.mkdir(exist_ok=True)
        return {**os.environ, **self.env, "PAPERWIRE_HOME": str(home), **extra}

    def run(self, name: str, *args: str) -> str:
        cmd = [sys.executable, "-m", "paperwire", *args]
        done = subprocess.run(cmd, env=self.environ(name), capture_output=True, text=True,
                              timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def start(self, name: str, *args: str, ready: str, **extra: str) -> None:
        log = self.base / f"{name}.log"
        cmd = [sys.executable, "-m", "paperwire", *args]
        with log.open("wb") as fh:
            self.procs[name] = proc = subprocess.Popen(
                cmd, env=self.environ(name, **extra), stdout=fh, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 120
        while ready not in log.read_text():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"{name} did not start:\n{log.read_text()}"
            time.sleep(0.2)

    def serve(self, name: str, **extra: str) -> str:
        port = free_port()
        self.start(name, "serve", "--port", str(port), "--no-index-update",
                   ready="Application startup complete", **extra)  # fmt: skip
        return f"http://127.0.0.1:{port}"

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.kill(name)


@pytest.fixture
def arxiv() -> Iterator[RecordedServer]:
    """arXiv's API, replaying the recorded answer for 2104.12255 (what host A fetches)."""
    if not RECORDED.exists():
        pytest.skip(f"needs {RECORDED}")
    rec = json.loads(RECORDED.read_text("utf-8"))
    body = rec["body"].encode("latin-1")  # the recorder decoded arXiv's UTF-8 as Latin-1

    def route(path: str, query: dict[str, str]) -> Reply:
        if path != "/api/query" or query.get("id_list") != "2104.12255":
            return Reply(404, b"not recorded")
        return Reply(200, body, {"Content-Type": "application/atom+xml"})

    with RecordedServer(route) as srv:
        yield srv


@pytest.fixture
def hosts(tmp_path: Path, pg_url: str, milvus_server: MilvusServer) -> Iterator[Hosts]:
    env = {
        "PAPERWIRE_DATABASE_URL": pg_url,
        "PAPERWIRE_INDEX": milvus_server.url(),
        "PAPERWIRE_SECRET_KEY": secrets.token_urlsafe(32),
        "PAPERWIRE_INDEX_POLL_INTERVAL": "0.5",
        "PAPERWIRE_REQUEST_INTERVAL": "0",
    }
    made = Hosts(tmp_path, env)
    yield made
    made.stop_all()


def start_worker(hosts: Hosts) -> None:
    """`paperwire worker`: a cycle every 2 s (no harvest reaches a source here: OAI-PMH points
    at a closed port) indexes and embeds what the store gained; between cycles the index
    follower applies store changes every 0.5 s."""
    closed = f"http://127.0.0.1:{free_port()}/oai"
    hosts.start("worker", "worker", ready="pipeline worker: a cycle every",
                PAPERWIRE_SOURCES="oai", PAPERWIRE_OAI_URL=closed, PAPERWIRE_HTTP_RETRIES="0",
                PAPERWIRE_WORKER_INTERVAL="2")  # fmt: skip


def embedded_fraction(hosts: Hosts) -> tuple[int, float]:
    """(papers indexed, embedded fraction) as the worker last recorded them in the store."""
    with open_store(url=hosts.env["PAPERWIRE_DATABASE_URL"]) as store:
        row = sync_status(store, parse_index(hosts.env["PAPERWIRE_INDEX"]).name)
    return row["recorded_papers_indexed"], row["recorded_embedded_fraction"]


def ingest(hosts: Hosts, *records: Any) -> None:
    """What an ingest does: records into the shared store."""
    with open_store(url=hosts.env["PAPERWIRE_DATABASE_URL"]) as store:
        upsert_records(store, list(records))


def search_ids(url: str, q: str, mode: str = "bm25") -> list[str]:
    """BM25 hits: papers holding a query word (hybrid would list every paper, by similarity)."""
    got = httpx.get(f"{url}/api/v1/search", params={"q": q, "mode": mode}, timeout=30)
    got.raise_for_status()
    return [h["id"] for h in got.json()["hits"]]


def within(seconds: float, check: Callable[[], bool], what: str) -> None:
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, what
        time.sleep(0.3)


def votes(url: str, paper_id: str) -> int:
    """The paper's votes as the host's trending list counts them (0 when it is not listed)."""
    got = httpx.get(f"{url}/api/v1/trending", params={"period": "day"}, timeout=30)
    got.raise_for_status()
    return sum(int(p.get("votes") or 0) for p in got.json()["papers"] if p["id"] == paper_id)


def post_as(url: str, hosts: Hosts, email: str, path: str, form: dict[str, str]) -> int:
    """POST as a user (session cookie and CSRF token made with the hosts' shared secret key, as
    the site makes them); the status the host acknowledged with."""
    settings = Settings(secret_key=hosts.env["PAPERWIRE_SECRET_KEY"])
    with open_store(url=hosts.env["PAPERWIRE_DATABASE_URL"]) as store:
        user, _ = create_user(store, email)
    nonce = secrets.token_urlsafe(24)
    cookies = {
        auth.CSRF_COOKIE: nonce,
        auth.SESSION_COOKIE: auth.serializer(settings, "session").dumps(
            {"u": user.id, "v": user.session_version}
        ),
    }
    form = form | {"csrf_token": auth.serializer(settings, "csrf").dumps(nonce)}
    return httpx.post(f"{url}{path}", data=form, cookies=cookies, timeout=60).status_code


def test_two_hosts_share_one_store_and_one_index(hosts: Hosts, arxiv: RecordedServer) -> None:
    ingest(hosts, *[arxiv_record(n, DAY, title=f"Graph networks {n}") for n in range(1, 4)])
    start_worker(hosts)
    a = hosts.serve("a", PAPERWIRE_ARXIV_API_URL=f"{arxiv.url}/api/query")
    b = hosts.serve("b")
    within(FOUND_WITHIN, lambda: len(search_ids(b, "graph networks")) == 3, "B never saw 3")

    # A paper ingested into the store: the worker applies it, B finds it in bounded time.
    ingest(hosts, arxiv_record(9, DAY, title="Zyzzogeton beetles", abstract="Beetle wings."))
    within(FOUND_WITHIN, lambda: search_ids(b, "zyzzogeton") == ["2607.00009"], "B: ingest")
    assert search_ids(a, "zyzzogeton") == ["2607.00009"]

    # A paper submitted on A (fetched from arXiv, queued for the worker): found on B.
    assert post_as(a, hosts, "sub@example.org", "/submit", {"paper": "2104.12255"}) == 303
    within(FOUND_WITHIN, lambda: "2104.12255" in search_ids(b, "cryptography"), "B: submit")

    # The worker's embedding (dense vectors in Milvus, token bits in the store), recorded in
    # the store: hybrid with the MaxSim rerank on B puts the paper first.
    within(60, lambda: embedded_fraction(hosts) == (5, 1.0), "the worker never embedded all")
    hybrid = search_ids(b, "beetle wings", mode="hybrid+rerank")
    assert hybrid[0] == "2607.00009"

    # A vote on A counts on B.
    assert votes(b, "2607.00009") == 0
    assert post_as(a, hosts, "voter@example.org", "/vote",
                   {"paper": "2607.00009", "action": "vote"}) == 303  # fmt: skip
    assert votes(b, "2607.00009") == 1

    # A dies mid-flight: B keeps serving, with everything A acknowledged.
    hosts.kill("a")
    assert search_ids(b, "zyzzogeton") == ["2607.00009"]
    assert "2104.12255" in search_ids(b, "cryptography")
    assert votes(b, "2607.00009") == 1
    assert len(search_ids(b, "graph networks")) == 3
