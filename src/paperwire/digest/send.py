"""`send_digests`: one digest per subscriber per day, through the outbox (store/digests.py).

For each subscriber of day D:

1. claim: build the digest and insert its outbox row, papers fixed (status pending, or empty
   when there is nothing to send: no mail). A row that exists is not built again. This is done
   for `CHUNK` subscribers at a time: their users, subscriptions and mailed papers read in a
   few queries, their rows inserted in one transaction (store/digests.py `recipients`,
   `claim_many`); a row claimed and not yet sent is simply pending, as after a failure.
2. pending -> sending (committed; a compare-and-set, so two runs at once never both send it),
   hand the message to the SMTP server, then sending -> sent with its papers recorded in
   `digest_items`, in one transaction.

Crash safety. A run killed anywhere leaves rows pending (sent by the next run) or sent, except
in the one window between the commit of "sending" and the commit of "sent", around the SMTP
transaction itself: the message may or may not have been accepted. We choose *at most once*: the
next run counts a row found in "sending" as sent (with a note in its `error` column) rather than
risk a second copy. The window is a single SMTP transaction (milliseconds); the Message-ID is
the same for a (user, day) whenever it is rendered, so a copy sent twice by some other path
would still be recognisably the same mail.

Retries. A temporary failure (4xx, connection refused or dropped) is retried in the run up to
`retries` times, sleeping `base_delay` * 2**n seconds; after that the row stays pending with a
`next_try` for the next run (after three such users in a row the server is taken to be down and
the remaining digests are only claimed, to be sent by the next run). A permanent refusal of the
recipient (5xx) marks the row failed. Nobody is lost: every subscriber ends with a row.
"""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from paperwire.digest.build import Digest, DigestBuilder
from paperwire.digest.filemail import FileMailer, open_mailer
from paperwire.digest.render import Outgoing, Renderer
from paperwire.digest.smtp import Mailer
from paperwire.errors import ConfigError, NotFound, PaperwireError
from paperwire.index.backend import IndexBackend
from paperwire.settings import Settings
from paperwire.store import Store, open_store
from paperwire.store import digests as outbox
from paperwire.store.subscriptions import subscriber_ids
from paperwire.store.users import User, get_user_by_email

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
DOWN_AFTER = 3  # users in a row whose retries ran out: the server is down, stop trying
CHUNK = 250  # subscribers read and claimed per transaction


class MailServerError(PaperwireError):
    """The SMTP server refuses us as a sender (login, sender address): no digest can go."""

    exit_code = 1


@dataclass
class Summary:
    day: date
    dry_run: bool
    subscribers: int = 0
    sent: int = 0
    empty: int = 0  # nothing new for them: no mail
    failed: int = 0  # permanently refused (5xx)
    deferred: int = 0  # left pending for the next run (temporary failures)
    skipped_already_sent: int = 0  # had their digest of the day already (sent, empty, failed)
    resolved_sending: int = 0  # left in "sending" by an interrupted run: counted as sent
    retries: int = 0  # temporary failures retried in this run
    errors: int = 0  # digests that could not be built (logged; retried by the next run)
    rendered: int = 0  # messages rendered (a dry run renders without sending)
    seconds: float = 0.0
    build_s: float = 0.0
    render_s: float = 0.0
    smtp_s: float = 0.0
    files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["day"] = self.day.isoformat()
        for key in ("seconds", "build_s", "render_s", "smtp_s"):
            data[key] = round(data[key], 3)
        data["messages_per_s"] = round(self.sent / self.seconds, 1) if self.seconds else 0.0
        return data


def _temporary(exc: BaseException) -> bool:
    """Whether retrying later may help: 4xx answers and network trouble."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(int(code) < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return int(exc.smtp_code) < 500
    return isinstance(exc, smtplib.SMTPException | OSError)


def _sender_problem(exc: BaseException) -> bool:
    """Refusals that are about us, not the recipient: every digest would fail the same way."""
    if isinstance(exc, smtplib.SMTPAuthenticationError | smtplib.SMTPNotSupportedError):
        return True
    return isinstance(exc, smtplib.SMTPSenderRefused) and int(exc.smtp_code) >= 500


class _Run:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        index: IndexBackend,
        summary: Summary,
        *,
        retries: int,
        base_delay: float,
        eml_dir: Path | None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.index = index
        self.summary = summary
        self.retries = retries
        self.base_delay = base_delay
        self.eml_dir = eml_dir
        self.renderer = Renderer(settings)
        self.builders: dict[date, DigestBuilder] = {}
        self.mailer: Mailer | FileMailer | None = None
        self.marks = outbox.OutboxMarks(store)
        self.down = 0  # users in a row whose retries ran out

    def builder(self, day: date) -> DigestBuilder:
        if day not in self.builders:
            self.builders[day] = DigestBuilder(self.settings, self.store, self.index, day)
        return self.builders[day]

    def build(
        self,
        state: outbox.Recipient,
        day: date,
        only: list[int] | None = None,
    ) -> Digest:
        started = time.perf_counter()
        try:
            return self.builder(day).build(state.user, only=only, state=state)
        finally:
            self.summary.build_s += time.perf_counter() - started

    def message(self, digest: Digest, message_id: str | None) -> Outgoing:
        started = time.perf_counter()
        msg = self.renderer.outgoing(digest, message_id=message_id)
        self.summary.render_s += time.perf_counter() - started
        self.summary.rendered += 1
        if self.eml_dir is not None:
            path = self.eml_dir / f"digest-{digest.day}-{digest.user.id}.eml"
            path.write_bytes(msg.data)
            self.summary.files.append(str(path))
        return msg

    # --- a chunk of subscribers ---------------------------------------------------------------

    def claim_chunk(
        self,
        day: date,
        states: dict[int, outbox.Recipient],
        rows: dict[int, outbox.OutboxRow],
    ) -> dict[int, Digest]:
        """Build the digests of the chunk's subscribers that have no row yet and claim them all
        in one transaction (rows go into `rows`). A digest that fails to build is left to
        `claim_and_send`, which tries again and counts the error."""
        built: dict[int, Digest] = {}
        for user_id, state in states.items():
            if user_id in rows:
                continue
            try:
                built[user_id] = self.build(state, day)
            except Exception:  # retried (and logged) one by one by claim_and_send
                continue
        if built:
            claims = [
                (user_id, d.paper_pks, self.renderer.message_id(user_id, day))
                for user_id, d in built.items()
            ]
            replies = {user_id: d.reply_ids for user_id, d in built.items() if d.replies}
            rows.update(outbox.claim_many(self.store, day, claims, replies=replies))
        return built

    # --- one subscriber -----------------------------------------------------------------------

    def dry(self, state: outbox.Recipient, day: date, row: outbox.OutboxRow | None) -> None:
        if row is not None and row.status != outbox.PENDING:
            self.summary.skipped_already_sent += 1
            return
        digest = self.build(state, day, only=row.paper_pks if row is not None else None)
        if digest.empty:
            self.summary.empty += 1
            return
        self.message(digest, row.message_id if row is not None else None)

    def claim_and_send(
        self,
        state: outbox.Recipient,
        day: date,
        row: outbox.OutboxRow | None,
        digest: Digest | None = None,
    ) -> None:
        """`digest`: the one `row` was just claimed with (by `claim_chunk`), if any."""
        user = state.user
        if row is None:
            digest = self.build(state, day)
            row = outbox.claim(
                self.store,
                user.id,
                day,
                digest.paper_pks,
                self.renderer.message_id(user.id, day),
                replies=digest.reply_ids,
            )
            if row.paper_pks != digest.paper_pks:  # another run claimed it first: theirs
                digest = self.build(state, day, only=row.paper_pks)
        elif row.status == outbox.EMPTY and digest is not None:
            pass  # just claimed as empty by claim_chunk: counted below
        elif row.status == outbox.PENDING:
            if row.next_try is not None and row.next_try > datetime.now(UTC):
                self.summary.deferred += 1
                return
            if digest is None or row.paper_pks != digest.paper_pks:
                digest = self.build(state, day, only=row.paper_pks)
        else:
            self.summary.skipped_already_sent += 1
            return
        if row.status == outbox.EMPTY:
            self.summary.empty += 1
            return
        if row.status != outbox.PENDING:
            self.summary.skipped_already_sent += 1
            return
        if self.down >= DOWN_AFTER:
            self.summary.deferred += 1
            return
        self.deliver(row, self.message(digest, row.message_id))

    def deliver(self, row: outbox.OutboxRow, msg: Outgoing) -> None:
        if self.mailer is None:
            self.mailer = open_mailer(self.settings)
        attempts = row.attempts
        for attempt in range(self.retries + 1):
            if not self.marks.sending(row.id):
                self.summary.skipped_already_sent += 1  # another run has it
                return
            attempts += 1
            started = time.perf_counter()
            try:
                self.mailer.send_raw(msg.sender, msg.recipients, msg.data, smtputf8=msg.smtputf8)
            except (smtplib.SMTPException, OSError) as exc:
                self.summary.smtp_s += time.perf_counter() - started
                error = f"{type(exc).__name__}: {exc}"
                if _sender_problem(exc) or not _temporary(exc):
                    if _sender_problem(exc):
                        outbox.mark_retry(self.store, row.id, error=error, next_try=_now())
                        raise MailServerError(f"the SMTP server refuses our mail: {error}") from exc
                    log.warning("digest %s refused for good: %s", row.id, error)
                    outbox.mark_failed(self.store, row.id, error=error)
                    self.summary.failed += 1
                    return
                wait = self.base_delay * 2**attempt
                later = _now() + timedelta(seconds=self.base_delay * 2**attempts)
                outbox.mark_retry(self.store, row.id, error=error, next_try=later)
                if attempt < self.retries:
                    log.info("digest %s: %s; retrying in %.2f s", row.id, error, wait)
                    self.summary.retries += 1
                    time.sleep(wait)
                    continue
                log.warning("digest %s: %s; left for the next run", row.id, error)
                self.summary.deferred += 1
                self.down += 1
                return
            self.summary.smtp_s += time.perf_counter() - started
            self.marks.sent(row)
            self.summary.sent += 1
            self.down = 0
            return

    def close(self) -> None:
        self.marks.close()
        if self.mailer is not None:
            self.mailer.close()


def _now() -> datetime:
    return datetime.now(UTC)


def _open_index(settings: Settings, store: Store) -> IndexBackend:
    from paperwire.index.manager import applied, open_backend, update_index

    index = open_backend(settings)
    if not len(index) and applied(store, index) is None:
        update_index(store, index)  # a store never indexed: build the lexical index first
    return index


def send_digests(
    settings: Settings,
    *,
    day: date | None = None,
    dry_run: bool = False,
    user: str | None = None,
    progress: Progress | None = None,
    eml_dir: Path | None = None,
    retries: int = 3,
    base_delay: float = 1.0,
    store: Store | None = None,
    index: IndexBackend | None = None,
) -> Summary:
    """Send the digests of `day` (default: today) to every subscriber, or to `user` (an email)
    alone. `dry_run`: render them (and write .eml files to `eml_dir` when given) without
    sending or touching the outbox. `progress(done, total)` after each subscriber. Safe to run
    again, also after an interruption (Ctrl-C, a crash, a kill): see the module docstring."""
    day = day or date.today()
    summary = Summary(day=day, dry_run=dry_run)
    if retries < 0 or base_delay < 0:
        raise ConfigError("retries and base_delay must not be negative")
    if eml_dir is not None:
        eml_dir.mkdir(parents=True, exist_ok=True)
    own_store = store is None
    store = store or open_store(settings)
    started = time.perf_counter()
    run: _Run | None = None
    try:
        only_user: User | None = None
        if user is not None:
            only_user = get_user_by_email(store, user)
            if only_user is None:
                raise NotFound(f"no user with email {user!r}")
        index = index or _open_index(settings, store)
        run = _Run(
            settings,
            store,
            index,
            summary,
            retries=retries,
            base_delay=base_delay,
            eml_dir=eml_dir,
        )
        ids = subscriber_ids(store)
        if only_user is not None:
            ids = [i for i in ids if i == only_user.id]
        wanted = set(ids)
        if not dry_run:
            summary.resolved_sending = outbox.resolve_sending(
                store, user_id=only_user.id if only_user else None
            )
        # Digests of earlier days a failed run left pending, for users still subscribed.
        earlier = [
            r
            for r in outbox.retryable(store, until=day - timedelta(days=1), now=_now())
            if r.user_id in wanted
        ]
        rows = outbox.outbox_for_day(store, day)
        total = len(earlier) + len(ids)
        summary.subscribers = len(ids)
        done = 0
        for row in earlier:
            state = outbox.recipients(store, [row.user_id]).get(row.user_id)
            if state is not None and not dry_run:
                run.claim_and_send(state, row.day, row)
            done += 1
            if progress:
                progress(done, total)
        # Today's digests, a chunk of subscribers at a time: read in bulk, claimed in one
        # transaction, then sent one by one.
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            states = outbox.recipients(store, chunk)
            built = {} if dry_run else run.claim_chunk(day, states, rows)
            for user_id in chunk:
                state = states.get(user_id)
                if state is not None:
                    try:
                        if dry_run:
                            run.dry(state, day, rows.get(user_id))
                        else:
                            run.claim_and_send(state, day, rows.get(user_id), built.get(user_id))
                    except (MailServerError, KeyboardInterrupt):
                        raise
                    except Exception:  # one subscriber's digest must not stop everyone's
                        log.exception("digest for user %s could not be built", user_id)
                        summary.errors += 1
                done += 1
                if progress:
                    progress(done, total)
    finally:
        summary.seconds = time.perf_counter() - started
        if run is not None:
            run.close()
        if own_store:
            store.close()
    return summary
