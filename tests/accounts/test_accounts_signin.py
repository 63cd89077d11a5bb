"""Magic-link sign-in through the real site and a real SMTP server: the link signs in once,
expired/reused/tampered links are refused, CSRF and rate limits hold, and nothing tells an
address with an account from one without."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner

from paperwire.settings import Settings
from paperwire.signing import serializer
from paperwire.store import Store
from paperwire.store.login import create_login_token, expire_login_tokens
from paperwire.store.users import create_user, get_user_by_email
from paperwire.web.signin import signin_token
from tests.support.accountkit import ClientFactory, csrf, request_link, sign_in
from tests.support.mailserver import Capture, body_text

EXPIRED = "This sign-in link has expired or was already used."


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def test_the_mailed_link_signs_in_and_comes_back(
    client: TestClient, mailbox: Capture, site_store: Store, settings: Settings
) -> None:
    page, link = request_link(client, mailbox, "Ada@Example.org", next_path="/trending?period=day")
    assert "Check your inbox" in page
    message = mailbox.messages[-1]
    assert message["To"] == "ada@example.org"
    assert message["From"] == settings.mail_from
    assert message.get_body(preferencelist=("html",)) is not None
    assert link in body_text(message, "html").replace("&amp;", "&")
    assert "pw_session" not in client.cookies

    response = client.get(link)
    assert response.status_code == 303
    assert response.headers["location"] == "/trending?period=day"
    user = get_user_by_email(site_store, "ada@example.org")
    assert user is not None
    with site_store.engine.connect() as conn:
        from paperwire.store.schema import users

        last_login = conn.execute(
            users.select().with_only_columns(users.c.last_login).where(users.c.id == user.id)
        ).scalar()
    assert last_login is not None
    home = client.get("/")
    assert home.status_code == 200
    assert "ada@example.org" in home.text  # the header shows who is signed in
    assert 'action="/signout"' in home.text


def test_a_link_works_once(
    client: TestClient, mailbox: Capture, make_client: ClientFactory
) -> None:
    _, link = request_link(client, mailbox, "once@example.org")
    assert client.get(link).status_code == 303
    other = make_client("10.0.0.9")
    again = other.get(link)
    assert again.status_code == 400
    assert EXPIRED in again.text
    assert 'href="/signin"' in again.text
    assert "pw_session" not in other.cookies


def test_an_expired_row_refuses_the_link(
    client: TestClient, mailbox: Capture, site_store: Store
) -> None:
    create_user(site_store, "late@example.org")  # a known address: its link has a row
    _, link = request_link(client, mailbox, "late@example.org")
    user = get_user_by_email(site_store, "late@example.org")
    assert user is not None
    assert expire_login_tokens(site_store, user.id) == 1
    response = client.get(link)
    assert response.status_code == 400
    assert EXPIRED in response.text
    assert "pw_session" not in client.cookies


def test_a_token_older_than_magic_link_minutes_is_refused(
    client: TestClient, settings: Settings, site_store: Store
) -> None:
    # The row is still good: the token's own signed timestamp is what is too old.
    user, _ = create_user(site_store, "old@example.org")
    nonce = create_login_token(site_store, user.id, minutes=60 * 24)
    old = int(time.time()) - settings.magic_link_minutes * 60 - 5

    class OldSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return old

    signer = serializer(settings, "magic-link")
    signer.signer = OldSigner
    stale = signer.dumps({"u": user.id, "n": nonce})
    assert client.get("/signin/verify", params={"token": stale}).status_code == 400
    fresh = signin_token(settings, user.id, nonce)
    assert client.get("/signin/verify", params={"token": fresh}).status_code == 303


def test_tampered_and_foreign_tokens_are_refused(
    client: TestClient, mailbox: Capture, settings: Settings, site_store: Store
) -> None:
    create_user(site_store, "tamper@example.org")
    _, link = request_link(client, mailbox, "tamper@example.org")
    token = token_of(link)
    user = get_user_by_email(site_store, "tamper@example.org")
    assert user is not None
    rest = token.split(".", 1)[1]
    other_payload = serializer(settings, "x").dumps({"u": user.id + 1, "n": "z"}).split(".")[0]
    nonce = create_login_token(site_store, user.id, minutes=5)
    tries = [
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # bad signature
        f"{other_payload}.{rest}",  # another payload under this signature
        serializer(settings, "session").dumps({"u": user.id, "n": nonce}),  # other purpose
        serializer(settings, "magic-link").dumps({"u": user.id}),  # no nonce
        serializer(settings, "magic-link").dumps(["not", "a", "dict"]),
        "",
        "x" * 3000,
    ]
    for bad in tries:
        response = client.get("/signin/verify", params={"token": bad})
        assert response.status_code == 400, bad
        assert "pw_session" not in client.cookies
    assert client.get("/signin/verify", params={"token": "x" * 5000}).status_code == 400
    assert client.get(link).status_code == 303  # the real link was not used up by the tries


@pytest.mark.parametrize(
    ("asked", "landed"),
    [
        ("/account", "/account"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("/ok\r\nSet-Cookie: a=b", "/"),
    ],
)
def test_next_only_goes_to_this_site(
    client: TestClient, mailbox: Capture, asked: str, landed: str
) -> None:
    _, link = request_link(client, mailbox, "next@example.org", next_path=asked)
    response = client.get(link)
    assert response.status_code == 303
    assert response.headers["location"] == landed


def test_new_and_known_addresses_get_the_same_answer(
    client: TestClient, mailbox: Capture, site_store: Store
) -> None:
    create_user(site_store, "known@example.org")
    known, _ = request_link(client, mailbox, "known@example.org")
    new, link = request_link(client, mailbox, "new@example.org")
    assert known.replace("known@", "X@") == new.replace("new@", "X@")
    assert get_user_by_email(site_store, "new@example.org") is None  # not until the link is used
    assert client.get(link).status_code == 303
    assert get_user_by_email(site_store, "new@example.org") is not None


def test_a_new_address_gets_no_row_until_its_link_is_used_and_the_link_works_once(
    client: TestClient, mailbox: Capture, site_store: Store, make_client: ClientFactory
) -> None:
    from paperwire.store.schema import users

    def count() -> int:
        with site_store.engine.connect() as conn:
            return len(conn.execute(users.select()).all())

    before = count()
    _, first = request_link(client, mailbox, "fresh@example.org")
    _, second = request_link(client, mailbox, "fresh@example.org")
    assert count() == before
    assert client.get(first).status_code == 303
    assert count() == before + 1
    for link in (first, second):  # both were only good while the address had no account
        again = make_client("10.0.0.8").get(link)
        assert again.status_code == 400 and EXPIRED in again.text
    assert count() == before + 1


def test_a_refused_mail_still_shows_the_same_page(
    client: TestClient, mailbox: Capture, caplog: pytest.LogCaptureFixture
) -> None:
    mailbox.refuse = 1
    response = client.post(
        "/signin", data={"email": "down@example.org", "csrf_token": csrf(client)}
    )
    assert response.status_code == 200
    assert "Check your inbox" in response.text
    assert mailbox.refused == 1 and mailbox.messages == []
    assert "could not send the sign-in mail" in caplog.text


@pytest.mark.parametrize(
    ("email", "says"),
    [
        ("", "give an email address"),
        ("no-at-sign.example.org", "needs one @"),
        ("two@@example.org", "needs one @"),
        ("a@b@example.org", "needs one @"),
        ("@example.org", "needs one @"),
        ("ada@", "needs one @"),
        ("ada lovelace@example.org", "spaces or control characters"),
        ("ada\x00@example.org", "spaces or control characters"),
        ("a" * 320 + "@example.org", "at most 320 characters"),
    ],
)
def test_a_bad_address_is_a_clear_400(
    client: TestClient, mailbox: Capture, email: str, says: str
) -> None:
    response = client.post("/signin", data={"email": email, "csrf_token": csrf(client)})
    assert response.status_code == 400
    assert says in response.text
    assert "Traceback" not in response.text
    assert mailbox.messages == []


def test_html_in_a_bad_address_is_escaped(client: TestClient) -> None:
    response = client.post(
        "/signin", data={"email": "<script>x</script>", "csrf_token": csrf(client)}
    )
    assert response.status_code == 400
    assert "<script>x</script>" not in response.text
    assert "&lt;script&gt;" in response.text


def test_sign_in_needs_a_csrf_token_of_this_visitor(
    client: TestClient, make_client: ClientFactory, mailbox: Capture
) -> None:
    token = csrf(client)
    missing = client.post("/signin", data={"email": "c@example.org"})
    forged = client.post("/signin", data={"email": "c@example.org", "csrf_token": "forged"})
    assert missing.status_code == 403 and forged.status_code == 403
    # A good token, but made for another visitor's cookie: refused too.
    other = make_client("10.0.0.7")
    csrf(other)
    stolen = other.post("/signin", data={"email": "c@example.org", "csrf_token": token})
    assert stolen.status_code == 403
    # No cookie at all (a cross-site form post):
    bare = make_client("10.0.0.8")
    assert (
        bare.post("/signin", data={"email": "c@example.org", "csrf_token": token}).status_code
        == 403
    )
    assert mailbox.messages == []
    ok = client.post("/signin", data={"email": "c@example.org", "csrf_token": token})
    assert ok.status_code == 200


def test_sign_in_posts_are_limited_per_address(client: TestClient, mailbox: Capture) -> None:
    token = csrf(client)
    for n in range(5):
        response = client.post("/signin", data={"email": f"u{n}@example.org", "csrf_token": token})
        assert response.status_code == 200
    sixth = client.post("/signin", data={"email": "u9@example.org", "csrf_token": token})
    assert sixth.status_code == 429
    assert "too many requests" in sixth.text
    assert sixth.headers["retry-after"] == "600"
    assert len(mailbox.wait_for(5)) == 5


def test_sign_in_posts_are_limited_per_email(make_client: ClientFactory, mailbox: Capture) -> None:
    for n in range(5):
        visitor = make_client(f"10.0.1.{n}")
        response = visitor.post(
            "/signin", data={"email": "target@example.org", "csrf_token": csrf(visitor)}
        )
        assert response.status_code == 200
    visitor = make_client("10.0.1.99")
    response = visitor.post(
        "/signin", data={"email": "TARGET@example.org", "csrf_token": csrf(visitor)}
    )
    assert response.status_code == 429
    assert len(mailbox.wait_for(5)) == 5
    # Another address from the same visitor is still served.
    other = visitor.post("/signin", data={"email": "else@example.org", "csrf_token": csrf(visitor)})
    assert other.status_code == 200


def test_a_deleted_users_link_is_refused(
    client: TestClient, mailbox: Capture, site_store: Store
) -> None:
    from paperwire.store.users import delete_user

    create_user(site_store, "gone@example.org")
    _, link = request_link(client, mailbox, "gone@example.org")
    user = get_user_by_email(site_store, "gone@example.org")
    assert user is not None and delete_user(site_store, user.id)
    assert client.get(link).status_code == 400


def test_signed_in_visitor_sees_who_they_are_on_the_form(
    client: TestClient, mailbox: Capture
) -> None:
    sign_in(client, mailbox, "who@example.org")
    page = client.get("/signin")
    assert "You are signed in as" in page.text and "who@example.org" in page.text


def test_the_mail_says_how_long_the_link_works(client: TestClient, mailbox: Capture) -> None:
    _, link = request_link(client, mailbox, "plain@example.org")
    message = mailbox.messages[-1]
    assert message["Subject"] == "Your paperwire sign-in link"
    assert "works once, within 15 minutes" in body_text(message)
    assert f'href="{link}"' in body_text(message, "html").replace("&amp;", "&")


def test_other_spellings_of_an_address_share_its_limit_or_are_refused(
    make_client: ClientFactory, mailbox: Capture, site_store: Store
) -> None:
    """`victim@x.`, quoted and punycode forms are not other addresses with their own limit:
    they are refused, or keyed on the one spelling (issue 17)."""
    spellings = ["victim@exämple.org", "VICTIM@xn--exmple-cua.org"]
    for n in range(5):
        visitor = make_client(f"10.0.2.{n}")
        email = spellings[n % 2]
        response = visitor.post("/signin", data={"email": email, "csrf_token": csrf(visitor)})
        assert response.status_code == 200
    for n, other in enumerate(['"victim"@xn--exmple-cua.org', "victim@xn--exmple-cua.org."]):
        visitor = make_client(f"10.0.3.{n}")
        response = visitor.post("/signin", data={"email": other, "csrf_token": csrf(visitor)})
        assert response.status_code == 400
        assert "not an email address" in response.text
    visitor = make_client("10.0.2.99")
    response = visitor.post(
        "/signin", data={"email": "victim@xn--exmple-cua.org", "csrf_token": csrf(visitor)}
    )
    assert response.status_code == 429
    assert [m["To"] for m in mailbox.wait_for(5)] == ["victim@xn--exmple-cua.org"] * 5
    assert get_user_by_email(site_store, '"victim"@xn--exmple-cua.org') is None


@pytest.mark.parametrize("bad", ["a<b@example.org", "(c)a@example.org", 'x"y@example.org'])
def test_sign_in_refuses_addresses_mail_would_not_reach(
    client: TestClient, mailbox: Capture, site_store: Store, bad: str
) -> None:
    response = client.post("/signin", data={"email": bad, "csrf_token": csrf(client)})
    assert response.status_code == 400
    assert "not an email address" in response.text
    assert get_user_by_email(site_store, bad) is None
    assert mailbox.messages == []
