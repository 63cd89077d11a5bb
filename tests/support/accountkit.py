"""Helpers for the accounts tests: read the CSRF token of a form, sign in through the mail."""

from __future__ import annotations

import re
from collections.abc import Callable
from email.message import EmailMessage

from fastapi.testclient import TestClient

from tests.support.mailserver import Capture, body_text

ClientFactory = Callable[..., TestClient]  # the make_client fixture (conftest.py)

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK = re.compile(r"http://testserver/signin/verify\?token=[\w.\-]+")


def csrf(client: TestClient, path: str = "/signin") -> str:
    """The CSRF token of the form on `path` (the visitor's CSRF cookie is set on the way)."""
    response = client.get(path)
    assert response.status_code == 200, response.text
    found = TOKEN.search(response.text)
    assert found, f"no csrf_token on {path}"
    return found.group(1)


def link_in(message: EmailMessage) -> str:
    found = LINK.search(body_text(message))
    assert found, body_text(message)
    return found.group(0)


def request_link(
    client: TestClient, mailbox: Capture, email: str, next_path: str = "/"
) -> tuple[str, str]:
    """Ask for a sign-in link; (the page's text, the link mailed)."""
    before = len(mailbox.messages)
    response = client.post(
        "/signin", data={"email": email, "next": next_path, "csrf_token": csrf(client)}
    )
    assert response.status_code == 200, response.text
    messages = mailbox.wait_for(before + 1)
    assert len(messages) == before + 1
    return response.text, link_in(messages[-1])


def sign_in(client: TestClient, mailbox: Capture, email: str) -> None:
    _, link = request_link(client, mailbox, email)
    response = client.get(link)
    assert response.status_code == 303, response.text
    assert "pw_session" in client.cookies
