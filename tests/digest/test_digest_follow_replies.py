"""The digest's sections for followed authors and its reply notices, through real digest runs
(the `mailbox` SMTP server, a real SQLite store and index)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from paperwire.digest.send import send_digests
from paperwire.index.manager import open_index, update_index
from paperwire.settings import Settings
from paperwire.store import Store
from paperwire.store import comments as sc
from paperwire.store import digests as outbox
from paperwire.store.papers import find_paper, upsert_records
from paperwire.store.replies import set_notify_replies
from paperwire.store.schema import digest_outbox
from paperwire.store.subscriptions import add_subscription
from paperwire.store.users import User, create_user
from tests.support.digestdata import DAY2, Subscriber
from tests.support.mailserver import Capture, body_text
from tests.support.paperfactory import arxiv_record

DAY3 = DAY2 + timedelta(days=1)


def follow(store: Store, user: User, key: str) -> None:
    add_subscription(store, user.id, "author", key)


def test_followed_author_section_then_only_new_papers(
    settings: Settings, dstore: Store, mailbox: Capture
) -> None:
    fan, _ = create_user(dstore, "fan@example.org")
    follow(dstore, fan, "author-12")  # "Author 12": paper 2607.00012 of DAY2 alone
    assert send_digests(settings, day=DAY2, store=dstore).sent == 1
    [msg] = mailbox.wait_for(1)
    assert "1 by Author 12" in msg["Subject"]
    text = body_text(msg)
    assert "== New papers by Author 12 ==" in text and "2607.00012" in text
    # A paper by them ingested after that digest: the next one holds it, and it alone.
    new = arxiv_record(40, DAY3, title="Fresh work", authors=["Author 12", "Someone Else"])
    upsert_records(dstore, [new])
    update_index(dstore, open_index(settings))
    mailbox.clear()
    assert send_digests(settings, day=DAY3, store=dstore).sent == 1
    [msg] = mailbox.wait_for(1)
    text = body_text(msg)
    assert "Fresh work" in text and "2607.00040" in text and "2607.00012" not in text


def test_nothing_new_from_an_author_is_no_mail(
    settings: Settings, dstore: Store, mailbox: Capture
) -> None:
    fan, _ = create_user(dstore, "quiet@example.org")
    follow(dstore, fan, "nobody-here")
    summary = send_digests(settings, day=DAY2, store=dstore)
    assert (summary.sent, summary.empty) == (0, 1)


def _comment(store: Store, user: User, paper: str, body: str, parent: int | None = None) -> int:
    pk, _ = find_paper(store, paper)
    now = datetime.combine(DAY2, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    return sc.add_comment(store, paper_pk=pk, user_id=user.id, body=body, parent_id=parent, now=now)


def test_reply_notice_told_once_and_only_real_replies(
    settings: Settings, dstore: Store, subscriber: Subscriber, mailbox: Capture
) -> None:
    ada = subscriber("ada@example.org", "trending")
    bob, _ = create_user(dstore, "bob@example.org", name="Bob <b>B</b>")
    top = _comment(dstore, ada, "2607.00011", "My question")
    told = _comment(dstore, bob, "2607.00011", "An answer <script>x()</script>", top)
    _comment(dstore, ada, "2607.00011", "answering myself", top)  # never told
    hidden = _comment(dstore, bob, "2607.00011", "rude", top)
    moderator, _ = create_user(dstore, "mod@example.org")
    sc.set_moderator(dstore, moderator.id, True)
    sc.set_hidden(dstore, comment_id=hidden, moderator_id=moderator.id, hidden=True)
    gone = _comment(dstore, bob, "2607.00011", "oops", top)
    sc.delete_comment(dstore, comment_id=gone, user_id=bob.id)

    assert send_digests(settings, day=DAY2, store=dstore).sent == 1
    [msg] = mailbox.wait_for(1)
    assert msg["Subject"].endswith(", 1 reply to you")
    text, html = body_text(msg), body_text(msg, "html")
    assert "== Replies to your comments ==" in text
    assert "Bob <b>B</b> replied on" in text and "An answer <script>x()</script>" in text
    assert f"/paper/2607.00011#c-{told}" in text
    assert "answering myself" not in text and "rude" not in text and "oops" not in text
    assert "<script>" not in html and "An answer &lt;script&gt;x()&lt;/script&gt;" in html
    assert "Bob &lt;b&gt;B&lt;/b&gt;" in html

    # The next day's digest does not tell it again.
    mailbox.clear()
    send_digests(settings, day=DAY3, store=dstore)
    for sent in list(mailbox.messages):
        assert "Replies to your comments" not in body_text(sent)


def test_a_digest_with_replies_alone_is_sent(
    settings: Settings, dstore: Store, subscriber: Subscriber, mailbox: Capture
) -> None:
    ada = subscriber("lone@example.org", "no such words anywhere")
    bob, _ = create_user(dstore, "bob2@example.org")
    top = _comment(dstore, ada, "2607.00012", "Anyone?")
    _comment(dstore, bob, "2607.00012", "Yes, me", top)
    assert send_digests(settings, day=DAY2, store=dstore).sent == 1
    [msg] = mailbox.wait_for(1)
    assert "Yes, me" in body_text(msg)
    row = outbox.get_outbox(dstore, ada.id, DAY2)
    assert row is not None and row.status == "sent" and row.paper_pks == []


def test_switched_off_no_notice(
    settings: Settings, dstore: Store, subscriber: Subscriber, mailbox: Capture
) -> None:
    ada = subscriber("off@example.org", "trending")
    set_notify_replies(dstore, ada.id, False)
    bob, _ = create_user(dstore, "bob3@example.org")
    top = _comment(dstore, ada, "2607.00013", "Q")
    _comment(dstore, bob, "2607.00013", "A reply nobody is told of", top)
    send_digests(settings, day=DAY2, store=dstore)
    [msg] = mailbox.wait_for(1)
    assert "A reply nobody is told of" not in body_text(msg)
    assert "reply to you" not in msg["Subject"]


def test_rerendered_digest_keeps_its_replies(
    settings: Settings, dstore: Store, subscriber: Subscriber, mailbox: Capture
) -> None:
    """A digest claimed but not sent (the SMTP server was down) is sent later with the same
    replies, even though more came meanwhile (those wait for the next digest)."""
    ada = subscriber("retry@example.org", "trending")
    bob, _ = create_user(dstore, "bob4@example.org")
    top = _comment(dstore, ada, "2607.00014", "Q")
    _comment(dstore, bob, "2607.00014", "first answer", top)
    mailbox.refuse = 1  # 451 once: the digest stays pending, its replies fixed
    summary = send_digests(settings, day=DAY2, store=dstore, retries=0, base_delay=0)
    assert summary.deferred == 1
    _comment(dstore, bob, "2607.00014", "second answer", top)
    with dstore.engine.begin() as conn:  # due now
        conn.execute(digest_outbox.update().values(next_try=None))
    send_digests(settings, day=DAY2, store=dstore)
    [msg] = mailbox.wait_for(1)
    text = body_text(msg)
    assert "first answer" in text and "second answer" not in text
