"""Mail without a mail server: with no SMTP host configured (the demo, a laptop), every message
is written as an `.eml` file under `<home>/mail/` and announced on stderr, so a sign-in link can
still be opened and a digest still read. `open_mailer` picks this or SMTP from the settings."""

from __future__ import annotations

import email
import email.policy
import re
import sys
import time
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path

from paperwire.digest.smtp import Mailer
from paperwire.settings import Settings

_UNSAFE = re.compile(r"[^A-Za-z0-9@._-]+")


def mail_folder(settings: Settings) -> Path:
    return settings.home_dir / "mail"


def smtp_configured(settings: Settings) -> bool:
    return bool(settings.smtp_host.strip())


class FileMailer:
    """The same interface as `Mailer` (send, send_raw, close, a context manager)."""

    def __init__(self, settings: Settings) -> None:
        self.folder = mail_folder(settings)
        self.written: list[Path] = []

    def send(self, message: EmailMessage) -> None:
        self._write(str(message.get("To", "")), message.as_bytes(policy=email.policy.SMTP))

    def send_raw(
        self, from_addr: str, to_addrs: Sequence[str], data: bytes, *, smtputf8: bool = False
    ) -> None:
        self._write(", ".join(to_addrs), data)

    def _write(self, to: str, data: bytes) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        name = f"{stamp}-{time.monotonic_ns() % 1_000_000:06d}-{_UNSAFE.sub('_', to)[:80]}.eml"
        tmp = self.folder / f".{name}.tmp"
        tmp.write_bytes(data)
        path = tmp.replace(self.folder / name)  # a reader never sees half a message
        self.written.append(path)
        # The console mailer's whole point is to be seen on the console: not a log line that
        # the default log level would hide.
        print(f"mail to {to} (no SMTP server configured) written to {path}", file=sys.stderr)
        return path

    def close(self) -> None:
        pass

    def __enter__(self) -> FileMailer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_mailer(settings: Settings) -> Mailer | FileMailer:
    """SMTP when PAPERWIRE_SMTP_HOST is set, else the mail folder."""
    return Mailer(settings) if smtp_configured(settings) else FileMailer(settings)


def newest_mail_to(settings: Settings, address: str) -> EmailMessage | None:
    """The latest message written for `address` (for tests and `paperwire users login-link`)."""
    paths = sorted(mail_folder(settings).glob("*.eml"), reverse=True)
    for path in paths:
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if isinstance(msg, EmailMessage) and address.lower() in str(msg["To"]).lower():
            return msg
    return None
