"""The `paperwire` command: output, --json, and the exit-code contract.

Exit codes: 0 done (something changed), 3 nothing new, 1 failed, 2 bad usage, 4 not found.
Commands run in-process (typer's CliRunner, or `paperwire.cli.main` where the exit code of a
user error matters) and, for the contract as a user sees it, as the installed console script.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from paperwire.cli import app
from paperwire.settings import Settings
from paperwire.store import open_store
from paperwire.store.papers import list_papers
from tests.support.clirun import run_main
from tests.support.shared_data import DATA, SHARED, need

DAILY = DATA / "arxiv" / "daily-arxiv-cs-2025-2026"
SEEDS = SHARED / "seed-pages"
DAY_A, DAY_B = "2025-11-15", "2025-11-18"  # 16 records (10 papers) and 3 records (2 papers)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data home for every command of the test (PAPERWIRE_HOME)."""
    path = tmp_path / "home"
    monkeypatch.setenv("PAPERWIRE_HOME", str(path))
    monkeypatch.delenv("PAPERWIRE_DATABASE_URL", raising=False)
    return path


def day_file(day: str) -> str:
    return str(need(DAILY / f"{day}.jsonl.gz"))


def invoke(*args: str) -> Any:
    """Run through typer's CliRunner (exit codes of typer.Exit, output captured)."""
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def as_json(text: str) -> Any:
    return json.loads(text)


def one_line_error(text: str) -> str:
    """The single `error: ...` line of a user error (and no traceback)."""
    assert "Traceback" not in text
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert lines[0].startswith("error: ")
    return lines[0]


# --- init / ingest / stats -------------------------------------------------------------------


def test_init_creates_the_database(home: Path, tmp_path: Path) -> None:
    result = invoke("init", "--json")
    assert result.exit_code == 0
    info = as_json(result.stdout)
    assert info == {"home": str(home), "database": f"sqlite:///{home / 'paperwire.db'}"}
    assert (home / "paperwire.db").is_file()
    # --home overrides the environment; text output names the home
    other = tmp_path / "other"
    result = invoke("--home", str(other), "init")
    assert result.exit_code == 0
    assert "paperwire is ready" in result.stdout
    assert (other / "paperwire.db").is_file()


def test_ingest_daily_then_nothing_new(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "ingest", "daily", day_file(DAY_A), "--json")
    assert code == 0
    first = as_json(out)
    assert first["source"] == "daily-jsonl"
    assert {k: first[k] for k in ("records", "new", "updated", "merged", "unchanged")} == {
        "records": 16,
        "new": 10,
        "updated": 0,
        "merged": 0,
        "unchanged": 6,  # the day lists six papers twice
    }
    assert (first["rejected"], first["rejects"], first["changed"]) == (0, [], 10)

    code, out, _ = run_main(capsys, "ingest", "daily", day_file(DAY_A), "--json")
    assert code == 3  # nothing new
    again = as_json(out)
    assert (again["new"], again["unchanged"], again["changed"]) == (0, 16, 0)

    # the text report says the same
    code, out, _ = run_main(capsys, "ingest", "daily", day_file(DAY_A))
    assert code == 3
    assert "daily-jsonl: 16 records" in out and "0 new" in out


def test_ingest_listing_and_stats(home: Path) -> None:
    result = invoke("ingest", "listing", str(need(SEEDS)), "--year", "2026", "--json")
    assert result.exit_code == 0
    summary = as_json(result.stdout)
    assert (summary["records"], summary["new"], summary["rejected"]) == (393, 305, 0)

    stats = as_json(invoke("stats", "--json").stdout)
    assert stats["papers"] == 305
    assert stats["with_arxiv_id"] == 0
    assert stats["sources"] == {"listing-page": 305}
    assert (stats["days"], stats["first_day"], stats["last_day"]) == (3, "2026-03-12", "2026-06-06")
    text = invoke("stats").stdout
    assert "papers" in text and "305" in text


# --- papers list / show ----------------------------------------------------------------------


@pytest.fixture
def two_days(home: Path) -> Path:
    result = invoke("ingest", "daily", day_file(DAY_A), day_file(DAY_B), "--json")
    assert result.exit_code == 0
    assert as_json(result.stdout)["new"] == 12
    return home


def ids(result: Any) -> list[str]:
    assert result.exit_code == 0
    return [row["id"] for row in as_json(result.stdout)]


def test_papers_list(two_days: Path) -> None:
    assert ids(invoke("papers", "list", "--day", DAY_B, "--json")) == ["2511.11552", "2511.11563"]
    assert ids(invoke("papers", "list", "--day", "latest", "--json")) == [
        "2511.11552",
        "2511.11563",
    ]
    on_a_in_cv = ["2511.10615", "2511.10627", "2511.10629", "2511.10647", "2511.10648"]
    assert ids(invoke("papers", "list", "--day", DAY_A, "--category", "cs.CV", "--json")) == (
        on_a_in_cv
    )
    # newest listing day first; a category matches in any position, not only the primary
    assert ids(invoke("papers", "list", "--category", "cs.CV", "--json")) == [
        "2511.11552",
        "2511.11563",
        *on_a_in_cv,
    ]
    assert ids(invoke("papers", "list", "--category", "cs.FL", "--json")) == ["2511.10627"]
    assert ids(invoke("papers", "list", "--day", "2025-11-16", "--json")) == []
    assert len(ids(invoke("papers", "list", "--json"))) == 12
    assert ids(invoke("papers", "list", "--limit", "2", "--offset", "1", "--json")) == [
        "2511.11563",
        "2511.10615",
    ]
    rows = as_json(invoke("papers", "list", "--day", DAY_B, "--json").stdout)
    assert rows[1]["title"] == "LARM: A Large Articulated-Object Reconstruction Model"
    assert rows[1]["announced"] == DAY_B
    text = invoke("papers", "list", "--day", DAY_B).stdout
    assert f"Papers of {DAY_B}" in text and "2511.11563" in text
    assert "no papers" in invoke("papers", "list", "--day", "2025-11-16").stdout


def test_papers_show(two_days: Path) -> None:
    result = invoke("papers", "show", "2511.10621", "--json")
    assert result.exit_code == 0
    row = as_json(result.stdout)
    assert row["id"] == row["arxiv_id"] == "2511.10621"
    assert row["title"] == "SSR: Socratic Self-Refine for Large Language Model Reasoning"
    assert row["authors"][:2] == ["Haizhou Shi", "Ye Liu"] and len(row["authors"]) == 9
    assert row["categories"] == ["cs.CL", "cs.AI", "cs.LG"]
    assert row["primary_category"] == "cs.CL"
    assert row["announced"] == DAY_A
    assert row["comments"] == "Preprint; work in progress"
    assert row["abs_url"] == "https://arxiv.org/abs/2511.10621"
    assert row["code_links"] == [
        "https://github.com/SalesforceAIResearch/socratic-self-refine-reasoning"
    ]
    assert row["sources"] == ["daily-jsonl"]
    # a versioned id or an abs URL names the same paper
    assert as_json(invoke("papers", "show", "2511.10621v2", "--json").stdout)["id"] == "2511.10621"
    url = "https://arxiv.org/abs/2511.10621"
    assert as_json(invoke("papers", "show", url, "--json").stdout)["id"] == "2511.10621"

    text = invoke("papers", "show", "2511.10621")
    assert text.exit_code == 0
    assert text.stdout.startswith("SSR: Socratic Self-Refine for Large Language Model Reasoning\n")
    for part in ("2511.10621", "cs.CL, cs.AI, cs.LG", DAY_A, "Preprint; work in progress"):
        assert part in text.stdout
    assert "Large Language Models (LLMs) have demonstrated" in text.stdout


def test_papers_show_unknown_id(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke("init").exit_code == 0
    code, out, err = run_main(capsys, "papers", "show", "nosuch")
    assert code == 4
    assert out == ""
    assert one_line_error(err) == "error: no paper with id 'nosuch'"


# --- errors ----------------------------------------------------------------------------------


def test_missing_input_file(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, "ingest", "daily", "/nonexistent")
    assert code == 4  # not found
    assert out == ""
    assert one_line_error(err) == "error: /nonexistent: no such file or directory"


def test_bad_usage(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(capsys, "papers", "list", "--day", "2025-13-45")
    assert code == 2
    assert one_line_error(err) == "error: '2025-13-45' is not a day: use YYYY-MM-DD"

    page = tmp_path / "page.txt"
    page.write_text("A title\nAn abstract.\n")
    code, _, err = run_main(capsys, "ingest", "listing", "--day", "someday", str(page))
    assert code == 2
    assert one_line_error(err) == "error: 'someday' is not a day: use YYYY-MM-DD"

    # click's own usage errors: exit 2 with a message, no traceback
    code, _, err = run_main(capsys, "papers", "list", "--limit", "0")
    assert code == 2
    assert "Traceback" not in err and "Invalid value for '--limit'" in err
    code, _, err = run_main(capsys, "no-such-command")
    assert code == 2
    assert "Traceback" not in err and "No such command 'no-such-command'" in err
    code, _, err = run_main(capsys, "ingest", "daily")
    assert code == 2
    assert "Traceback" not in err and "Missing argument" in err


def test_ingest_jsonl_with_bad_lines(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "mixed.jsonl"
    f.write_bytes(
        b'{"title": "Good one", "arxiv_id": "2501.00001", "announced": "2025-01-02"}\n'
        b'{"title": broken}\n'
        b'{"title": "Good two", "categories": "cs.CL", "announced": "2025-01-02"}\n'
        b'{"abstract": "no title"}\n'
    )
    code, out, _ = run_main(capsys, "ingest", "jsonl", str(f), "--json")
    assert code == 0
    summary = as_json(out)
    assert (summary["records"], summary["new"], summary["rejected"]) == (2, 2, 2)
    assert summary["rejects"] == [
        "mixed.jsonl:2: broken JSON: Expecting value at column 11",
        "mixed.jsonl:4: missing title",
    ]
    code, out, _ = run_main(capsys, "papers", "list", "--day", "2025-01-02", "--json")
    assert code == 0
    titles = sorted(row["title"] for row in as_json(out))
    assert titles == ["Good one", "Good two"]

    # without --json the rejections go to stderr, the summary to stdout
    g = tmp_path / "more.jsonl"
    g.write_bytes(b'{"title": "Good three"}\n["not", "an", "object"]\n')
    code, out, err = run_main(capsys, "ingest", "jsonl", str(g))
    assert code == 0
    assert "rejected more.jsonl:2: expected a JSON object, got list" in err
    assert "jsonl: 2 records" not in out  # rejects are not records
    assert "jsonl: 1 records" in out and "1 new" in out and "1 rejected" in out


# --- the installed console script ------------------------------------------------------------


def test_console_script_exit_codes(home: Path) -> None:
    script = shutil.which("paperwire")
    if script is None:
        pytest.skip("the paperwire console script is not installed")
    env = os.environ | {"PAPERWIRE_HOME": str(home), "COLUMNS": "200"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [script, *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )

    first = run("ingest", "daily", day_file(DAY_B), "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["new"] == 2
    again = run("ingest", "daily", day_file(DAY_B), "--json")
    assert again.returncode == 3, again.stderr
    assert json.loads(again.stdout)["new"] == 0
    missing = run("papers", "show", "nosuch")
    assert missing.returncode == 4
    assert one_line_error(missing.stderr) == "error: no paper with id 'nosuch'"
    bad_day = run("papers", "list", "--day", "2025-13-45")
    assert bad_day.returncode == 2
    assert one_line_error(bad_day.stderr) == "error: '2025-13-45' is not a day: use YYYY-MM-DD"


# --- demo ------------------------------------------------------------------------------------


def test_demo(home: Path) -> None:
    result = invoke("demo", "--no-serve", "--no-embed")
    assert result.exit_code == 0
    m = re.search(r"latest day (\S+): (\d+) papers", result.stdout)
    assert m is not None, result.stdout[:2000]
    assert m.group(1) == "2026-07-01"
    assert len(result.stdout.splitlines()) < 25  # a summary, not the day's table
    assert "daily-jsonl:" in result.stdout and "listing-page:" in result.stdout
    store = open_store(Settings(home=home))
    try:
        rows = list_papers(store, day=date(2026, 7, 1), limit=10_000)
    finally:
        store.close()
    assert int(m.group(2)) == len(rows) > 0
    assert all(r["announced"] == date(2026, 7, 1) for r in rows)
    assert rows[0]["id"] in result.stdout


def test_stored_terminal_escapes_never_reach_the_terminal(home: Path, tmp_path: Path) -> None:
    """A title with OSC/CSI sequences (retitle the window, clear the screen) and Rich markup
    prints as plain text in `papers show`, `papers list` and `search` (issue 17)."""
    title = "\u001b]0;pwned\u0007Evil \u001b[2Jtitle \u009b31m [bold red]markup[/] here"
    record = {"title": title, "arxiv_id": "2506.00001", "abstract": "Evil \u001b[5m abstract"}
    path = tmp_path / "evil.jsonl"
    path.write_text(json.dumps(record) + "\n")
    assert invoke("ingest", "jsonl", str(path)).exit_code == 0
    assert invoke("index", "update").exit_code == 0
    for args in (("papers", "show", "2506.00001"), ("papers", "list"), ("search", "evil")):
        result = invoke(*args)
        assert result.exit_code == 0, args
        text = result.stdout
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", text), (args, text)
        assert "[bold red]markup[/]" in text, args
