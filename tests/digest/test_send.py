"""Digest runs against a real SMTP server (the `mailbox` fixture) and a real SQLite store."""

from __future__ import annotations

import email
import email.policy
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from paperwire.digest.send import send_digests
from paperwire.digest.tokens import read_unsubscribe_token
from paperwire.settings import Settings
from paperwire.store import Store
from paperwire.store import digests as outbox
from paperwire.store.reading import pks_for_ids
from tests.support.digestdata import DAY1, DAY2, HOSTILE_QUERY, HOSTILE_TITLE, Subscriber
from tests.support.mailserver import Capture, body_text


def test_digest_is_multipart_with_both_parts_and_headers(
    settings: Settings, dstore: Store, subscriber: Subscriber, mailbox: Capture
) -> None:
    user = subscriber("ada@example.org", "trending")
    summary = send_digests(settings, day=DAY2, store=dstore)
    assert (summary.sent, summary.empty, summary.failed) == (1, 0, 0)
    [msg] = mailbox.wait_for(1)
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["To"].addresses[0].addr_spec == "ada@example.org"
    assert msg["From"] == settings.mail_from
    assert msg["Date"] and msg["Message-ID"].startswith("<digest.20260701.")
    assert msg["Subject"].startswith("paperwire digest — 1 Jul 2026: 5 trending")
    text, html = body_text(msg), body_text(msg, "html")
    assert "https://papers.example.org/paper/2607.000" in text
    assert 'href="https://papers.example.org/paper/2607.000' in html
    # RFC 8058 one-click unsubscribe, and the same link visible in both parts.
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = msg["List-Unsubscribe"].strip("<>")
    assert url.startswith("https://papers.example.org/unsubscribe?token=")
    token = parse_qs(urlsplit(url).query)["token"][0]
    assert read_unsubscribe_token(settings, token) == user.id
    assert url in text and url.replace("&", "&amp;") in html
    assert "https://papers.example.org/account/subscriptions" in text
    row = outbox.get_outbox(dstore, user.id, DAY2)
    assert row is not None and row.status == "sent" and len(row.paper_pks) == 5
    assert row.message_id == msg["Message-ID"]


def test_html_in_titles_and_queries_is_escaped(
    settings: Settings, dstore: Store, subscriber: Subscriber, mailbox: Capture
) -> None:
    subscriber("eve@example.org", HOSTILE_QUERY)
    send_digests(settings, day=DAY2, store=dstore)
    [msg] = mailbox.wait_for(1)
    html = body_text(msg, "html")
    assert "<script>" not in html and "<b>" not in html and "<img" not in html
    assert "Graphs &lt;script&gt;alert(" in html
    assert "neural &lt;b&gt;&#34;graphs&#34;&lt;/b&gt;" in html  # the saved query
    # The text part is plain text: shown as typed, not entity-encoded.
    assert HOSTILE_TITLE in body_text(msg)
    assert f"for “{HOSTILE_QUERY}”" in msg["Subject"]


def test_each_paper_at_most_once_across_days(
    settings: Settings, dstore: Store, subscriber: Subscriber, mailbox: Capture
) -> None:
    settings = settings.model_copy(update={"digest_size": 50})
    user = subscriber("bo@example.org", "trending", "neural graphs")
    first = send_digests(settings, day=DAY1, store=dstore)
    second = send_digests(settings, day=DAY2, store=dstore)
    assert first.sent == second.sent == 1
    day1, day2 = (outbox.get_outbox(dstore, user.id, d) for d in (DAY1, DAY2))
    assert day1 is not None and day2 is not None
    assert day1.paper_pks and day2.paper_pks
    assert not set(day1.paper_pks) & set(day2.paper_pks)
    # The trending fallback of day 2 reaches back to day 1's papers: all already mailed.
    items = outbox.sent_items(dstore, user.id)
    assert len(items) == len({pk for pk, _ in items}) == len(day1.paper_pks) + len(day2.paper_pks)
    # Within one digest, a paper in two sections is shown once (first section wins).
    assert len(day2.paper_pks) == len(set(day2.paper_pks))
    hostile = pks_for_ids(dstore, ["2607.00031"])["2607.00031"]
    assert hostile in day2.paper_pks
    html = body_text(mailbox.wait_for(2)[1], "html")
    assert html.count("2607.00031") == 1
    # A third run on day 2 sends nothing more.
    again = send_digests(settings, day=DAY2, store=dstore)
    assert (again.sent, again.skipped_already_sent) == (0, 1)
    assert len(mailbox.messages) == 2


def test_saved_search_covers_days_since_the_last_digest(
    settings: Settings, dstore: Store, subscriber: Subscriber, mailbox: Capture
) -> None:
    user = subscriber("cy@example.org", "robust transformers")
    # First digest: day 1 alone. Day 2 has no robust transformers: nothing new, no mail.
    assert send_digests(settings, day=DAY1, store=dstore).sent == 1
    later = send_digests(settings, day=DAY2, store=dstore)
    assert (later.sent, later.empty) == (0, 1)
    row = outbox.get_outbox(dstore, user.id, DAY2)
    assert row is not None and row.status == "empty"
    assert len(mailbox.messages) == 1


def test_dry_run_sends_nothing_and_writes_no_outbox_row(
    settings: Settings, dstore: Store, subscriber: Subscriber, mailbox: Capture, tmp_path: Path
) -> None:
    user = subscriber("dee@example.org", "trending", "neural graphs")
    folder = tmp_path / "eml"
    summary = send_digests(settings, day=DAY2, dry_run=True, store=dstore, eml_dir=folder)
    assert (summary.sent, summary.rendered) == (0, 1)
    assert mailbox.messages == []
    assert outbox.get_outbox(dstore, user.id, DAY2) is None
    assert outbox.outbox_counts(dstore, DAY2) == {}
    [path] = folder.iterdir()
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert msg["To"].addresses[0].addr_spec == "dee@example.org"
    assert "paperwire digest" in msg["Subject"]


def test_user_option_limits_the_run(
    settings: Settings, dstore: Store, subscriber: Subscriber, mailbox: Capture
) -> None:
    subscriber("one@example.org")
    other = subscriber("two@example.org")
    summary = send_digests(settings, day=DAY2, store=dstore, user="TWO@example.org")
    assert (summary.subscribers, summary.sent) == (1, 1)
    [msg] = mailbox.wait_for(1)
    assert "two@example.org" in str(msg["To"])
    assert outbox.outbox_counts(dstore, DAY2) == {"sent": 1}
    assert outbox.get_outbox(dstore, other.id, DAY2) is not None


def test_temporary_refusals_are_retried_and_nobody_is_lost(
    settings: Settings, dstore: Store, subscriber: Subscriber, mailbox: Capture
) -> None:
    people = [subscriber(f"r{i}@example.org") for i in range(4)]
    mailbox.refuse = 3  # 451 to the next three messages
    summary = send_digests(settings, day=DAY2, store=dstore, retries=3, base_delay=0.01)
    assert summary.sent == 4 and summary.retries == 3 and summary.deferred == 0
    assert mailbox.refused == 3
    got = sorted(str(m["To"]) for m in mailbox.wait_for(4))
    assert got == sorted(p.email for p in people)
    attempts = [outbox.get_outbox(dstore, p.id, DAY2) for p in people]
    assert [r.attempts for r in attempts if r] == [4, 1, 1, 1]


def test_refusals_beyond_the_retries_wait_for_the_next_run(
    settings: Settings, dstore: Store, subscriber: Subscriber, mailbox: Capture
) -> None:
    people = [subscriber(f"w{i}@example.org") for i in range(5)]
    mailbox.refuse = 100  # the server is down for this run
    first = send_digests(settings, day=DAY2, store=dstore, retries=1, base_delay=0.01)
    assert first.sent == 0 and first.deferred == 5 and first.failed == 0
    # After three users in a row, the rest are only claimed (no point hammering the server).
    assert mailbox.refused == 3 * 2
    assert outbox.outbox_counts(dstore, DAY2) == {"pending": 5}
    row = outbox.get_outbox(dstore, people[0].id, DAY2)
    assert row is not None and row.next_try is not None and "451" in (row.error or "")
    mailbox.refuse = 0
    time.sleep(0.1)  # past next_try (base_delay 0.01 s * 2**attempts)
    second = send_digests(settings, day=DAY2, store=dstore, retries=1, base_delay=0.01)
    assert second.sent == 5
    assert sorted(str(m["To"]) for m in mailbox.wait_for(5)) == sorted(p.email for p in people)
    assert outbox.outbox_counts(dstore, DAY2) == {"sent": 5}


def test_unsubscribed_users_get_nothing(
    settings: Settings, dstore: Store, subscriber: Subscriber, mailbox: Capture
) -> None:
    from paperwire.store.subscriptions import disable_all

    user = subscriber("gone@example.org", "trending", "neural graphs")
    disable_all(dstore, user.id)
    summary = send_digests(settings, day=DAY2, store=dstore)
    assert (summary.subscribers, summary.sent) == (0, 0)
    assert mailbox.messages == []


def test_a_digest_left_pending_yesterday_goes_out_with_todays(
    settings: Settings, dstore: Store, subscriber: Subscriber, mailbox: Capture
) -> None:
    user = subscriber("late@example.org", "trending")
    mailbox.refuse = 1
    first = send_digests(settings, day=DAY1, store=dstore, retries=0, base_delay=0)
    assert (first.sent, first.deferred) == (0, 1)
    second = send_digests(settings, day=DAY2, store=dstore, retries=0)
    assert second.sent == 2
    subjects = sorted(str(m["Subject"]) for m in mailbox.wait_for(2))
    assert subjects[0].startswith("paperwire digest — 1 Jul 2026")
    assert subjects[1].startswith("paperwire digest — 30 Jun 2026")
    rows = [outbox.get_outbox(dstore, user.id, d) for d in (DAY1, DAY2)]
    assert [r.status for r in rows if r] == ["sent", "sent"]
    assert not set(rows[0].paper_pks) & set(rows[1].paper_pks)  # type: ignore[union-attr]


def test_non_ascii_names_and_queries_survive_the_hand_built_mime(
    settings: Settings, dstore: Store, subscriber: Subscriber, mailbox: Capture, tmp_path: Path
) -> None:
    """The message bytes are written by hand: names and queries that are not ASCII come out
    RFC 2047-encoded and read back as typed, lines stay within the limits, ends are CRLF."""
    from paperwire.store.users import get_user, set_name

    query = "naïve neural graphs — über lange gespeicherte Suchanfrage mit Ümlauten"
    user = subscriber("zoe@example.org", "trending", query)
    set_name(dstore, user.id, "Zoë Ünal, “the reader”")
    named = get_user(dstore, user.id)
    assert named is not None
    send_digests(settings, day=DAY2, store=dstore)
    [msg] = mailbox.wait_for(1)
    [to] = msg["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Zoë Ünal, “the reader”", "zoe@example.org")
    assert f"for “{query[:39].rstrip()}…”" in msg["Subject"]
    assert [p.get_content_charset() for p in msg.iter_parts()] == ["utf-8", "utf-8"]
    assert f"{named.name}" in body_text(msg)
    assert "Zoë Ünal, “the reader”" in body_text(msg, "html")
    # The same bytes, as a dry run writes them to disk.
    folder = tmp_path / "eml"
    send_digests(settings, day=DAY2, dry_run=True, store=dstore, eml_dir=folder, user=user.email)
    assert not list(folder.iterdir())  # already sent: a dry run renders only pending ones
    send_digests(settings, day=DAY1, dry_run=True, store=dstore, eml_dir=folder)
    [path] = folder.iterdir()
    raw = path.read_bytes()
    assert raw.isascii()  # headers encoded, bodies quoted-printable
    assert raw.count(b"\n") == raw.count(b"\r\n")
    head, _, _ = raw.partition(b"\r\n\r\n")
    assert all(len(line) <= 78 for line in head.split(b"\r\n") if not line.startswith(b"List-"))
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
