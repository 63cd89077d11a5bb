"""Recommendations delivered in the daily digest: a user who liked papers of one topic gets a
"Recommended for you" section of that topic, each paper with its reason, in both parts of the
mail (real SQLite store, HashEncoder index, real SMTP server on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from paperwire.digest.build import SECTION_TITLES, DigestBuilder
from paperwire.digest.send import send_digests
from paperwire.index.embedded import EmbeddedIndex
from paperwire.settings import Settings
from paperwire.store import Store, open_store
from paperwire.store.papers import upsert_records
from paperwire.store.subscriptions import add_subscription
from paperwire.store.users import create_user
from tests.support.mailserver import Capture, MailServer, body_text
from tests.support.recsdata import LATEST, build_index, number_of, pk_of, records, topic_of, vote

LIKED = (1, 2, 3)  # protein papers (numbers 1-40 are the protein topic)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("recs-digest")


@pytest.fixture(scope="module")
def corpus(home: Path) -> Iterator[tuple[Store, EmbeddedIndex]]:
    store = open_store(url=f"sqlite:///{home / 'paperwire.db'}")
    upsert_records(store, records())
    yield store, build_index(store)
    store.close()


def test_digest_recommends_papers_close_to_the_likes_with_reasons(
    corpus: tuple[Store, EmbeddedIndex], home: Path, mail_server: MailServer, mailbox: Capture
) -> None:
    store, index = corpus
    settings = Settings(home=home, smtp_host="127.0.0.1", smtp_port=mail_server.port, digest_size=5)
    fan, _ = create_user(store, "fan@example.org")
    add_subscription(store, fan.id, "recs")
    for n in LIKED:
        vote(store, fan.id, pk_of(store, n))
    newcomer, _ = create_user(store, "new@example.org")  # recs but no likes: nothing to send
    add_subscription(store, newcomer.id, "recs")

    digest = DigestBuilder(settings, store, index, LATEST).build(fan)
    [section] = digest.sections
    assert section.kind == "recs" and section.title == SECTION_TITLES["recs"]
    assert len(section.papers) == 5
    liked = {pk_of(store, n) for n in LIKED}
    for paper in section.papers:
        assert paper.pk not in liked  # never recommends what was liked
        assert topic_of(number_of(store, paper.pk)) == "protein"
        assert paper.reason and "you liked" in paper.reason

    summary = send_digests(settings, day=LATEST, store=store, index=index, base_delay=0.01)
    assert summary.sent == 1 and summary.empty == 1
    [mail] = mailbox.wait_for(1)
    assert "fan@example.org" in str(mail["To"])
    text, html = body_text(mail), body_text(mail, "html")
    assert SECTION_TITLES["recs"] in text and SECTION_TITLES["recs"] in html
    first = section.papers[0]
    assert first.reason is not None
    assert first.reason.split(";")[0] in text  # "close to “…” you liked"
    assert first.title in text
