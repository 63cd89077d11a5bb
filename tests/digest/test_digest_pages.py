"""The digest's web pages through the real app (FastAPI TestClient): preferences with CSRF,
one-click unsubscribe from a captured mail's header, tampered tokens, the preview."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from paperwire.digest.send import send_digests
from paperwire.settings import Settings
from paperwire.store import Store
from paperwire.store.subscriptions import list_subscriptions
from paperwire.store.users import User, create_user
from paperwire.web import auth, create_app
from tests.support.digestdata import DAY2, HOSTILE_QUERY, Subscriber
from tests.support.mailserver import Capture


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def sign_in(client: TestClient, settings: Settings, user: User) -> None:
    token = auth.serializer(settings, "session").dumps({"u": user.id, "v": user.session_version})
    client.cookies.set(auth.SESSION_COOKIE, token)


def csrf(client: TestClient) -> str:
    page = client.get("/account/subscriptions")
    assert page.status_code == 200
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def test_one_click_unsubscribe_from_the_mail_header(
    settings: Settings, dstore: Store, subscriber: Subscriber, mailbox: Capture, client: TestClient
) -> None:
    user = subscriber("una@example.org", "trending", "neural graphs")
    send_digests(settings, day=DAY2, store=dstore)
    [msg] = mailbox.wait_for(1)
    url = urlsplit(msg["List-Unsubscribe"].strip("<>"))
    # The GET page only shows a button: nothing changes.
    page = client.get(f"{url.path}?{url.query}")
    assert page.status_code == 200 and "una@example.org" in page.text
    assert all(s.enabled for s in list_subscriptions(dstore, user.id))
    # RFC 8058: the mail client POSTs this body, with no cookie and no CSRF token.
    client.cookies.clear()
    done = client.post(
        f"{url.path}?{url.query}",
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200, done.text
    assert "gets no more digests" in done.text
    assert [s.enabled for s in list_subscriptions(dstore, user.id)] == [False, False]
    # Nobody left to mail.
    assert send_digests(settings, day=DAY2, store=dstore).subscribers == 0


@pytest.mark.parametrize("token", ["", "garbage", "eyJ1IjoxfQ.awViCQ.8WGjGfVJiNCoOYXXXibzSjNmuZg"])
def test_tampered_unsubscribe_token_is_a_400(
    client: TestClient, subscriber: Subscriber, dstore: Store, token: str
) -> None:
    user = subscriber("tam@example.org")
    for method in ("get", "post"):
        response = client.request(method, f"/unsubscribe?token={token}")
        assert response.status_code == 400
        assert "damaged" in response.text and "Traceback" not in response.text
    assert all(s.enabled for s in list_subscriptions(dstore, user.id))


def test_token_for_another_purpose_is_refused(
    client: TestClient, settings: Settings, subscriber: Subscriber
) -> None:
    user = subscriber("pur@example.org")
    session = auth.serializer(settings, "session").dumps({"u": user.id})
    assert client.post(f"/unsubscribe?token={session}").status_code == 400


def test_preferences_need_a_sign_in(client: TestClient) -> None:
    response = client.get("/account/subscriptions", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=/account/subscriptions"
    preview = client.get("/digest/preview", follow_redirects=False)
    assert preview.status_code == 303 and "next=/digest/preview" in preview.headers["location"]


def test_preferences_add_toggle_remove_with_csrf(
    client: TestClient, settings: Settings, dstore: Store
) -> None:
    user, _ = create_user(dstore, "pref@example.org")
    sign_in(client, settings, user)
    token = csrf(client)
    # Without the token: 403, nothing written.
    refused = client.post("/account/subscriptions", data={"kind": "trending"})
    assert refused.status_code == 403
    assert list_subscriptions(dstore, user.id) == []

    ok = client.post(
        "/account/subscriptions",
        data={"kind": "search", "query": HOSTILE_QUERY, "csrf_token": token},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    [sub] = list_subscriptions(dstore, user.id)
    assert (sub.kind, sub.query, sub.enabled) == ("search", HOSTILE_QUERY, True)
    page = client.get("/account/subscriptions")
    assert "<b>" not in page.text and "&lt;b&gt;" in page.text

    off = f"/account/subscriptions/{sub.id}/enabled"
    assert client.post(off, data={"enabled": "0"}).status_code == 403
    assert list_subscriptions(dstore, user.id)[0].enabled
    client.post(off, data={"enabled": "0", "csrf_token": token})
    assert not list_subscriptions(dstore, user.id)[0].enabled
    client.post(off, data={"enabled": "1", "csrf_token": token})
    assert list_subscriptions(dstore, user.id)[0].enabled

    client.post("/account/subscriptions", data={"kind": "recs", "csrf_token": token})
    assert [s.kind for s in list_subscriptions(dstore, user.id)] == ["search", "recs"]
    removed = client.post(f"/account/subscriptions/{sub.id}/remove", data={"csrf_token": token})
    assert removed.status_code == 200  # followed the 303 back to the page
    assert [s.kind for s in list_subscriptions(dstore, user.id)] == ["recs"]


def test_bad_subscriptions_are_clear_400s(
    client: TestClient, settings: Settings, dstore: Store
) -> None:
    user, _ = create_user(dstore, "bad@example.org")
    other, _ = create_user(dstore, "other@example.org")
    sign_in(client, settings, user)
    token = csrf(client)
    bad_query = client.post(
        "/account/subscriptions",
        data={"kind": "search", "query": "year:abc", "csrf_token": token},
    )
    assert bad_query.status_code == 400 and "year" in bad_query.text
    bad_kind = client.post("/account/subscriptions", data={"kind": "spam", "csrf_token": token})
    assert bad_kind.status_code == 400 and "not one of" in bad_kind.text
    assert list_subscriptions(dstore, user.id) == []
    # Someone else's subscription: not found, untouched.
    from paperwire.store.subscriptions import add_subscription

    theirs = add_subscription(dstore, other.id, "trending")
    response = client.post(
        f"/account/subscriptions/{theirs.id}/enabled", data={"enabled": "0", "csrf_token": token}
    )
    assert response.status_code == 404
    assert list_subscriptions(dstore, other.id)[0].enabled


def test_preview_shows_the_digest_without_sending(
    client: TestClient,
    settings: Settings,
    dstore: Store,
    subscriber: Subscriber,
    mailbox: Capture,
) -> None:
    from paperwire.store import digests as outbox

    user = subscriber("pre@example.org", "trending", HOSTILE_QUERY)
    sign_in(client, settings, user)
    page = client.get(f"/digest/preview?date={DAY2}")
    assert page.status_code == 200
    assert "Subject:" in page.text and "paperwire digest — 1 Jul 2026" in page.text
    assert f'src="/digest/preview/mail?date={DAY2}"' in page.text and "sandbox=" in page.text
    # The framed HTML part: inline styles allowed by its own CSP, nothing else.
    mail = client.get(f"/digest/preview/mail?date={DAY2}")
    assert mail.status_code == 200
    csp = mail.headers["content-security-policy"]
    assert "style-src 'unsafe-inline'" in csp and "script" not in csp
    assert csp.startswith("default-src 'none'") and "frame-ancestors 'self'" in csp
    assert '<base target="_top">' in mail.text
    assert "https://papers.example.org/paper/2607.00031" in mail.text
    assert "<script>alert" not in mail.text and "Graphs &lt;script&gt;" in mail.text
    assert "<script>alert" not in page.text
    assert mailbox.messages == []
    assert outbox.get_outbox(dstore, user.id, DAY2) is None
    # A day with no papers: says so.
    empty = client.get("/digest/preview?date=1999-01-01")
    assert empty.status_code == 200 and "no digest would be sent" in empty.text
    assert client.get("/digest/preview?date=nope").status_code == 400


def test_save_this_search_only_for_signed_in_users(
    client: TestClient, settings: Settings, dstore: Store
) -> None:
    anonymous = client.get("/search", params={"q": "neural graphs", "mode": "bm25"})
    assert anonymous.status_code == 200 and "Save this search" not in anonymous.text
    user, _ = create_user(dstore, "save@example.org")
    sign_in(client, settings, user)
    page = client.get("/search", params={"q": 'neural "graphs"', "mode": "bm25"})
    assert "Save this search" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    query = re.search(r'name="query" value="([^"]+)"', page.text)
    assert token and query and query.group(1) == "neural &#34;graphs&#34;"
    client.post(
        "/account/subscriptions",
        data={"kind": "search", "query": 'neural "graphs"', "csrf_token": token.group(1)},
    )
    assert [s.query for s in list_subscriptions(dstore, user.id)] == ['neural "graphs"']
