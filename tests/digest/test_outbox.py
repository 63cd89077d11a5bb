"""The outbox protocol at the store level, on SQLite and PostgreSQL (the root `store` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime

from digestdata import DAY1, DAY2, records

from paperwire.store import Store
from paperwire.store import digests as outbox
from paperwire.store.papers import upsert_records
from paperwire.store.reading import pks_for_ids
from paperwire.store.users import create_user


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
