"""Mail over TLS against a real aiosmtpd on 127.0.0.1 with a self-signed certificate made here:
STARTTLS and implicit TLS, trusted through PAPERWIRE_SMTP_CA_FILE, refused (clearly) without
it, and SMTP AUTH (only over TLS)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from paperwire.digest.smtp import Mailer, MailTLSError
from paperwire.settings import Settings
from tests.support.mailserver import Capture, _free_port

USER, PASSWORD = "mailer", "s3cret-pass"
# aiosmtpd warns about AUTH without STARTTLS on the implicit-TLS server, whose whole
# connection is TLS (it only tracks STARTTLS).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def make_cert(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost / 127.0.0.1 (cert.pem, key.pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


class ImplicitTLSController(Controller):
    """aiosmtpd's readiness probe speaks plain TCP; with implicit TLS it must speak TLS."""

    def _trigger_server(self) -> None:
        import socket

        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        with (
            socket.create_connection((self.hostname, self.port), 1.0) as raw,
            context.wrap_socket(raw) as sock,
        ):
            sock.recv(1024)


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_cert(tmp_path_factory.mktemp("tls"))


def _server_context(cert: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*cert)
    return context


@pytest.fixture(scope="module")
def starttls_server(cert: tuple[Path, Path]) -> Iterator[tuple[Capture, int]]:
    capture = Capture()
    controller = Controller(
        capture,
        hostname="127.0.0.1",
        port=_free_port(),
        tls_context=_server_context(cert),
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    controller.start()
    yield capture, controller.port
    controller.stop()


@pytest.fixture(scope="module")
def tls_server(cert: tuple[Path, Path]) -> Iterator[tuple[Capture, int]]:
    capture = Capture()
    controller = ImplicitTLSController(
        capture,
        hostname="127.0.0.1",
        port=_free_port(),
        ssl_context=_server_context(cert),
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,  # the whole connection is TLS; aiosmtpd only tracks STARTTLS
    )
    controller.start()
    yield capture, controller.port
    controller.stop()


def message(to: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "paperwire <p@localhost>", to, "hello over TLS"
    msg.set_content("a body")
    return msg


def settings_for(tmp_path: Path, port: int, security: str, **extra: Any) -> Settings:
    return Settings(
        home=tmp_path,
        smtp_host="localhost",
        smtp_port=port,
        smtp_security=security,
        smtp_timeout=10,
        **extra,
    )


@pytest.mark.parametrize("kind", ["starttls", "tls"])
def test_mail_goes_over_tls_with_the_ca_file_and_login(
    kind: str,
    starttls_server: tuple[Capture, int],
    tls_server: tuple[Capture, int],
    cert: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    capture, port = starttls_server if kind == "starttls" else tls_server
    settings = settings_for(
        tmp_path, port, kind, smtp_ca_file=cert[0], smtp_user=USER, smtp_password=PASSWORD
    )
    with Mailer(settings) as mailer:
        mailer.send(message(f"{kind}@example.org"))
    [got] = capture.to(f"{kind}@example.org")
    assert got["Subject"] == "hello over TLS"


@pytest.mark.parametrize("kind", ["starttls", "tls"])
def test_an_untrusted_certificate_is_refused_clearly(
    kind: str,
    starttls_server: tuple[Capture, int],
    tls_server: tuple[Capture, int],
    tmp_path: Path,
) -> None:
    """Verification is on by default: the self-signed certificate is not in the system CAs."""
    capture, port = starttls_server if kind == "starttls" else tls_server
    before = len(capture.messages)
    settings = settings_for(tmp_path, port, kind, smtp_user=USER, smtp_password=PASSWORD)
    with Mailer(settings) as mailer, pytest.raises(MailTLSError) as caught:
        mailer.send(message("nobody@example.org"))
    assert isinstance(caught.value, OSError)  # kept for a retry by the digest outbox
    text = str(caught.value)
    assert f"localhost:{port}" in text and "does not verify" in text
    assert "PAPERWIRE_SMTP_CA_FILE" in text
    assert len(capture.messages) == before


def test_a_wrong_password_is_refused(
    starttls_server: tuple[Capture, int], cert: tuple[Path, Path], tmp_path: Path
) -> None:
    import smtplib

    capture, port = starttls_server
    before = len(capture.messages)
    settings = settings_for(
        tmp_path, port, "starttls", smtp_ca_file=cert[0], smtp_user=USER, smtp_password="wrong"
    )
    with Mailer(settings) as mailer, pytest.raises(smtplib.SMTPAuthenticationError):
        mailer.send(message("wrongpass@example.org"))
    assert len(capture.messages) == before


def test_no_login_is_refused_by_a_server_that_requires_it(
    starttls_server: tuple[Capture, int], cert: tuple[Path, Path], tmp_path: Path
) -> None:
    import smtplib

    capture, port = starttls_server
    settings = settings_for(tmp_path, port, "starttls", smtp_ca_file=cert[0])
    with Mailer(settings) as mailer, pytest.raises(smtplib.SMTPException):
        mailer.send(message("nologin@example.org"))
    assert capture.to("nologin@example.org") == []
