"""`paperwire bench soak`: the site over time under a mixed workload, with writes in the window.

Builds a store from most of the per-day files (ingest + lexical index), starts `paperwire serve
--workers 2` on 127.0.0.1, and runs N client threads (keep-alive, closed loop) over lists,
search, paper pages, feeds, the JSON API, sign-in posts, votes and bookmarks, while the rest of
the day files are ingested, `index update` runs and a bounded `index embed` runs, in their own
processes, in the same window. Reports errors (non-2xx/3xx answers and transport errors; a 429
on a sign-in post is the rate limit working and is counted apart), writes acknowledged vs found
in the store afterwards (votes, bookmarks), the resident memory of each server process after
the first minute (or a tenth of the run when shorter) and at the end, and p50/p95 per route.
"""

from __future__ import annotations

import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from paperwire.bench.load import build_store, make_queries, running_server
from paperwire.bench.machine import describe_machine
from paperwire.ingest.files import DailyJsonl
from paperwire.settings import Settings

Route = tuple[str, str, Callable[["Client"], httpx.Response]]


@dataclass
class Tally:
    """What all clients saw; one lock, appended to from every thread."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    rate_limited: int = 0
    votes: set[tuple[int, int]] = field(default_factory=set)  # (user id, paper pk) acknowledged
    bookmarks: set[tuple[int, int]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Client:
    http: httpx.Client
    user_id: int
    papers: list[tuple[int, str]]  # (pk, id)
    queries: list[str]
    rng: random.Random
    voted: int = 0
    bookmarked: int = 0


def _worker_rss(pids: list[int]) -> dict[str, int]:
    out = {}
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out[str(pid)] = int(line.split()[1]) // 1024
        except OSError:
            out[str(pid)] = 0
    return out


def _server_workers(supervisor: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(supervisor)], capture_output=True)
    pids = [int(p) for p in out.stdout.split()]
    return [p for p in pids if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]


def _routes() -> list[tuple[str, int, Callable[[Client], httpx.Response]]]:
    def paper(c: Client) -> tuple[int, str]:
        return c.rng.choice(c.papers)

    def post(c: Client, path: str, data: dict[str, str]) -> httpx.Response:
        return c.http.post(path, data=data)

    return [
        ("GET /", 10, lambda c: c.http.get("/")),
        ("GET /category/C", 5, lambda c: c.http.get("/category/cs.LG")),
        ("GET /trending", 5, lambda c: c.http.get("/trending")),
        (
            "GET /search",
            20,
            lambda c: c.http.get("/search", params={"q": c.rng.choice(c.queries), "mode": "bm25"}),
        ),
        ("GET /paper/ID", 15, lambda c: c.http.get(f"/paper/{paper(c)[1]}")),
        ("GET /feed.atom", 5, lambda c: c.http.get("/feed.atom")),
        ("GET /api/v1/days/latest", 5, lambda c: c.http.get("/api/v1/days/latest")),
        (
            "GET /api/v1/search",
            10,
            lambda c: c.http.get(
                "/api/v1/search", params={"q": c.rng.choice(c.queries), "mode": "bm25"}
            ),
        ),
        ("GET /api/v1/papers/ID", 5, lambda c: c.http.get(f"/api/v1/papers/{paper(c)[1]}")),
        ("POST /signin", 1, lambda c: post(c, "/signin", {"email": f"soak{c.rng.random()}@x.org"})),
        ("POST /vote", 6, lambda c: _vote(c)),
        ("POST /bookmark", 6, lambda c: _bookmark(c)),
    ]


def _vote(c: Client) -> httpx.Response:
    pk, paper_id = c.papers[c.voted % len(c.papers)]
    c.voted += 1
    response = c.http.post("/vote", data={"paper": paper_id, "action": "vote"})
    response.extensions["ack"] = ("vote", c.user_id, pk)
    return response


def _bookmark(c: Client) -> httpx.Response:
    pk, paper_id = c.papers[-1 - c.bookmarked % len(c.papers)]
    c.bookmarked += 1
    response = c.http.post("/bookmark", data={"paper": paper_id})
    response.extensions["ack"] = ("bookmark", c.user_id, pk)
    return response


def _client_loop(c: Client, tally: Tally, deadline: float, pace: float) -> None:
    routes = _routes()
    names, weights = [r[0] for r in routes], [r[1] for r in routes]
    calls = {r[0]: r[2] for r in routes}
    while time.monotonic() < deadline:
        name = c.rng.choices(names, weights)[0]
        started = time.perf_counter()
        try:
            response = calls[name](c)
            status, note = response.status_code, ""
        except httpx.HTTPError as exc:
            response, status, note = None, 0, f"{type(exc).__name__}: {exc}"
        took = time.perf_counter() - started
        with tally.lock:
            tally.latencies[name].append(took)
            if status == 429 and name == "POST /signin":
                tally.rate_limited += 1
            elif not 200 <= status < 400:
                tally.errors[name] += 1
                if len(tally.error_samples) < 20:
                    tally.error_samples.append(f"{name}: {status} {note}"[:300])
            elif response is not None and "ack" in response.extensions:
                kind, user, pk = response.extensions["ack"]
                (tally.votes if kind == "vote" else tally.bookmarks).add((user, pk))
        if pace:
            time.sleep(pace)


def _writers(home: Path, later: list[Path], embed: int, log: Path) -> list[dict[str, Any]]:
    """Ingest the held-back days, update the index, embed: each a `paperwire` process."""
    base = [
        sys.executable,
        "-m",
        "paperwire",
        "--home",
        str(home),
        "--db",
        f"sqlite:///{home / 'paperwire.db'}",
    ]
    steps = [["ingest", "daily", *map(str, later), "--json"], ["index", "update", "--json"]]
    if embed:
        steps.append(["index", "embed", "--limit", str(embed), "--json"])
    out = []
    with log.open("ab") as fh:
        for step in steps:
            started = time.perf_counter()
            code = subprocess.run([*base, *step], stdout=fh, stderr=subprocess.STDOUT).returncode
            out.append(
                {
                    "step": " ".join(step[:2]),
                    "exit_code": code,
                    "seconds": round(time.perf_counter() - started, 1),
                }
            )
    return out


def _make_clients(
    settings: Settings, url: str, count: int, seed: int, queries: list[str]
) -> list[Client]:
    from paperwire.signing import serializer
    from paperwire.store import open_store
    from paperwire.store.papers import list_papers
    from paperwire.store.users import create_user
    from paperwire.web.auth import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE

    clients = []
    with open_store(settings) as store:
        rows = list_papers(store, limit=2000)
        from paperwire.store.papers import find_paper

        papers = [find_paper(store, r["id"]) for r in rows]
        for i in range(count):
            user, _ = create_user(store, f"soak-client-{i}-{secrets.token_hex(3)}@example.org")
            nonce = secrets.token_urlsafe(16)
            cookies = {
                SESSION_COOKIE: serializer(settings, "session").dumps({"u": user.id, "v": 0}),
                CSRF_COOKIE: nonce,
            }
            headers = {CSRF_HEADER: serializer(settings, "csrf").dumps(nonce)}
            http = httpx.Client(base_url=url, cookies=cookies, headers=headers, timeout=60)
            rng = random.Random(seed + i)
            mine = rng.sample(papers, min(200, len(papers)))
            clients.append(Client(http, user.id, mine, queries, rng))
    return clients


def _stored(settings: Settings, tally: Tally) -> dict[str, int]:
    from paperwire.store import open_store
    from paperwire.store.collections import collections_with
    from paperwire.store.votes import has_voted

    with open_store(settings) as store:
        votes = sum(has_voted(store, u, pk) for u, pk in tally.votes)
        marks = sum(bool(collections_with(store, u, pk)) for u, pk in tally.bookmarks)
    return {"votes_stored": votes, "bookmarks_stored": marks}


def _percentiles(values: list[float]) -> dict[str, float]:
    s = sorted(values)

    def at(q: float) -> float:
        return round(1000 * s[min(len(s) - 1, int(q * len(s)))], 1)

    return {"requests": len(s), "p50_ms": at(0.5), "p95_ms": at(0.95), "max_ms": at(1.0)}


def bench_soak(
    paths: list[Path],
    *,
    duration_s: int = 600,
    clients: int = 20,
    workers: int = 2,
    embed: int = 200,
    hold_back: int = 5,
    pace: float = 0.0,
    workdir: Path | None = None,
    seed: int = 7,
) -> dict[str, Any]:
    """Soak the site for `duration_s` with `clients` threads; `hold_back` day files are
    ingested (and indexed, `embed` papers embedded) during the run."""
    files = DailyJsonl(paths).files
    first, later = files[:-hold_back] or files, files[-hold_back:] if hold_back else []
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        home, work = Path(tmp) / "home", Path(tmp)
        built = build_store(home, first, embed=0, encoder=None)
        settings = Settings(home=home, database_url=None)
        queries = make_queries(first, 200)
        tally = Tally()
        with running_server(home, work, workers=workers) as server:
            pids = _server_workers(server.proc.pid)
            crowd = _make_clients(settings, server.url, clients, seed, queries)
            deadline = time.monotonic() + duration_s
            threads = [
                threading.Thread(target=_client_loop, args=(c, tally, deadline, pace))
                for c in crowd
            ]
            writes: list[dict[str, Any]] = []
            writer = threading.Thread(
                target=lambda: writes.extend(_writers(home, later, embed, work / "writers.log"))
            )
            for t in [*threads, writer]:
                t.start()
            time.sleep(min(60.0, duration_s / 10))
            rss_first = _worker_rss(pids)
            for t in threads:
                t.join()
            rss_end = _worker_rss(pids)
            writer.join()
            for c in crowd:
                c.http.close()
        stored = _stored(settings, tally)
    growth = {
        pid: round(rss_end[pid] / rss_first[pid] - 1, 3) if rss_first.get(pid) else None
        for pid in rss_end
    }
    return {
        "duration_s": duration_s,
        "clients": clients,
        "workers": workers,
        "store": built,
        "writers": writes,
        "errors": sum(tally.errors.values()),
        "errors_by_route": dict(tally.errors),
        "error_samples": tally.error_samples,
        "signin_rate_limited": tally.rate_limited,
        "votes_acknowledged": len(tally.votes),
        "bookmarks_acknowledged": len(tally.bookmarks),
        **stored,
        "lost_writes": len(tally.votes) + len(tally.bookmarks) - sum(stored.values()),
        "worker_rss_mib_after_first_minute": rss_first,
        "worker_rss_mib_at_end": rss_end,
        "worker_rss_growth": growth,
        "rss_within_10_percent": all(g is not None and abs(g) <= 0.10 for g in growth.values()),
        "routes": {name: _percentiles(v) for name, v in sorted(tally.latencies.items())},
        "machine": describe_machine(),
    }
