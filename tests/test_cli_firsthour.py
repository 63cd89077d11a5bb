"""The failures a newcomer meets first, each a single clear line (no traceback), and help
text that reads well."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paperwire.cli import app
from tests.support.clirun import run_main


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    monkeypatch.setenv("PAPERWIRE_HOME", str(path))
    monkeypatch.delenv("PAPERWIRE_DATABASE_URL", raising=False)
    return path


def _cli(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    full.update(PAPERWIRE_HOME=str(home), **env)
    return subprocess.run(
        [sys.executable, "-m", "paperwire", *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.network_local
def test_serve_on_a_port_in_use_is_one_line(home: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _cli(home, "serve", "--port", str(port))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: port {port} on 127.0.0.1 is already in use (another paperwire or another "
        "server): stop it, or pick another port with --port"
    ]


def test_a_host_that_does_not_resolve_fails_fast_with_a_hint(home: Path) -> None:
    started = time.monotonic()
    result = _cli(
        home,
        "ingest",
        "rss",
        "cs.AI",
        PAPERWIRE_ARXIV_RSS_URL="http://no-such-host.invalid/atom/{category}",
        PAPERWIRE_REQUEST_INTERVAL="3",
    )
    assert time.monotonic() - started < 30  # no backoff (3 + 6 + 12 + ... s) on a DNS failure
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: cannot resolve the host 'no-such-host.invalid' of http://")
    assert "network" in line and "PAPERWIRE_ARXIV_RSS_URL" in line


def test_missing_input_exits_4(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, "ingest", "daily", "/nonexistent")
    assert (code, out) == (4, "")
    assert err.strip() == "error: /nonexistent: no such file or directory"


@pytest.mark.parametrize("query", ["", "   "])
def test_an_empty_search_searches_nothing(
    home: Path, capsys: pytest.CaptureFixture[str], query: str
) -> None:
    code, out, err = run_main(capsys, "search", query)
    assert (code, out) == (2, "")
    assert err.startswith("error: nothing to search: give a query")
    assert len(err.strip().splitlines()) == 1


def _all_help() -> list[tuple[str, str]]:
    """(command path, --help text) of every command and group."""
    import typer.main

    root = typer.main.get_command(app)
    found: list[tuple[str, str]] = []

    def walk(cmd: object, path: list[str], parent: object) -> None:
        ctx = type(parent or root.make_context("paperwire", [], resilient_parsing=True))(
            cmd, info_name=" ".join(path) or "paperwire", parent=parent
        )
        found.append((" ".join(path), cmd.get_help(ctx)))  # type: ignore[attr-defined]
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, [*path, name], ctx)

    walk(root, [], None)
    return found


def _description(text: str) -> list[list[str]]:
    """The paragraphs of the description: between the usage line and the first section."""
    body = text.split("\n\n", 1)[1] if "\n\n" in text else ""
    body = re.split(r"^(?:Arguments|Options|Commands):$", body, flags=re.M)[0]
    return [p.splitlines() for p in body.strip("\n").split("\n\n") if p.strip()]


def test_help_has_no_type_placeholders_nor_broken_sentences() -> None:
    helps = _all_help()
    assert len(helps) > 30
    for path, text in helps:
        assert "<bool>" not in text, path
        for paragraph in _description(text):
            # Reflowed text fills its lines; a docstring's own line break leaves a short one.
            for line in paragraph[:-1]:
                assert len(line) > 60, f"{path}: description broken at {line!r}"
