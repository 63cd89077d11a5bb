"""A `paperwire digest send` process SIGKILLed mid-run, then run again: every subscriber ends
with exactly one digest.

The kill lands deterministically in the run's one delicate window: the SMTP server has taken
message k but not yet answered it, so the sender dies with that row in "sending". The restarted
run must count it as sent (at most once: the message did arrive), and send everyone else.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from paperwire.settings import Settings
from paperwire.store import Store
from paperwire.store import digests as outbox
from tests.support.digestdata import DAY2, Subscriber
from tests.support.mailserver import Capture, _free_port

SUBSCRIBERS = 30
KILL_AT = 11


class KillingCapture(Capture):
    """Keeps messages; on the `kill_at`-th, SIGKILLs `proc` before answering."""

    def __init__(self, kill_at: int) -> None:
        super().__init__()
        self.kill_at = kill_at
        self.proc: subprocess.Popen[bytes] | None = None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        if self.proc is not None and len(self.messages) == self.kill_at:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        return answer


def _run(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PAPERWIRE_HOME": str(settings.home),
        "PAPERWIRE_SECRET_KEY": settings.secret_key or "",
        "PAPERWIRE_SMTP_HOST": "127.0.0.1",
        "PAPERWIRE_SMTP_PORT": str(port),
        "PAPERWIRE_BASE_URL": settings.base_url,
    }
    cmd = [sys.executable, "-m", "paperwire", "digest", "send", "--date", str(DAY2), "--json"]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_killed_sender_restarted_delivers_exactly_one_each(
    settings: Settings, dstore: Store, subscriber: Subscriber
) -> None:
    people = [subscriber(f"k{i:02d}@example.org", "trending") for i in range(SUBSCRIBERS)]
    capture = KillingCapture(KILL_AT)
    controller = Controller(capture, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        capture.proc = first = _run(settings, controller.port)
        first.wait(60)
        assert first.returncode == -signal.SIGKILL
        assert len(capture.messages) == KILL_AT
        counts = outbox.outbox_counts(dstore, DAY2)
        assert counts.get("sending") == 1 and counts.get("sent") == KILL_AT - 1

        capture.proc = None
        second = _run(settings, controller.port)
        out, err = second.communicate(timeout=60)
        assert second.returncode == 0, err.decode()
    finally:
        controller.stop()
    got = Counter(m["To"].addresses[0].addr_spec for m in capture.messages)
    assert got == Counter({p.email: 1 for p in people})
    assert outbox.outbox_counts(dstore, DAY2) == {"sent": SUBSCRIBERS}
    assert b'"resolved_sending": 1' in out and f'"sent": {SUBSCRIBERS - KILL_AT}'.encode() in out
    left = [outbox.get_outbox(dstore, p.id, DAY2) for p in people]
    notes = [r.error for r in left if r is not None and r.error]
    assert notes == [outbox.LEFT_SENDING]
