"""The account page: passwords, name, sign out (here and everywhere), delete my account, and
what anonymous visitors get from pages that need an account."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from paperwire.store import Store
from paperwire.store.schema import login_tokens, papers, subscriptions, users, votes
from paperwire.store.subscriptions import add_subscription
from paperwire.store.users import get_user_by_email
from paperwire.web import auth
from paperwire.web.account import install_signin_redirect
from tests.support.accountkit import TOKEN, ClientFactory, csrf, sign_in
from tests.support.mailserver import Capture

PASSWORD = "correct horse battery staple"


def post_account(client: TestClient, path: str, **fields: str) -> object:
    return client.post(path, data={**fields, "csrf_token": csrf(client, "/account")})


def test_anonymous_account_page_goes_to_sign_in(client: TestClient) -> None:
    response = client.get("/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=/account"
    form = client.get("/signin?next=/account")
    assert 'name="next" value="/account"' in form.text


def test_anonymous_posts_go_to_sign_in(client: TestClient) -> None:
    token = csrf(client)
    for path in ("/account/name", "/account/password", "/account/signout-all", "/account/delete"):
        response = client.post(path, data={"csrf_token": token, "name": "x"})
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/signin")


def test_set_a_password_and_sign_in_with_it(
    client: TestClient, mailbox: Capture, make_client: ClientFactory, site_store: Store
) -> None:
    sign_in(client, mailbox, "pw@example.org")
    response = post_account(client, "/account/password", password=PASSWORD, confirm=PASSWORD)
    assert response.status_code == 303  # type: ignore[attr-defined]
    page = client.get("/account?done=password")
    assert "Your password is set" in page.text and "Change password" in page.text
    user = get_user_by_email(site_store, "pw@example.org")
    assert user is not None and user.has_password and user.session_version == 0
    with site_store.engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash).where(users.c.id == user.id)).scalar()
    assert stored and stored.startswith("$argon2id$") and PASSWORD not in stored

    other = make_client("10.0.2.1")
    signed = other.post(
        "/signin",
        data={
            "email": "PW@example.org",
            "password": PASSWORD,
            "next": "/account",
            "csrf_token": csrf(other),
        },
    )
    assert signed.status_code == 303
    assert signed.headers["location"] == "/account"
    assert other.get("/account").status_code == 200
    assert mailbox.wait_for(1) and len(mailbox.messages) == 1  # no mail for a password sign-in


def test_a_wrong_password_and_an_unknown_address_read_the_same(
    client: TestClient, mailbox: Capture, make_client: ClientFactory
) -> None:
    sign_in(client, mailbox, "pw2@example.org")
    post_account(client, "/account/password", password=PASSWORD, confirm=PASSWORD)
    answers = []
    for n, email in enumerate(("pw2@example.org", "nobody@example.org")):
        visitor = make_client(f"10.0.3.{n}")
        response = visitor.post(
            "/signin",
            data={"email": email, "password": "wrong password!", "csrf_token": csrf(visitor)},
        )
        assert response.status_code == 400
        assert "wrong email or password" in response.text
        assert "pw_session" not in visitor.cookies
        answers.append(TOKEN.sub("", response.text.replace(email, "X")))
    assert answers[0] == answers[1]
    # An account without a password says the same, and no account is made by trying.
    visitor = make_client("10.0.3.9")
    response = visitor.post(
        "/signin",
        data={"email": "nobody@example.org", "password": PASSWORD, "csrf_token": csrf(visitor)},
    )
    assert response.status_code == 400 and "wrong email or password" in response.text


def test_password_rules(client: TestClient, mailbox: Capture) -> None:
    sign_in(client, mailbox, "rules@example.org")
    short = post_account(client, "/account/password", password="short", confirm="short")
    assert short.status_code == 400  # type: ignore[attr-defined]
    assert "at least 8 characters" in short.text  # type: ignore[attr-defined]
    long = "x" * 1025
    too_long = post_account(client, "/account/password", password=long, confirm=long)
    assert too_long.status_code == 400  # type: ignore[attr-defined]
    assert "at most 1024 characters" in too_long.text  # type: ignore[attr-defined]
    differ = post_account(client, "/account/password", password=PASSWORD, confirm=PASSWORD + "!")
    assert differ.status_code == 400  # type: ignore[attr-defined]
    assert "the two passwords differ" in differ.text  # type: ignore[attr-defined]


def test_html_in_the_name_is_escaped_on_the_page_and_in_the_header(
    client: TestClient, mailbox: Capture
) -> None:
    sign_in(client, mailbox, "xss@example.org")
    evil = '<script>alert("n")</script><img src=x onerror=alert(1)>'
    assert post_account(client, "/account/name", name=evil).status_code == 303  # type: ignore[attr-defined]
    for path in ("/account", "/"):
        text = client.get(path).text
        assert "<script>alert" not in text and "<img src=x" not in text, path
        assert "&lt;script&gt;alert(&#34;n&#34;)&lt;/script&gt;" in text, path
    header = client.get("/").text.split("</header>")[0]
    assert "&lt;script&gt;" in header


def test_name_rules(client: TestClient, mailbox: Capture, site_store: Store) -> None:
    sign_in(client, mailbox, "named@example.org")
    too_long = post_account(client, "/account/name", name="n" * 201)
    assert too_long.status_code == 400  # type: ignore[attr-defined]
    assert "at most 200 characters" in too_long.text  # type: ignore[attr-defined]
    assert post_account(client, "/account/name", name="  Ada  ").status_code == 303  # type: ignore[attr-defined]
    user = get_user_by_email(site_store, "named@example.org")
    assert user is not None and user.name == "Ada"
    assert post_account(client, "/account/name", name="").status_code == 303  # type: ignore[attr-defined]
    user = get_user_by_email(site_store, "named@example.org")
    assert user is not None and user.name is None


def test_sign_out(client: TestClient, mailbox: Capture) -> None:
    sign_in(client, mailbox, "out@example.org")
    response = client.post("/signout", data={"csrf_token": csrf(client, "/account")})
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert "pw_session" not in client.cookies
    assert client.get("/account").status_code == 303
    assert ">Sign in</a>" in client.get("/").text


def test_sign_out_needs_csrf(client: TestClient, mailbox: Capture) -> None:
    sign_in(client, mailbox, "keep@example.org")
    assert client.post("/signout").status_code == 403
    assert client.get("/account").status_code == 200


def test_sign_out_everywhere_ends_old_sessions(
    client: TestClient, mailbox: Capture, make_client: ClientFactory, site_store: Store
) -> None:
    sign_in(client, mailbox, "every@example.org")
    laptop = make_client("10.0.4.1")
    sign_in(laptop, mailbox, "every@example.org")
    old_cookie = laptop.cookies["pw_session"]
    response = post_account(client, "/account/signout-all")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/signin?done=everywhere"  # type: ignore[attr-defined]
    assert client.get("/account").status_code == 303
    assert laptop.cookies["pw_session"] == old_cookie
    assert laptop.get("/account").status_code == 303  # the old cookie no longer signs in
    user = get_user_by_email(site_store, "every@example.org")
    assert user is not None and user.session_version == 1
    sign_in(laptop, mailbox, "every@example.org")  # signing in again works
    assert laptop.get("/account").status_code == 200


def test_sign_out_everywhere_ends_unused_links(
    client: TestClient, mailbox: Capture, make_client: ClientFactory
) -> None:
    from tests.support.accountkit import request_link

    sign_in(client, mailbox, "links@example.org")
    other = make_client("10.0.4.2")
    _, pending = request_link(other, mailbox, "links@example.org")
    post_account(client, "/account/signout-all")
    assert other.get(pending).status_code == 400


def test_delete_my_account_erases_everything(
    client: TestClient, mailbox: Capture, site_store: Store
) -> None:
    sign_in(client, mailbox, "bye@example.org")
    user = get_user_by_email(site_store, "bye@example.org")
    assert user is not None
    add_subscription(site_store, user.id, "trending")
    add_subscription(site_store, user.id, "search", "graph neural networks")
    with site_store.engine.begin() as conn:
        paper_pk = conn.execute(select(papers.c.pk).limit(1)).scalar()
        conn.execute(
            votes.insert().values(user_id=user.id, paper_pk=paper_pk, created=datetime.now(UTC))
        )

    wrong = post_account(client, "/account/delete", confirm="someone@example.org")
    assert wrong.status_code == 400  # type: ignore[attr-defined]
    assert "type its email address" in wrong.text  # type: ignore[attr-defined]
    assert get_user_by_email(site_store, "bye@example.org") is not None

    done = post_account(client, "/account/delete", confirm=" BYE@example.org ")
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert done.headers["location"] == "/signin?done=deleted"  # type: ignore[attr-defined]
    assert "pw_session" not in client.cookies
    assert "is erased" in client.get("/signin?done=deleted").text
    assert get_user_by_email(site_store, "bye@example.org") is None
    with site_store.engine.connect() as conn:
        for table in (votes, subscriptions, login_tokens):
            left = conn.execute(
                select(func.count()).select_from(table).where(table.c.user_id == user.id)
            ).scalar()
            assert left == 0, table.name
        assert conn.execute(select(func.count()).select_from(papers)).scalar() == 3


def test_account_page_links_and_no_store(client: TestClient, mailbox: Capture) -> None:
    sign_in(client, mailbox, "links2@example.org")
    page = client.get("/account")
    assert page.headers["cache-control"] == "no-store"
    for href in ("/account/subscriptions", "/collections", "/recommendations"):
        assert f'href="{href}"' in page.text
    header = client.get("/").text.split("</header>")[0]
    for href in ("/account", "/collections", "/recommendations"):
        assert f'href="{href}"' in header


def test_install_signin_redirect_turns_401_into_the_sign_in_form(
    app: FastAPI, make_client: ClientFactory
) -> None:
    @app.get("/needs-account")
    def needs_account(user: auth.SignedIn) -> dict[str, str]:
        return {"email": user.email}

    @app.get("/api/v1/needs-account")
    def api_needs_account(user: auth.SignedIn) -> dict[str, str]:
        return {"email": user.email}

    install_signin_redirect(app)
    client = make_client()
    page = client.get("/needs-account?x=1")
    assert page.status_code == 303
    assert page.headers["location"] == "/signin?next=/needs-account%3Fx%3D1"
    htmx = client.get("/needs-account", headers={"HX-Request": "true"})
    assert htmx.status_code == 401
    assert htmx.headers["hx-redirect"] == "/signin?next=/needs-account"
    api = client.get("/api/v1/needs-account")
    assert api.status_code == 401
    assert api.json()["error"]["message"] == "sign in first"
    assert client.get("/no-such-page").status_code == 404  # other errors keep their handler
