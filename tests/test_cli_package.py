"""The cli/ package's own pieces: the ingest source table and the one output layer."""

from __future__ import annotations

import json

import pytest

from paperwire.cli import app
from paperwire.cli.app import ingest_app
from paperwire.cli.ingest import COMMANDS, FILES_HELP, SOURCES, source_class
from paperwire.cli.output import by_stage, emit_json, progress_bar, shown


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_table_entry_is_a_source_class(name: str) -> None:
    cls = source_class(name)
    assert isinstance(cls, type)
    assert all(callable(getattr(cls, m, None)) for m in ("items",))  # the Source protocol
    assert cls.__module__ == SOURCES[name].partition(":")[0]


def test_the_ingest_group_is_the_table_in_order() -> None:
    registered = [c.name for c in ingest_app.registered_commands]
    assert registered == list(COMMANDS)
    files_only = [n for n in COMMANDS if n in FILES_HELP]
    assert files_only == ["daily", "kaggle", "jsonl", "csv", "oai-dump"]
    for name in files_only:
        assert COMMANDS[name].__doc__ == FILES_HELP[name]


def test_the_app_is_the_one_the_package_exports() -> None:
    assert ingest_app in [g.typer_instance for g in app.registered_groups]


def test_no_progress_bar_off_a_terminal() -> None:
    # pytest captures stderr: not a terminal, so the library gets no callback to call
    with progress_bar("ingest x") as update:
        assert update is None
    assert by_stage(None) is None
    calls: list[tuple[int, int | None]] = []
    staged = by_stage(lambda done, total: calls.append((done, total)))
    assert staged is not None
    staged("encode", 3, 10)
    assert calls == [(3, 10)]


def test_output_is_terminal_safe_and_json_is_plain(capsys: pytest.CaptureFixture[str]) -> None:
    assert shown("\x1b]0;owned\x07Title [bold]x[/]") == "Title \\[bold]x\\[/]"
    emit_json({"title": "Ünïcode", "n": 1})
    assert json.loads(capsys.readouterr().out) == {"title": "Ünïcode", "n": 1}
