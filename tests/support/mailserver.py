"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it accepts, and can be
told to refuse mail for a while (to test retries)."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class Capture:
    """The handler: `messages` holds parsed messages in arrival order; while `refuse` > 0 each
    DATA is answered 451 (a temporary failure) and `refuse` goes down by one."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse = 0
        self.refused = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            if self.refuse > 0:
                self.refuse -= 1
                self.refused += 1
                return "451 4.3.0 try again later"
            raw = envelope.content
            data = raw if isinstance(raw, bytes) else str(raw).encode()
            msg = email.message_from_bytes(data, policy=email.policy.default)
            assert isinstance(msg, EmailMessage)
            self.messages.append(msg)
            self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.messages)

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
            self.envelopes.clear()
            self.refuse = 0
            self.refused = 0


def _free_port() -> int:
    # aiosmtpd connects to its own port to check it started, so it cannot be given port 0.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MailServer:
    def __init__(self) -> None:
        self.capture = Capture()
        self.controller = Controller(self.capture, hostname="127.0.0.1", port=_free_port())

    def start(self) -> MailServer:
        self.controller.start()
        return self

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def stop(self) -> None:
        self.controller.stop()


def body_text(msg: EmailMessage, subtype: str = "plain") -> str:
    part = msg.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} part"
    content: str = part.get_content()  # type: ignore[attr-defined]
    return content
