"""The daily pipeline (`daily`, `worker`, `status`) and `backup` / `restore`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from paperwire.cli.app import EXIT_NOTHING_NEW, JsonOpt, app, settings_of, store_of
from paperwire.cli.output import emit_json, out
from paperwire.errors import ConfigError


def _at(text: str | None) -> Any:
    from datetime import datetime

    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"--at {text!r}: use an ISO time, e.g. 2026-07-06T20:45-04:00") from exc
    if when.tzinfo is None:
        raise ConfigError(f"--at {text!r}: give the time zone, e.g. 2026-07-06T20:45-04:00")
    return when


def _print_cycle(report: Any) -> None:
    for step in report.steps:
        colour = "green" if step["status"] == "done" else "red"
        detail = step["error"] or ", ".join(
            f"{k} {v}" for k, v in step["counts"].items() if isinstance(v, int | float)
        )
        out.print(
            f"[{colour}]{step['status']:>6}[/] {step['step']} ({step['day']}, "
            f"{step['seconds']:.1f} s): {detail}",
            highlight=False,
        )
    out.print(f"digest: {report.digest}", highlight=False)


@app.command()
def daily(
    ctx: typer.Context,
    at: Annotated[
        str | None,
        typer.Option(help="Run as if it were this time (ISO, with zone); default now."),
    ] = None,
    embed_limit: Annotated[
        int, typer.Option(min=0, help="Embed at most N papers in this cycle (0: all).")
    ] = 2000,
    as_json: JsonOpt = False,
) -> None:
    """One cycle of the daily pipeline (for cron): harvest, index, embed, digest when due."""
    from paperwire.pipeline import run_cycle

    report = run_cycle(settings_of(ctx), now=_at(at), embed_limit=embed_limit or None)
    if as_json:
        emit_json(report.as_dict())
    else:
        _print_cycle(report)
    if report.failed:
        raise typer.Exit(1)
    if not report.steps:
        raise typer.Exit(EXIT_NOTHING_NEW)


@app.command()
def worker(ctx: typer.Context) -> None:
    """Run the daily pipeline until interrupted: one cycle per worker interval (a setting)."""
    from paperwire.pipeline import Worker

    logging.getLogger("paperwire").setLevel(logging.INFO)  # each step and skipped source
    Worker(settings_of(ctx), on_cycle=_print_cycle).run()


@app.command("status")
def status_cmd(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The last run of each pipeline step, the index lag and the embedded fraction."""
    from paperwire.index.manager import open_backend
    from paperwire.pipeline.status import pipeline_status

    with store_of(ctx) as store:
        data = pipeline_status(store, open_backend(settings_of(ctx)))
    if as_json:
        emit_json(data)
        return
    table = Table(title="pipeline steps (last run of each)")
    for col in ("step", "day", "status", "started", "seconds", "counts / error"):
        table.add_column(col)
    for name, run in data["steps"].items():
        counts = ", ".join(f"{k} {v}" for k, v in run["counts"].items() if isinstance(v, int))
        table.add_row(
            name,
            run["day"],
            run["status"],
            run["started"][:19],
            f"{run['seconds'] or 0:.1f}",
            run["error"] or counts,
        )
    out.print(table)
    ix = data["index"]
    out.print(
        f"index: {ix['papers_indexed']:,} of {ix['store_papers']:,} papers, lags the store by "
        f"{ix['lags_store_by']:,}; embedded {ix['papers_embedded']:,} "
        f"({100 * ix['embedded_fraction']:.1f}%)",
        highlight=False,
    )
    worker_info = data["worker"]
    out.print(
        f"worker: {worker_info['holder']} until {worker_info['until']}"
        if worker_info
        else "worker: none running",
        highlight=False,
    )


@app.command()
def backup(
    ctx: typer.Context,
    dest: Annotated[Path, typer.Argument(help="Backup folder to create.", show_default=False)],
    as_json: JsonOpt = False,
) -> None:
    """Back up the store and the settings (safe while serving; the index is rebuilt)."""
    from paperwire.ops.backup import backup_store

    result = backup_store(settings_of(ctx), dest)
    if as_json:
        emit_json(result)
    else:
        out.print(result["message"], highlight=False)


@app.command()
def restore(
    ctx: typer.Context,
    src: Annotated[Path, typer.Argument(help="A folder made by `paperwire backup`.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a store that already holds papers.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Restore the store from a backup, then rebuild the search index from it."""
    from paperwire.ops.backup import restore_store

    result = restore_store(settings_of(ctx), src, force=force)
    if as_json:
        emit_json(result)
    else:
        out.print(result["message"], highlight=False)
