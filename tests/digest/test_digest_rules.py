"""The user's saved list rules in the digest: category chips and "has code" (saved on
/account/filters like keyword rules) narrow every section, through a real digest run (the
`mailbox` SMTP server, a real SQLite store and index)."""

from __future__ import annotations

from datetime import timedelta

from paperwire.digest.send import send_digests
from paperwire.index.manager import open_index, update_index
from paperwire.settings import Settings
from paperwire.store import Store
from paperwire.store.papers import upsert_records
from paperwire.store.rules import add_rule, set_categories
from tests.support.digestdata import DAY2, Subscriber
from tests.support.mailserver import Capture, body_text
from tests.support.paperfactory import arxiv_record

DAY3 = DAY2 + timedelta(days=1)
CODE = ["https://github.com/example/code"]
PAPERS = {  # number: (categories, code links)
    50: (["cs.RO"], CODE),
    51: (["cs.RO", "cs.LG"], []),
    52: (["cs.CL"], CODE),
    53: (["cs.CL"], []),
    54: (["cs.LG", "cs.RO"], CODE),  # a cross-list counts
}


def _day3(store: Store, settings: Settings) -> None:
    upsert_records(
        store,
        [
            arxiv_record(n, DAY3, title=f"Fresh paper {n}", categories=cats, links=links)
            for n, (cats, links) in PAPERS.items()
        ],
    )
    update_index(store, open_index(settings))


def _ids(text: str) -> set[int]:
    return {n for n in PAPERS if f"2607.{n:05d}" in text}


def test_chips_and_has_code_narrow_the_digest(
    settings: Settings, dstore: Store, subscriber: Subscriber, mailbox: Capture
) -> None:
    _day3(dstore, settings)
    subscriber("plain@example.org", "trending")
    chips = subscriber("chips@example.org", "trending")
    add_rule(dstore, chips.id, "chip", "cs.RO")
    both = subscriber("both@example.org", "trending")
    add_rule(dstore, both.id, "chip", "cs.RO")
    add_rule(dstore, both.id, "chip", "cs.CL")
    add_rule(dstore, both.id, "code", "")
    picked = subscriber("picked@example.org", "trending")
    set_categories(dstore, picked.id, ["cs.CL"])  # onboarding categories: an order, no filter
    assert send_digests(settings, day=DAY3, store=dstore).sent == 4
    got = {m["To"]: _ids(body_text(m)) for m in mailbox.wait_for(4)}
    assert got["plain@example.org"] == set(PAPERS)
    assert got["chips@example.org"] == {50, 51, 54}
    assert got["both@example.org"] == {50, 52, 54}
    assert got["picked@example.org"] == set(PAPERS)


def test_rules_leaving_nothing_send_no_mail(
    settings: Settings, dstore: Store, subscriber: Subscriber, mailbox: Capture
) -> None:
    _day3(dstore, settings)
    user = subscriber("narrow@example.org", "trending")
    add_rule(dstore, user.id, "chip", "hep-th")
    summary = send_digests(settings, day=DAY3, store=dstore)
    assert (summary.sent, summary.empty) == (0, 1)
    assert mailbox.messages == []
