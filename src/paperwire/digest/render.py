"""A digest as an email: multipart/alternative, text/plain and text/html from the templates in
digest/templates (their own Jinja environment; the HTML ones autoescaped, the text one not).

Templates are compiled once per process; a `Renderer` keeps what every message of a run shares
(the signer, the addresses, and each paper's rendered HTML and text: the trending papers are
the same in thousands of digests), so a run renders thousands of messages quickly.

Headers: From (`mail_from`), To, Subject, Date, a Message-ID that is the same for a (user, day)
whenever it is rendered, and RFC 8058 one-click unsubscribe (`List-Unsubscribe` with the signed
link, `List-Unsubscribe-Post: List-Unsubscribe=One-Click`). The body links to the preferences
page and to the same unsubscribe link.

The MIME bytes are written here directly (`Renderer.outgoing`): headers RFC 2047-encoded where
not ASCII, both parts UTF-8 quoted-printable (binascii, in C), CRLF line ends, a boundary that
quoted-printable output cannot contain. `email.message.EmailMessage` with the default policy
costs more than rendering itself to build and flatten (it parses and refolds every header);
`Renderer.message` still gives one, parsed from the same bytes, for callers that want it.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from pathlib import Path
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, Template, select_autoescape
from markupsafe import Markup

from paperwire.digest.build import Digest, DigestPaper
from paperwire.digest.tokens import unsubscribe_signer, unsubscribe_token
from paperwire.settings import Settings
from paperwire.text import short_authors, teaser

TEMPLATES = Path(__file__).parent / "templates"
EMAIL_TEASER = 400  # abstract characters per paper in a mail
SUBJECT_QUERY = 40  # characters of a saved query in the subject


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        # .html autoescaped (titles, abstracts and queries may hold HTML); .txt is plain text.
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(teaser=lambda t: teaser(t, EMAIL_TEASER), short_authors=short_authors)
    return env


@functools.cache
def templates() -> tuple[Template, Template, Template]:
    """(full HTML document, HTML body fragment, plain text), compiled once."""
    env = environment()
    return (
        env.get_template("digest.html"),
        env.get_template("_body.html"),
        env.get_template("digest.txt"),
    )


@functools.cache
def paper_templates() -> tuple[Template, Template]:
    """(one paper's HTML list item, its plain text), compiled once."""
    env = environment()
    return env.get_template("_paper.html"), env.get_template("_paper.txt")


def day_text(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def subject_for(digest: Digest) -> str:
    """ "paperwire digest — 24 Nov 2026: 5 trending, 3 for “query”, 4 recommended"."""
    parts = []
    for section in digest.sections:
        n = len(section.papers)
        if section.kind == "trending":
            parts.append(f"{n} trending")
        elif section.kind == "search":
            query = section.query or ""
            if len(query) > SUBJECT_QUERY:
                query = query[: SUBJECT_QUERY - 1].rstrip() + "…"
            parts.append(f"{n} for “{query}”")
        elif section.kind == "recs":
            parts.append(f"{n} recommended")
        elif section.kind == "author":
            parts.append(f"{n} by {section.title.removeprefix('New papers by ')}")
        else:
            parts.append(f"{n} more")
    if digest.replies:
        n = len(digest.replies)
        parts.append(f"{n} repl{'ies' if n != 1 else 'y'} to you")
    return f"paperwire digest — {day_text(digest.day)}: " + ", ".join(parts)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    body_html: str  # the HTML part's content alone (the preview page embeds it)
    unsubscribe_url: str


@dataclass(frozen=True)
class Outgoing:
    """A message as handed to the SMTP server: envelope and RFC 5322 bytes (CRLF)."""

    sender: str
    recipients: list[str]
    data: bytes
    smtputf8: bool = False  # an address is not ASCII: RFC 6531/6532


def _words(value: str) -> str:
    """A header value as RFC 2047 encoded words (UTF-8, base64), folded between words; as is
    when it is short ASCII."""
    value = " ".join(value.split())  # no CR/LF can reach the header
    if value.isascii() and len(value) <= 70:
        return value
    words: list[str] = []
    chunk: list[str] = []
    size = 0
    for ch in value:
        n = len(ch.encode())
        if size + n > 39:  # 52 base64 characters: a word of 64, a line under 78
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(ch)
        size += n
    words.append("".join(chunk))
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(w.encode()).decode()}?=" for w in words if w)


def _qp(text: str) -> bytes:
    """UTF-8 quoted-printable with CRLF line ends (soft breaks keep lines under 77)."""
    body = text.replace("\r\n", "\n").replace("\r", "\n").encode()
    return binascii.b2a_qp(body, istext=True).replace(b"\n", b"\r\n")


class Renderer:
    """Renders the digests of one run (or one preview)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base_url = settings.base_url.rstrip("/")
        self.preferences_url = f"{self.base_url}/account/subscriptions"
        self.sender = settings.mail_from
        name, address = parseaddr(settings.mail_from)
        self.sender_address = address or settings.mail_from
        self.from_header = formataddr((name, self.sender_address), "utf-8")
        self.domain = (
            address.rpartition("@")[2] or urlsplit(self.base_url).hostname or "paperwire.invalid"
        )
        self._key = hashlib.sha256(settings.signing_key.encode()).digest()[:8]
        self._signer = unsubscribe_signer(settings)
        # Each paper rendered once per run: (pk, reason) -> (HTML item, text item).
        self._papers: dict[tuple[int, str | None], tuple[Markup, str]] = {}

    def paper_link(self, paper_id: str) -> str:
        return f"{self.base_url}/paper/{quote(paper_id, safe='/:@')}"

    def comment_link(self, paper_id: str, comment_id: int) -> str:
        return f"{self.paper_link(paper_id)}#c-{comment_id}"

    def unsubscribe_url(self, user_id: int) -> str:
        token = unsubscribe_token(self.settings, user_id, self._signer)
        return f"{self.base_url}/unsubscribe?token={token}"

    def message_id(self, user_id: int, day: date) -> str:
        """The same for a (user, day) every time: a resent copy is recognisably the same mail."""
        tag = hashlib.sha256(self._key + f"{user_id}:{day}".encode()).hexdigest()[:12]
        return f"<digest.{day:%Y%m%d}.{user_id}.{tag}@{self.domain}>"

    def _paper(self, paper: DigestPaper) -> tuple[Markup, str]:
        key = (paper.pk, paper.reason)
        found = self._papers.get(key)
        if found is None:
            html, text = paper_templates()
            context = {"p": paper, "paper_link": self.paper_link}
            found = self._papers[key] = (Markup(html.render(context)), text.render(context))
        return found

    def render(self, digest: Digest) -> Rendered:
        full, body, text = templates()
        subject = subject_for(digest)
        unsubscribe = self.unsubscribe_url(digest.user.id)
        context = {
            "digest": digest,
            "user": digest.user,
            "subject": subject,
            "day_text": day_text(digest.day),
            "total": len(digest.paper_pks),
            "base_url": self.base_url,
            "paper_link": self.paper_link,
            "paper_html": lambda p: self._paper(p)[0],
            "paper_text": lambda p: self._paper(p)[1],
            "preferences_url": self.preferences_url,
            "unsubscribe_url": unsubscribe,
            "comment_link": self.comment_link,
        }
        body_html = body.render(context)  # once: the full document wraps it
        return Rendered(
            subject=subject,
            text=text.render(context),
            html=full.render(context, body=Markup(body_html)),
            body_html=body_html,
            unsubscribe_url=unsubscribe,
        )

    def outgoing(self, digest: Digest, *, message_id: str | None = None) -> Outgoing:
        """The digest's email, ready for `Mailer.send_raw`."""
        parts = self.render(digest)
        user = digest.user
        to = formataddr((user.name or "", user.email), "utf-8") if user.name else user.email
        smtputf8 = not (user.email.isascii() and self.sender_address.isascii())
        boundary = f"=_pw{secrets.token_hex(12)}"  # "=_" never occurs in quoted-printable
        head = (
            f"Subject: {_words(parts.subject)}\r\n"
            f"From: {self.from_header}\r\n"
            f"To: {to}\r\n"
            f"Date: {formatdate(usegmt=True)}\r\n"
            f"Message-ID: {message_id or self.message_id(user.id, digest.day)}\r\n"
            f"List-Unsubscribe: <{parts.unsubscribe_url}>\r\n"
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
            "Auto-Submitted: auto-generated\r\n"
            "MIME-Version: 1.0\r\n"
            f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n'
            "\r\n"
            f"--{boundary}\r\n"
            'Content-Type: text/plain; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n"
            "\r\n"
        )
        middle = (
            f"\r\n--{boundary}\r\n"
            'Content-Type: text/html; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n"
            "\r\n"
        )
        data = b"".join(
            (
                head.encode(),
                _qp(parts.text),
                middle.encode(),
                _qp(parts.html),
                f"\r\n--{boundary}--\r\n".encode(),
            )
        )
        return Outgoing(self.sender_address, [user.email], data, smtputf8)

    def message(self, digest: Digest, *, message_id: str | None = None) -> EmailMessage:
        """The same email as an `EmailMessage` (parsed from `outgoing`'s bytes)."""
        data = self.outgoing(digest, message_id=message_id).data
        msg = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg
