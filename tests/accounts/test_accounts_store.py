"""Accounts in the store (SQLite and PostgreSQL): single-use sign-in rows, passwords, session
versions, the user summaries of `paperwire users list`; and the checks on addresses and
`next` paths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import update

from paperwire.errors import BadRequest
from paperwire.store import Store
from paperwire.store.login import create_login_token, expire_login_tokens, redeem_login_token
from paperwire.store.schema import users
from paperwire.store.subscriptions import add_subscription, set_enabled
from paperwire.store.users import (
    authenticate,
    check_email,
    create_user,
    get_user,
    normalize_email,
    record_login,
    set_name,
    set_password,
    sign_out_everywhere,
    user_summaries,
)
from paperwire.web.account import safe_next


def test_a_login_token_is_redeemed_once(store: Store) -> None:
    user, _ = create_user(store, "t@example.org")
    other, _ = create_user(store, "u@example.org")
    nonce = create_login_token(store, user.id, minutes=15)
    assert not redeem_login_token(store, other.id, nonce)  # someone else's nonce
    assert not redeem_login_token(store, user.id, "no-such-nonce")
    assert redeem_login_token(store, user.id, nonce)
    assert not redeem_login_token(store, user.id, nonce)


def test_a_login_token_expires(store: Store) -> None:
    user, _ = create_user(store, "t@example.org")
    then = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    nonce = create_login_token(store, user.id, minutes=15, now=then)
    assert not redeem_login_token(
        store, user.id, nonce, now=then + timedelta(minutes=15, seconds=1)
    )
    assert redeem_login_token(store, user.id, nonce, now=then + timedelta(minutes=14))


def test_expire_login_tokens_ends_unused_ones(store: Store) -> None:
    user, _ = create_user(store, "t@example.org")
    used = create_login_token(store, user.id, minutes=15)
    assert redeem_login_token(store, user.id, used)
    pending = [create_login_token(store, user.id, minutes=15) for _ in range(2)]
    assert expire_login_tokens(store, user.id) == 2
    assert not any(redeem_login_token(store, user.id, n) for n in pending)


def test_passwords(store: Store) -> None:
    user, _ = create_user(store, "p@example.org")
    assert authenticate(store, "p@example.org", "anything at all") is None  # no password yet
    set_password(store, user.id, "a long enough password")
    found = authenticate(store, " P@Example.org ", "a long enough password")
    assert found is not None and found.id == user.id and found.has_password
    assert authenticate(store, "p@example.org", "a long enough passworD") is None
    assert authenticate(store, "q@example.org", "a long enough password") is None
    assert authenticate(store, "p@example.org", "x" * 5000) is None
    with pytest.raises(BadRequest, match="at least 8"):
        set_password(store, user.id, "1234567")


def test_an_old_hash_is_upgraded_on_sign_in(store: Store) -> None:
    user, _ = create_user(store, "old@example.org")
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("an old password")
    with store.engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == user.id).values(password_hash=weak))
    assert authenticate(store, "old@example.org", "an old password") is not None
    with store.engine.connect() as conn:
        stored = conn.execute(users.select().where(users.c.id == user.id)).one().password_hash
    assert stored != weak and not PasswordHasher().check_needs_rehash(stored)
    assert authenticate(store, "old@example.org", "an old password") is not None


def test_sign_out_everywhere_bumps_the_version(store: Store) -> None:
    user, _ = create_user(store, "v@example.org")
    assert user.session_version == 0
    assert sign_out_everywhere(store, user.id) == 1
    assert sign_out_everywhere(store, user.id) == 2
    again = get_user(store, user.id)
    assert again is not None and again.session_version == 2


def test_names(store: Store) -> None:
    user, _ = create_user(store, "n@example.org")
    set_name(store, user.id, "  Grace Hopper ")
    assert (get_user(store, user.id) or user).name == "Grace Hopper"
    with pytest.raises(BadRequest, match="at most 200"):
        set_name(store, user.id, "g" * 201)
    with pytest.raises(BadRequest, match="control characters"):
        set_name(store, user.id, "bell\x07")


def test_user_summaries(store: Store) -> None:
    first, _ = create_user(store, "first@example.org", name="First")
    second, _ = create_user(store, "second@example.org")
    add_subscription(store, first.id, "trending")
    query_sub = add_subscription(store, first.id, "search", "graph neural networks")
    set_enabled(store, first.id, query_sub.id, False)
    record_login(store, second.id)
    rows = user_summaries(store)
    assert [r["email"] for r in rows] == ["first@example.org", "second@example.org"]
    assert rows[0]["name"] == "First"
    assert rows[0]["subscriptions"] == ["trending", "search:graph neural networks (off)"]
    assert rows[0]["last_login"] is None and rows[1]["last_login"] is not None
    assert rows[1]["subscriptions"] == [] and rows[1]["votes"] == 0
    assert rows[0]["has_password"] is False


@pytest.mark.parametrize(
    ("given", "expected"),
    [("Ada@Example.ORG", "ada@example.org"), ("  ada@localhost ", "ada@localhost")],
)
def test_check_email_normalises(given: str, expected: str) -> None:
    assert check_email(given) == expected


@pytest.mark.parametrize(
    "bad", ["", "ada", "a@b@c", "@b", "a@", "a b@c", "a\t@b", "a\u200b@b", "x" * 321]
)
def test_check_email_refuses(bad: str) -> None:
    with pytest.raises(BadRequest):
        check_email(bad)


# Addresses the mail library re-reads as another mailbox (b@x.org, a bare local user, ...),
# and other spellings of one mailbox that would get their own rate limit (issue 17).
NOT_ROUND_TRIPPING = [
    "a<b@x.org",
    "a:b@x.org",
    "(comment)a@x.org",
    "a>b@x.org",
    'x"y@x.org',
    '"victim"@x.org',
    "victim@x.org.",
    "victim@x",
    "a@[127.0.0.1]",
    "victim@x.org,b@y.org",
    "a..b@x.org",
    "<ada@x.org>",
]


@pytest.mark.parametrize("bad", NOT_ROUND_TRIPPING)
def test_check_email_accepts_only_addresses_that_round_trip(bad: str) -> None:
    with pytest.raises(BadRequest, match="not an email address"):
        check_email(bad)


def test_check_email_canonical_spelling() -> None:
    assert check_email("Ada@XN--exmple-cua.ORG") == "ada@xn--exmple-cua.org"
    assert check_email("ada@exämple.org") == "ada@xn--exmple-cua.org"  # mail goes out in ASCII
    assert normalize_email("ada@exämple.org") == check_email("ada@exämple.org")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", "/"),
        ("/account", "/account"),
        ("/search?q=a&page=2", "/search?q=a&page=2"),
        ("", "/"),
        (None, "/"),
        ("account", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/a\nb", "/"),
        ("/" + "a" * 2001, "/"),
    ],
)
def test_safe_next(path: str | None, expected: str) -> None:
    assert safe_next(path) == expected


@pytest.mark.parametrize("bad", ["a\x00b", "x\ud800", "tab\tin"])
def test_text_fields_refuse_nul_and_lone_surrogates(bad: str) -> None:
    """NUL (PostgreSQL refuses it) and lone surrogates (no driver can encode them) never reach
    the database as a 500: a name or saved search holding one is a BadRequest (issue 17)."""
    from paperwire.store.subscriptions import check_subscription
    from paperwire.store.users import check_name

    with pytest.raises(BadRequest, match="control characters"):
        check_subscription("search", bad)
    with pytest.raises(BadRequest, match="control characters"):
        check_name(bad)
