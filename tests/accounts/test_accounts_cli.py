"""`paperwire users add / list / remove` through the console entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paperwire.settings import Settings
from paperwire.store import open_store
from paperwire.store.subscriptions import list_subscriptions
from paperwire.store.users import get_user_by_email
from tests.support.clirun import run_main


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PAPERWIRE_DATABASE_URL", raising=False)
    return tmp_path / "home"


def cli(capsys: pytest.CaptureFixture[str], home: Path, *args: str) -> tuple[int, str, str]:
    return run_main(capsys, "--home", str(home), *args)


def test_users_add_list_remove(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    code, out, _ = cli(
        capsys,
        home,
        "users",
        "add",
        "Grace@Example.org",
        "--name",
        "Grace",
        "--subscribe",
        "trending",
        "--subscribe",
        "search:graph neural networks cat:cs.LG",
        "--json",
    )
    assert code == 0
    added = json.loads(out)
    assert added["email"] == "grace@example.org" and added["new"] is True
    assert added["subscriptions"] == ["trending", "search:graph neural networks cat:cs.LG"]
    with open_store(Settings(home=home)) as store:
        user = get_user_by_email(store, "grace@example.org")
        assert user is not None and user.name == "Grace"
        subs = list_subscriptions(store, user.id)
    assert [(s.kind, s.query, s.enabled) for s in subs] == [
        ("trending", None, True),
        ("search", "graph neural networks cat:cs.LG", True),
    ]

    assert cli(capsys, home, "users", "add", "ada@example.org")[0] == 0
    code, out, _ = cli(capsys, home, "users", "list", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["email"] for r in rows] == ["grace@example.org", "ada@example.org"]
    assert rows[0]["subscriptions"] == ["trending", "search:graph neural networks cat:cs.LG"]
    assert rows[0]["votes"] == 0 and rows[0]["last_login"] is None
    code, out, _ = cli(capsys, home, "users", "list")
    assert code == 0 and "grace@example.org" in out and "2 users" in out

    code, out, _ = cli(capsys, home, "users", "remove", "GRACE@example.org")
    assert code == 0 and "removed user" in out
    with open_store(Settings(home=home)) as store:
        assert get_user_by_email(store, "grace@example.org") is None
        assert list_subscriptions(store, user.id) == []
    code, out, _ = cli(capsys, home, "users", "list", "--json")
    assert [r["email"] for r in json.loads(out)] == ["ada@example.org"]


def test_users_add_again_changes_nothing(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    assert cli(capsys, home, "users", "add", "same@example.org")[0] == 0
    code, out, _ = cli(capsys, home, "users", "add", "same@example.org")
    assert code == 3 and "updated user" in out
    code, out, _ = cli(capsys, home, "users", "add", "same@example.org", "--subscribe", "recs")
    assert code == 0 and "recs" in out


def test_users_remove_unknown_is_exit_4(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    code, _, err = cli(capsys, home, "users", "remove", "nobody@example.org")
    assert code == 4
    assert "no user with the email 'nobody@example.org'" in err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("not-an-address",), "needs one @"),
        (("a@example.org", "--subscribe", "weekly"), "use trending, recs or search:QUERY"),
        (("a@example.org", "--subscribe", "search:"), "a saved search needs a query"),
        (("a@example.org", "--subscribe", "trending:x"), "use trending, recs or search:QUERY"),
        (("a@example.org", "--name", "n" * 201), "at most 200 characters"),
        (("a@example.org", "--name", "a\r\nb"), "cannot contain control characters"),
        (("a<b@example.org",), "not an email address"),
        (("(c)a@example.org",), "not an email address"),
    ],
)
def test_users_add_refuses_bad_input(
    capsys: pytest.CaptureFixture[str], home: Path, args: tuple[str, ...], says: str
) -> None:
    code, _, err = cli(capsys, home, "users", "add", *args)
    assert code == 2
    assert says in " ".join(err.split())
    assert "Traceback" not in err
    if args[0] == "a@example.org":
        with open_store(Settings(home=home)) as store:
            assert get_user_by_email(store, "a@example.org") is None  # nothing half-written
