"""No SMTP host configured: digests and sign-in mails go to `<home>/mail/` as .eml files (the
console mailer), named on stderr, and are still sent exactly once."""

from __future__ import annotations

import pytest

from paperwire.digest.filemail import FileMailer, mail_folder, newest_mail_to, open_mailer
from paperwire.digest.send import send_digests
from paperwire.digest.smtp import Mailer
from paperwire.settings import Settings
from paperwire.store import Store
from paperwire.web.signin import send_signin_mail
from tests.support.digestdata import DAY2, Subscriber
from tests.support.mailserver import Capture


def test_no_smtp_host_selects_the_file_mailer(settings: Settings) -> None:
    assert Settings().smtp_host == ""  # the default: no mail server
    assert isinstance(open_mailer(settings.model_copy(update={"smtp_host": ""})), FileMailer)
    assert isinstance(open_mailer(settings.model_copy(update={"smtp_host": " "})), FileMailer)
    assert isinstance(open_mailer(settings), Mailer)


def test_digests_go_to_the_mail_folder_once(
    settings: Settings,
    dstore: Store,
    subscriber: Subscriber,
    mailbox: Capture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    local = settings.model_copy(update={"smtp_host": ""})
    subscriber("ada@example.org", "trending")
    summary = send_digests(local, day=DAY2, store=dstore)
    assert summary.sent == 1 and mailbox.messages == []  # nothing reached the SMTP server
    files = list(mail_folder(local).glob("*.eml"))
    assert len(files) == 1
    assert f"mail to ada@example.org (no SMTP server configured) written to {files[0]}" in (
        capsys.readouterr().err
    )
    msg = newest_mail_to(local, "ada@example.org")
    assert msg is not None and str(msg["Subject"]).startswith("paperwire digest")
    assert send_digests(local, day=DAY2, store=dstore).sent == 0  # exactly once, as by SMTP
    assert len(list(mail_folder(local).glob("*.eml"))) == 1


def test_signin_mail_to_the_mail_folder(settings: Settings) -> None:
    local = settings.model_copy(update={"smtp_host": ""})
    send_signin_mail(local, "bob@example.org", "https://papers.example.org/signin/verify?token=x")
    msg = newest_mail_to(local, "bob@example.org")
    assert msg is not None and msg["Subject"] == "Your paperwire sign-in link"
    assert newest_mail_to(local, "nobody@example.org") is None
    assert not list(mail_folder(local).glob(".*.tmp"))  # written whole, then renamed
