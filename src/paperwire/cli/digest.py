"""The `digest` group: sending the daily digest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from paperwire.cli.app import (
    EXIT_DEFERRED,
    EXIT_NOTHING_NEW,
    JsonOpt,
    digest_app,
    parse_day,
    settings_of,
)
from paperwire.cli.output import emit_json, err, out, progress_bar


@digest_app.command("send")
def digest_send(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Render and summarise; send nothing, no outbox.")
    ] = False,
    day: Annotated[
        str | None, typer.Option("--date", help="Digest day (YYYY-MM-DD); default today.")
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Only this subscriber (email).")
    ] = None,
    eml_dir: Annotated[
        Path | None, typer.Option("--eml-dir", help="With --dry-run: write .eml files here.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Send the daily digest to every subscriber (resumable: each user gets one per day)."""
    from paperwire.digest.send import send_digests

    with progress_bar("digest") as progress:
        summary = send_digests(
            settings_of(ctx),
            day=parse_day(day),
            dry_run=dry_run,
            user=user,
            progress=progress,
            eml_dir=eml_dir,
        )
    if as_json:
        emit_json(summary.as_dict())
    else:
        s = summary
        verb = f"rendered {s.rendered:,} (dry run: nothing sent)" if dry_run else f"sent {s.sent:,}"
        out.print(
            f"digest of {s.day}: {s.subscribers:,} subscribers, [green]{verb}[/], "
            f"{s.empty:,} with nothing new, {s.skipped_already_sent:,} already done, "
            f"[yellow]{s.deferred:,} left for the next run[/], [red]{s.failed:,} refused[/], "
            f"{s.errors:,} errors in {s.seconds:.1f} s",
            highlight=False,
        )
        for path in s.files[:5]:
            out.print(f"wrote {path}", highlight=False)
    if summary.deferred and not dry_run:
        err.print(
            f"deferred: {summary.deferred:,} digests could not be handed to the mail server; "
            "they stay pending for the next `paperwire digest send`",
            highlight=False,
        )
        raise typer.Exit(EXIT_DEFERRED)
    if (summary.rendered if dry_run else summary.sent) == 0:
        raise typer.Exit(EXIT_NOTHING_NEW)
