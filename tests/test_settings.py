"""Enumerated settings are Literal types: a bad value fails when the settings are read (startup),
with a message naming the variable and the allowed values; and one day definition serves the
CLI's `--day latest` and the home page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest

from paperwire.errors import ConfigError
from paperwire.index.backend import USER_MODES
from paperwire.settings import SearchMode, Settings, load_settings
from paperwire.store import open_store
from paperwire.store.listing import latest_listing_day
from paperwire.store.papers import upsert_records
from tests.support.clirun import run_main
from tests.support.paperfactory import arxiv_record


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("SMTP_SECURITY", "ssl", "'none', 'starttls' or 'tls'"),
        ("SEARCH_MODE", "dense", "'bm25', 'hybrid' or 'hybrid+rerank'"),
        ("LOG_FORMAT", "xml", "'text' or 'json'"),
    ],
)
def test_a_bad_enumerated_value_fails_at_startup(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    value: str,
    allowed: str,
) -> None:
    monkeypatch.setenv("PAPERWIRE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv(f"PAPERWIRE_{name}", value)
    with pytest.raises(
        ConfigError, match=re.escape(f"PAPERWIRE_{name}='{value}': Input should be {allowed}")
    ):
        load_settings()
    code, out, err = run_main(capsys, "stats")
    assert code == 2 and out == ""
    assert f"PAPERWIRE_{name}='{value}'" in err and allowed in err
    assert not (tmp_path / "home").exists()  # nothing was started


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("not an address", "not a mail address"),
        ("a@example.org, b@example.org", "not a mail address"),
        ("Digest <digest@>", "not a mail address"),
        ("digest@bad_host!", "no address@host"),
        ("digest@-example.org", "no address@host"),
        ("a@example.org\r\nBcc: victim@example.org", "a line break"),
    ],
)
def test_a_malformed_mail_from_stops_at_startup(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    value: str,
    why: str,
) -> None:
    monkeypatch.setenv("PAPERWIRE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PAPERWIRE_MAIL_FROM", value)
    with pytest.raises(ConfigError, match="PAPERWIRE_MAIL_FROM="):
        load_settings()
    code, out, err = run_main(capsys, "stats")
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "PAPERWIRE_MAIL_FROM=" in lines[0] and why in lines[0], err
    assert "Name <addr@host>" in lines[0]
    assert not (tmp_path / "home").exists()


@pytest.mark.parametrize(
    "value",
    ["paperwire <paperwire@localhost>", "digest@papers.example.org", '"Lab, papers" <a@b.org>'],
)
def test_good_mail_from_values_load(value: str) -> None:
    assert load_settings(mail_from=value).mail_from == value


def test_good_values_load() -> None:
    settings = load_settings(smtp_security="tls", search_mode="bm25", log_format="json")
    assert (settings.smtp_security, settings.search_mode, settings.log_format) == (
        "tls",
        "bm25",
        "json",
    )


def test_the_setting_allows_exactly_the_user_search_modes() -> None:
    assert get_args(SearchMode) == USER_MODES


def test_papers_list_latest_is_the_home_pages_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Papers with no announcement day (a plain JSONL import): the home page shows the newest
    listing day, and so does `papers list --day latest` (it used to list every paper)."""
    from datetime import date

    monkeypatch.setenv("PAPERWIRE_HOME", str(tmp_path / "home"))
    store = open_store(Settings())
    try:
        old = arxiv_record(1, date(2025, 3, 1), title="Old paper", announced=None)
        new = arxiv_record(2, date(2025, 3, 9), title="New paper", announced=None)
        upsert_records(store, [old, new])
        day = latest_listing_day(store)
    finally:
        store.close()
    assert day == date(2025, 3, 9)
    code, out, _ = run_main(capsys, "papers", "list", "--day", "latest", "--json")
    assert code == 0
    assert '"New paper"' in out and '"Old paper"' not in out
