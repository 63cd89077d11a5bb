"""`paperwire users add --moderator / --no-moderator`: the flag that lets a user hide comments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paperwire.settings import Settings
from paperwire.store import open_store
from paperwire.store.comments import is_moderator
from paperwire.store.users import get_user_by_email
from tests.support.clirun import run_main


def test_users_add_moderator(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAPERWIRE_DATABASE_URL", raising=False)
    home = str(tmp_path / "home")

    def flag() -> bool:
        with open_store(Settings(home=Path(home))) as store:
            user = get_user_by_email(store, "mod@example.org")
            assert user is not None
            return is_moderator(store, user.id)

    code, out, _ = run_main(capsys, "--home", home, "users", "add", "mod@example.org", "--json")
    assert code == 0 and json.loads(out)["moderator"] is False and not flag()
    code, out, _ = run_main(
        capsys, "--home", home, "users", "add", "mod@example.org", "--moderator"
    )
    assert code == 0 and "moderator" in out and flag()
    code, out, _ = run_main(capsys, "--home", home, "users", "add", "mod@example.org")
    assert code == 3 and flag()  # nothing asked: nothing changed
    args = ("users", "add", "mod@example.org", "--no-moderator", "--json")
    code, out, _ = run_main(capsys, "--home", home, *args)
    assert code == 0 and json.loads(out)["moderator"] is False and not flag()
