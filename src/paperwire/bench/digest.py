"""`paperwire bench digest`: how fast a digest run delivers, against raw smtplib.

Builds a temporary store from the bundled demo corpus (ingest + lexical index), adds N
subscribers each with "trending" and one saved search (a word from a title of the newest
listing day, from a pool of 200, so most saved searches find papers), starts a local aiosmtpd
server in a separate process that counts messages (and hands the count back), and runs
`send_digests` for the newest listing day: build, render, claim/send/record each digest through
the outbox, one SMTP connection on 127.0.0.1. Reported: messages/s over the whole run, the
count the server received, and where the time went.

Same-run baseline: raw `smtplib` sending one prebuilt digest (a real rendered one, as bytes)
over one connection to the same server, as fast as it goes: the ceiling set by the SMTP round
trips and the server. The ratio paperwire / baseline says what the outbox, the content and the
rendering cost on top. The server runs in its own process (as a real MTA would), so it does not
take the sender's GIL; it shares the machine's cores with the sender in both runs.
"""

from __future__ import annotations

import multiprocessing
import random
import re
import smtplib
import socket
import tempfile
import time
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from paperwire.bench.machine import describe_machine
from paperwire.errors import ConfigError

GOAL_PER_S = 200.0
QUERY_POOL = 200
_WORD = re.compile(r"[A-Za-z][A-Za-z-]{5,}")


class _Counter:
    """The server's handler: counts accepted messages in memory shared with the benchmark."""

    def __init__(self, count: Synchronized[int]) -> None:
        self.count = count

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.count.get_lock():
            self.count.value += 1
        return "250 OK"


def _serve(port: int, count: Synchronized[int], ready: Event, stop: Event) -> None:
    """The SMTP server process: aiosmtpd on 127.0.0.1:`port` until `stop` is set."""
    from aiosmtpd.controller import Controller

    controller = Controller(_Counter(count), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    try:
        stop.wait()
    finally:
        controller.stop()


class _Server:
    """The counting SMTP server in its own (spawned) process."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.port = _free_port()
        self.count: Synchronized[int] = ctx.Value("q", 0)
        self.ready, self.stop_event = ctx.Event(), ctx.Event()
        self.process = ctx.Process(
            target=_serve, args=(self.port, self.count, self.ready, self.stop_event), daemon=True
        )

    def start(self) -> None:
        self.process.start()
        if not self.ready.wait(60):
            self.process.kill()
            raise ConfigError("the benchmark's SMTP server process did not start")

    @property
    def received(self) -> int:
        return int(self.count.value)

    def stop(self) -> None:
        self.stop_event.set()
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _queries(titles: list[str], rng: random.Random) -> list[str]:
    words = sorted({w.lower() for t in titles for w in _WORD.findall(t)})
    rng.shuffle(words)
    return words[:QUERY_POOL] or ["learning"]


def bench_digest(subscribers: int = 10_000, *, baseline_messages: int = 10_000) -> dict[str, Any]:
    try:
        import aiosmtpd.controller  # noqa: F401 - the server process imports it
    except ImportError as exc:  # a bench/test extra, not a runtime dependency
        raise ConfigError("the digest benchmark needs aiosmtpd: pip install aiosmtpd") from exc

    from paperwire.demo import build_demo
    from paperwire.digest.build import DigestBuilder
    from paperwire.digest.render import Renderer
    from paperwire.digest.send import send_digests
    from paperwire.index.manager import open_index, update_index
    from paperwire.settings import Settings
    from paperwire.store import open_store
    from paperwire.store.digests import seed_subscribers
    from paperwire.store.listing import latest_listing_day, list_range
    from paperwire.store.users import get_user_by_email

    rng = random.Random(7)
    server = _Server()
    server.start()
    try:
        with tempfile.TemporaryDirectory(prefix="paperwire-bench-digest-") as tmp:
            settings = Settings(
                home=Path(tmp),
                secret_key="bench-digest",
                smtp_host="127.0.0.1",
                smtp_port=server.port,
                base_url="https://papers.example.org",
                mail_from="paperwire <digest@papers.example.org>",
            )
            started = time.perf_counter()
            store = open_store(settings)
            try:
                build_demo(store)
                index = open_index(settings)
                update_index(store, index)
                day = latest_listing_day(store)
                assert day is not None
                titles = [r["title"] for r in list_range(store, first=day, last=day, limit=5000)]
                pool = _queries(titles, rng)
                people = [
                    (
                        f"reader{i}@bench.example.org",
                        [("trending", None), ("search", rng.choice(pool))],
                    )
                    for i in range(subscribers)
                ]
                seed_subscribers(store, people)
                setup_s = time.perf_counter() - started

                summary = send_digests(settings, day=day, store=store, index=index)
                received = server.received

                # The baseline's message: a real digest, rendered once.
                first = get_user_by_email(store, people[0][0])
                assert first is not None
                digest = DigestBuilder(settings, store, index, day).build(first, exclude=())
                data = Renderer(settings).outgoing(digest).data  # the bytes a run sends
            finally:
                store.close()
        before = server.received
        base = _baseline(server.port, data, baseline_messages)
        base["received_by_server"] = server.received - before
    finally:
        server.stop()
    per_s = summary.sent / summary.seconds if summary.seconds else 0.0
    return {
        "subscribers": subscribers,
        "day": day.isoformat(),
        "papers_that_day": len(titles),
        "setup_s": round(setup_s, 2),
        "run": summary.as_dict(),
        "received_by_server": received,
        "messages_per_s": round(per_s, 1),
        "goal_messages_per_s": GOAL_PER_S,
        "meets_goal": per_s >= GOAL_PER_S,
        "message_bytes": len(data),
        "baseline_raw_smtplib": base,
        "ratio_vs_raw_smtplib": round(per_s / base["messages_per_s"], 3)
        if base["messages_per_s"]
        else None,
        "machine": describe_machine(),
    }


def _baseline(port: int, data: bytes, messages: int) -> dict[str, Any]:
    """Raw smtplib: one connection, the same prebuilt message `messages` times."""
    conn = smtplib.SMTP("127.0.0.1", port, timeout=30)
    try:
        started = time.perf_counter()
        for i in range(messages):
            conn.sendmail("digest@papers.example.org", [f"reader{i}@bench.example.org"], data)
        seconds = time.perf_counter() - started
    finally:
        conn.quit()
    return {
        "messages": messages,
        "seconds": round(seconds, 3),
        "messages_per_s": round(messages / seconds, 1) if seconds else 0.0,
    }
