"""Docs that cannot rot: every setting and every command is in the README."""

from __future__ import annotations

from pathlib import Path

import typer

from paperwire.cli import app
from paperwire.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_documented() -> None:
    missing = [
        f"PAPERWIRE_{name.upper()}"
        for name in Settings.model_fields
        if f"PAPERWIRE_{name.upper()}" not in README
    ]
    assert missing == []


def test_every_setting_has_help() -> None:
    assert [n for n, f in Settings.model_fields.items() if not f.description] == []


def _commands(group: typer.Typer, prefix: str) -> list[str]:
    names = [
        f"{prefix}{c.name or c.callback.__name__}".strip()
        for c in group.registered_commands
        if c.callback is not None
    ]
    for sub in group.registered_groups:
        names += _commands(sub.typer_instance, f"{prefix}{sub.name} ")  # type: ignore[arg-type]
    return names


def test_every_command_is_documented() -> None:
    commands = _commands(app, "paperwire ")
    assert "paperwire ingest daily" in commands
    missing = [c for c in commands if c not in README]
    assert missing == []
