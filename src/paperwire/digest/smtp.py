"""Handing a message to the configured SMTP server (plain, STARTTLS or implicit TLS, login)."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from typing import get_args

from paperwire.errors import ConfigError
from paperwire.settings import Settings, SmtpSecurity

SECURITY: tuple[str, ...] = get_args(SmtpSecurity)


class MailTLSError(ConfigError, OSError):
    """The SMTP server's certificate did not verify. An OSError too, so a send that meets it
    is kept for a retry like any other connection failure, not dropped."""


def tls_context(settings: Settings) -> ssl.SSLContext:
    """Certificate and host name verification always on; `smtp_ca_file` adds a CA to trust
    (a private CA or a self-signed server certificate)."""
    cafile = str(settings.smtp_ca_file.expanduser()) if settings.smtp_ca_file else None
    try:
        return ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"PAPERWIRE_SMTP_CA_FILE {cafile}: cannot load it: {exc}") from exc


def _verify_failed(settings: Settings, exc: ssl.SSLCertVerificationError) -> MailTLSError:
    hint = "" if settings.smtp_ca_file else " (set PAPERWIRE_SMTP_CA_FILE to trust a private CA)"
    return MailTLSError(
        f"the SMTP server {settings.smtp_host}:{settings.smtp_port} has a certificate that does "
        f"not verify: {exc.verify_message or exc}{hint}"
    )


class Mailer:
    """One SMTP connection, opened on first use and reused for many messages (a digest run
    sends thousands); reconnects after the server drops it."""

    def __init__(self, settings: Settings) -> None:
        if settings.smtp_security not in SECURITY:
            raise ConfigError(
                f"smtp_security {settings.smtp_security!r} is not one of {', '.join(SECURITY)}"
            )
        self.settings = settings
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        try:
            return self._open()
        except ssl.SSLCertVerificationError as exc:
            raise _verify_failed(self.settings, exc) from exc

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        conn: smtplib.SMTP
        if s.smtp_security == "tls":
            conn = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.smtp_timeout, context=tls_context(s)
            )
        else:
            conn = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
            if s.smtp_security == "starttls":
                try:
                    conn.starttls(context=tls_context(s))
                except BaseException:
                    conn.close()
                    raise
        if s.smtp_user:
            conn.login(s.smtp_user, s.smtp_password or "")
        return conn

    def send(self, message: EmailMessage) -> None:
        """Send one message; raises smtplib.SMTPException or OSError when it was not accepted
        (the caller decides about retries)."""
        self._deliver(lambda conn: conn.send_message(message))

    def send_raw(
        self, from_addr: str, to_addrs: Sequence[str], data: bytes, *, smtputf8: bool = False
    ) -> None:
        """Send prebuilt RFC 5322 bytes (CRLF line ends) with this envelope: no parsing nor
        re-serialising of the message (the digest run's path). `smtputf8` for addresses that
        are not ASCII. Raises as `send`."""
        options = ("SMTPUTF8", "BODY=8BITMIME") if smtputf8 else ()
        self._deliver(lambda conn: conn.sendmail(from_addr, list(to_addrs), data, options))

    def _deliver(self, hand_over: Callable[[smtplib.SMTP], object]) -> None:
        if self._conn is None:
            self._conn = self._connect()
        try:
            hand_over(self._conn)
        except smtplib.SMTPServerDisconnected:
            self._conn = self._connect()  # the server closed an idle connection: once more
            try:
                hand_over(self._conn)
            except (smtplib.SMTPException, OSError):
                self.close()
                raise
        except (smtplib.SMTPException, OSError):
            self.close()
            raise

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._conn.quit()
            self._conn = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
