"""The outbox protocol at the store level, on SQLite and PostgreSQL (the root `store` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime

from paperwire.store import Store
from paperwire.store import digests as outbox
from paperwire.store.papers import upsert_records
from paperwire.store.reading import pks_for_ids
from paperwire.store.users import create_user
from tests.support.digestdata import DAY1, DAY2, records


def test_claim_send_and_record_once(store: Store) -> None:
    upsert_records(store, records())
    pks = sorted(pks_for_ids(store, ["2607.00001", "2607.00002"]).values())
    user, _ = create_user(store, "o@example.org")
    row = outbox.claim(store, user.id, DAY2, pks, "<m@x>")
    assert (row.status, row.paper_pks, row.attempts) == ("pending", pks, 0)
    # A second claim (another run) gets the first one's row, unchanged.
    again = outbox.claim(store, user.id, DAY2, [pks[0]], "<other@x>")
    assert (again.id, again.paper_pks, again.message_id) == (row.id, pks, "<m@x>")
    assert outbox.excluded_papers(store, user.id) == set(pks)  # waiting papers count too
    assert outbox.mark_sending(store, row.id)
    assert not outbox.mark_sending(store, row.id)  # a second run cannot take it
    assert outbox.mark_sent(store, row.id)
    assert not outbox.mark_sent(store, row.id)
    assert outbox.sent_items(store, user.id) == [(pks[0], DAY2), (pks[1], DAY2)]
    assert outbox.last_sent_day(store, user.id) == DAY2
    assert outbox.outbox_counts(store, DAY2) == {"sent": 1}
    empty = outbox.claim(store, user.id, DAY1, [], "<e@x>")
    assert empty.status == "empty"


def test_retry_failed_and_left_sending(store: Store) -> None:
    upsert_records(store, records())
    [pk] = pks_for_ids(store, ["2607.00003"]).values()
    a, _ = create_user(store, "a@example.org")
    b, _ = create_user(store, "b@example.org")
    c, _ = create_user(store, "c@example.org")
    ra, rb, rc = (outbox.claim(store, u.id, DAY2, [pk], f"<{u.id}@x>") for u in (a, b, c))
    for r in (ra, rb, rc):
        assert outbox.mark_sending(store, r.id)
    later = datetime(2099, 1, 1, tzinfo=UTC)
    outbox.mark_retry(store, ra.id, error="451 later", next_try=later)
    outbox.mark_failed(store, rb.id, error="550 no such user")
    now = datetime.now(UTC)
    assert outbox.retryable(store, until=DAY2, now=now) == []  # not due yet
    assert [r.id for r in outbox.retryable(store, until=DAY2, now=later)] == [ra.id]
    # rc was left in "sending" (a crash): counted as sent, with the note.
    assert outbox.resolve_sending(store) == 1
    resolved = outbox.get_outbox(store, c.id, DAY2)
    assert resolved is not None and resolved.status == "sent"
    assert resolved.error == outbox.LEFT_SENDING
    assert outbox.outbox_counts(store, DAY2) == {"pending": 1, "failed": 1, "sent": 1}


def test_bulk_reads_claims_and_marks_agree_with_the_single_row_ones(store: Store) -> None:
    """What a run uses per chunk (recipients, claim_many) and per message (OutboxMarks)."""
    from paperwire.store.subscriptions import add_subscription

    upsert_records(store, records())
    pks = sorted(pks_for_ids(store, ["2607.00001", "2607.00002", "2607.00003"]).values())
    a, _ = create_user(store, "bulk-a@example.org")
    b, _ = create_user(store, "bulk-b@example.org")
    add_subscription(store, a.id, "trending")
    add_subscription(store, a.id, "search", "robust")
    # a: day 1 sent with pks[0]; b: day 1 still pending with pks[1].
    ra = outbox.claim(store, a.id, DAY1, [pks[0]], "<a1@x>")
    assert outbox.mark_sending(store, ra.id) and outbox.mark_sent(store, ra.id)
    outbox.claim(store, b.id, DAY1, [pks[1]], "<b1@x>")
    got = outbox.recipients(store, [a.id, b.id, 999_999])
    assert set(got) == {a.id, b.id}  # a user that is gone is left out
    for user in (a, b):
        assert got[user.id].user == user
        assert got[user.id].excluded == outbox.excluded_papers(store, user.id)
        assert got[user.id].last_sent == outbox.last_sent_day(store, user.id)
    assert [(s.kind, s.query) for s in got[a.id].subscriptions] == [
        ("trending", None),
        ("search", "robust"),
    ]
    # Day 2 claimed for both in one go; b's row existed already (another run): kept as it was.
    theirs = outbox.claim(store, b.id, DAY2, [pks[2]], "<b2@x>")
    rows = outbox.claim_many(store, DAY2, [(a.id, pks[1:], "<a2@x>"), (b.id, [], "<no@x>")])
    assert (rows[a.id].status, rows[a.id].paper_pks, rows[a.id].message_id) == (
        "pending",
        pks[1:],
        "<a2@x>",
    )
    assert rows[b.id] == theirs
    marks = outbox.OutboxMarks(store)
    try:
        assert marks.sending(rows[a.id].id)
        assert not marks.sending(rows[a.id].id)  # compare-and-set, as mark_sending
        assert marks.sent(rows[a.id])
        assert not marks.sent(rows[a.id])
        assert not marks.sent(rows[b.id])  # never marked sending: not sent
    finally:
        marks.close()
    sent = outbox.get_outbox(store, a.id, DAY2)
    assert sent is not None and sent.status == "sent" and sent.attempts == 1
    assert sent.error is None
    assert outbox.sent_items(store, a.id) == sorted(
        [(pks[0], DAY1), (pks[1], DAY2), (pks[2], DAY2)]
    )
    assert outbox.last_sent_day(store, a.id) == DAY2
