"""The daily pipeline over three simulated days, against a real HTTP server on 127.0.0.1 that
answers with recorded arXiv OAI-PMH, arXiv RSS and Hugging Face responses, a real SMTP server,
real SQLite and the real encoder; the clock is the cycle's `now` (`--at` in a subprocess).

Day 1 (Mon): OAI, RSS (no entries) and HF. Day 2: the worker process is SIGKILLed mid-cycle
(on its HF request, after OAI and RSS are done) and restarted. Day 3: OAI answers 503 at the
first cycle and is caught up at the next one; the digest waits for it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from paperwire.index.manager import index_status, open_index
from paperwire.pipeline import run_cycle
from paperwire.settings import Settings
from paperwire.store import Store, open_store
from paperwire.store.digests import get_outbox, sent_items
from paperwire.store.pipeline import runs_of
from paperwire.store.reading import papers_by_pk
from paperwire.store.subscriptions import add_subscription
from paperwire.store.users import create_user
from paperwire.web.app import create_app
from tests.support.httpserver import RecordedServer, Reply
from tests.support.mailserver import Capture
from tests.support.shared_data import need

ET = ZoneInfo("America/New_York")
DAYS = {1: date(2026, 7, 6), 2: date(2026, 7, 7), 3: date(2026, 7, 8)}  # Mon, Tue, Wed
TOKEN = "726959|1001"
PEOPLE = ["ada@example.org", "bob@example.org", "cy@example.org"]
EXPECTED = {
    1: {"1412.8544", "2410.17243", "2410.16251"},
    2: {"0704.0471", "0704.0716", "0704.0874", "0704.1109", "0704.1114", "0704.1586",
        "1302.2146"},
    3: {"hep-th/9504118", "2508.13426", "2508.13428", "2508.13429", "2508.13434",
        "2508.13435", "2508.14001", "2508.14002"},
}  # fmt: skip


def at(day: int, hhmm: str) -> datetime:
    hours, minutes = hhmm.split(":")
    return datetime.combine(DAYS[day], datetime.min.time(), ET).replace(
        hour=int(hours), minute=int(minutes)
    )


class Recorded:
    """What the sources answer on each simulated day (bodies are the recorded ones)."""

    def __init__(self, fixtures: Path) -> None:
        raw = need(fixtures / "oai-pmh" / "arxivRaw-mikesaelim")
        nock = fixtures / "oai-pmh" / "arXiv-paperhive-nock"
        self.oai = {
            1: (nock / "response.GetRecord_arXiv_1412.8544.xml").read_bytes(),
            2: (raw / "ListRecordsResponse.xml").read_bytes(),
            3: (nock / "response.ListRecords_arXiv_2015-01-01_2015-01-03.xml").read_bytes(),
        }
        # The final page after TOKEN: the real arXivRaw GetRecord answer as a ListRecords page.
        page_two = (raw / "GetRecordResponse.xml").read_text("utf-8")
        self.page_two = (
            page_two.replace("<GetRecord>", "<ListRecords>")
            .replace("</GetRecord>", "</ListRecords>")
            .encode()
        )
        self.busy = nock / "response.ListRecords_arXiv_2015-01-01_2015-01-03.HTTP503.html"
        self.feed = (fixtures / "rss" / "arxiv_rss_example.xml").read_bytes()
        # Days without new submissions: the same feed with its entries taken out.
        self.empty_feed = re.sub(rb"<entry>.*?</entry>\s*", b"", self.feed, flags=re.S)
        self.hf = (
            fixtures / "hf-daily-papers" / "daily_papers.2024-10-25.first2.json"
        ).read_bytes()
        self.day = 1
        self.oai_down = False
        self.kill_on_hf: subprocess.Popen[bytes] | None = None

    def route(self, path: str, query: dict[str, str]) -> Reply:
        if path == "/oai":
            if self.oai_down:
                return Reply(503, self.busy.read_bytes(), {"Retry-After": "10"})
            if query.get("resumptionToken") == TOKEN:
                return Reply(200, self.page_two, {"Content-Type": "text/xml"})
            return Reply(200, self.oai[self.day], {"Content-Type": "text/xml"})
        if path == "/rss/cs":
            body = self.feed if self.day == 3 else self.empty_feed
            return Reply(200, body, {"Content-Type": "application/atom+xml"})
        if path == "/hf":
            if self.kill_on_hf is not None:
                os.kill(self.kill_on_hf.pid, signal.SIGKILL)
                self.kill_on_hf.wait(10)
                self.kill_on_hf = None
            return Reply(200, self.hf, {"Content-Type": "application/json"})
        return Reply(404, b"not here")


@pytest.fixture
def recorded(fixtures_dir: Path) -> Recorded:
    return Recorded(fixtures_dir)


@pytest.fixture
def server(recorded: Recorded) -> Any:
    with RecordedServer(recorded.route) as srv:
        yield srv


@pytest.fixture
def settings(tmp_path: Path, server: RecordedServer, mail_server: Any) -> Settings:
    return Settings(
        home=tmp_path / "home",
        secret_key="pipeline-test-secret-key-0123456789",
        smtp_host="127.0.0.1",
        smtp_port=mail_server.port,
        smtp_timeout=10,
        base_url="https://papers.example.org",
        digest_size=20,
        sources="oai,rss,hf-daily",
        categories="cs",
        oai_url=f"{server.url}/oai",
        arxiv_rss_url=f"{server.url}/rss/{{category}}",
        hf_daily_url=f"{server.url}/hf",
        request_interval=0,
        http_retries=1,
        timezone="America/New_York",
        harvest_time="20:30",
        digest_time="21:00",
        ingest_batch_size=2,
        worker_lease_seconds=30,
    )


def env_of(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    for name, value in settings.model_dump().items():
        if value is not None:
            env[f"PAPERWIRE_{name.upper()}"] = (
                str(value).lower() if isinstance(value, bool) else str(value)
            )
    return env


def daily(settings: Settings, when: datetime) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "paperwire", "daily", "--at", when.isoformat(), "--json"]
    return subprocess.Popen(
        cmd, env=env_of(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def on_site(settings: Settings, ids: set[str]) -> None:
    """Each paper has its page, and is found by the JSON search API."""
    with TestClient(create_app(settings, check_every=0)) as client:
        for paper_id in ids:
            assert client.get(f"/paper/{paper_id}").status_code == 200, paper_id
        about = client.get("/api/v1/status").json()
        assert about["index"]["up_to_date"]


def serve_while(settings: Settings, proc: subprocess.Popen[bytes]) -> list[int]:
    """Status codes of site and search requests made while `proc` (a cycle) runs."""
    codes: list[int] = []
    with TestClient(create_app(settings, check_every=0)) as client:
        while proc.poll() is None and len(codes) < 2000:
            codes.append(client.get("/").status_code)
            codes.append(client.get("/api/v1/search?q=quantum").status_code)
    return codes


def embedded_all(settings: Settings, store: Store) -> None:
    status = index_status(store, open_index(settings))
    assert status["up_to_date"] and status["embedded_fraction"] == 1.0, status


def digests_by_day(store: Store, user_id: int) -> dict[date, set[str]]:
    items = sent_items(store, user_id)
    rows = papers_by_pk(store, [pk for pk, _ in items], columns=["id"])
    found: dict[date, set[str]] = {}
    for pk, day in items:
        found.setdefault(day, set()).add(rows[pk]["id"])
    return found


def harvest_finished(store: Store, day: date) -> datetime:
    runs = [
        r for r in runs_of(store, day=day) if r.step.startswith("harvest:") and r.status == "done"
    ]
    return max(r.finished for r in runs if r.finished)


def test_three_days_with_a_kill_and_a_source_down(
    settings: Settings, recorded: Recorded, server: RecordedServer, mailbox: Capture
) -> None:
    store = open_store(settings)
    users = []
    for email in PEOPLE:
        user, _ = create_user(store, email)
        add_subscription(store, user.id, "trending")
        users.append(user)
    waits: list[float] = []

    # --- day 1: harvested at 20:45, not mailed before the digest time, mailed at 21:05 ---
    report = run_cycle(settings, now=at(1, "20:45"), store=store, sleep=waits.append)
    assert report.failed == [] and report.slot == DAYS[1] and report.digest == "not due"
    assert mailbox.messages == []
    on_site(settings, EXPECTED[1])
    embedded_all(settings, store)
    first_oai = next(q for p, q in server.requests if p == "/oai")
    assert first_oai["from"] == "2026-07-03"  # the first harvest: harvest_backfill_days back
    assert run_cycle(settings, now=at(1, "21:05"), store=store).digest == "sent"
    assert len(mailbox.wait_for(3)) == 3
    assert run_cycle(settings, now=at(1, "21:30"), store=store).digest == "already sent"

    # --- day 2: the worker process is killed mid-cycle, then run again ---
    recorded.day = 2
    seen = len(server.requests)
    recorded.kill_on_hf = killed = daily(settings, at(2, "20:45"))
    killed.wait(120)
    assert killed.returncode == -signal.SIGKILL
    kept = {r.step: r.status for r in runs_of(store, day=DAYS[2])}
    assert kept == {
        "harvest:oai:cs": "done",
        "harvest:rss:cs": "done",
        "harvest:hf-daily": "running",
    }
    oai_asks = [q for p, q in server.requests[seen:] if p == "/oai"]
    assert [q.get("from") for q in oai_asks] == ["2015-01-03", None]  # incremental, then TOKEN
    seen = len(server.requests)
    again = daily(settings, at(2, "20:45"))
    answered = serve_while(settings, again)
    out, err = again.communicate(timeout=120)
    assert answered and set(answered) == {200}  # the site and search kept answering
    assert again.returncode == 0, err.decode()[-2000:]
    # The restart resumed: what was done is not asked again, what was cut off is.
    assert [p for p, _ in server.requests[seen:]] == ["/hf"]
    result = json.loads(out)
    assert result["steps"][0]["step"] == "harvest:hf-daily"
    statuses = Counter(r.status for r in runs_of(store, step="harvest:hf-daily", day=DAYS[2]))
    assert statuses == Counter({"interrupted": 1, "done": 1})
    assert mailbox.messages[3:] == []
    on_site(settings, EXPECTED[2])
    embedded_all(settings, store)
    assert run_cycle(settings, now=at(2, "21:05"), store=store).digest == "sent"
    mailbox.wait_for(6)

    # --- day 3: OAI answers 503 (after retrying with backoff): skipped, caught up next cycle ---
    recorded.day, recorded.oai_down = 3, True
    report = run_cycle(settings, now=at(3, "20:45"), store=store, sleep=waits.append)
    assert report.failed == ["harvest:oai:cs"]
    assert waits == [10.0]  # Retry-After honoured once (http_retries=1), then skipped
    assert run_cycle(settings, now=at(3, "21:05"), store=store).digest == (
        "waiting for harvest:oai:cs"
    )
    assert len(mailbox.messages) == 6
    recorded.oai_down = False
    report = run_cycle(settings, now=at(3, "21:20"), store=store)
    assert report.steps[0]["step"] == "harvest:oai:cs" and report.failed == []
    assert report.digest == "sent"
    on_site(settings, EXPECTED[3])
    embedded_all(settings, store)
    mailbox.wait_for(9)

    # --- every subscriber: exactly one digest a day, with that day's papers, after its ingest ---
    assert Counter(m["To"].addresses[0].addr_spec for m in mailbox.messages) == Counter(
        {p: 3 for p in PEOPLE}
    )
    for user in users:
        assert digests_by_day(store, user.id) == {DAYS[d]: EXPECTED[d] for d in DAYS}
    for d in DAYS:
        row = get_outbox(store, users[0].id, DAYS[d])
        assert row is not None and row.status == "sent"
        (digest,) = runs_of(store, step="digest", day=DAYS[d])
        assert digest.status == "done" and digest.started > harvest_finished(store, DAYS[d])
    store.close()
