"""The `ingest` group: one command per source, from one table of source name -> source.

Five sources read only files (`PATH...`, `--restart`, `--json`): their commands are made from
the table's source class. The other five take options of their own (days, a query, a URL)
and have a command function each; all ten run through `run_source`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from paperwire.cli.app import (
    EXIT_NOTHING_NEW,
    JsonOpt,
    PathsArg,
    RestartOpt,
    ingest_app,
    parse_day,
    settings_of,
    store_of,
)
from paperwire.cli.output import emit_json, err, out, progress_bar, shown
from paperwire.errors import ConfigError
from paperwire.ingest.base import Source
from paperwire.ingest.runner import IngestSummary, run_ingest
from paperwire.settings import Settings

OAI_FORMATS = ("arXivRaw", "arXiv", "oai_dc")


def run_source(ctx: typer.Context, source: Source, *, restart: bool, as_json: bool) -> None:
    """Ingest one source into the store, with a progress bar, and report; exit 3 when nothing
    changed."""
    settings = settings_of(ctx)
    with store_of(ctx) as store, progress_bar(f"ingest {source.name}", show=not as_json) as bar:
        summary = run_ingest(
            store, source, batch_size=settings.ingest_batch_size, restart=restart, progress=bar
        )
    report(summary, as_json)
    if summary.changed == 0:
        raise typer.Exit(EXIT_NOTHING_NEW)


def report(summary: IngestSummary, as_json: bool) -> None:
    if as_json:
        emit_json(summary.as_dict())
        return
    for message in summary.rejects[:20]:
        err.print(f"[yellow]rejected[/] {shown(message)}", highlight=False)
    if summary.rejected > 20:
        err.print(f"... and {summary.rejected - 20:,} more rejected")
    resumed = " (resumed an interrupted run)" if summary.resumed else ""
    out.print(
        f"{summary.source}: {summary.records:,} records in {summary.seconds:.1f} s{resumed}: "
        f"[green]{summary.new:,} new[/], {summary.updated:,} updated, {summary.merged:,} merged, "
        f"{summary.unchanged:,} unchanged, [yellow]{summary.rejected:,} rejected[/]",
        soft_wrap=True,
    )


def source_class(name: str) -> Any:
    """The class of a source in SOURCES, imported when a command runs (not at CLI start: the
    HTTP stack of the remote sources costs ~0.1 s)."""
    module, _, cls = SOURCES[name].partition(":")
    return getattr(importlib.import_module(module), cls)


def _files_command(name: str) -> Callable[..., None]:
    """The command of a source that reads only files: `SourceClass(paths)`."""

    def command(
        ctx: typer.Context, paths: PathsArg, restart: RestartOpt = False, as_json: JsonOpt = False
    ) -> None:
        run_source(ctx, source_class(name)(paths), restart=restart, as_json=as_json)

    command.__doc__ = FILES_HELP[name]
    return command


def _client(settings: Settings) -> Any:
    from paperwire.ingest.http import PoliteClient

    return PoliteClient(min_interval=settings.request_interval, timeout=settings.http_timeout)


def ingest_listing(
    ctx: typer.Context,
    paths: PathsArg,
    year: Annotated[int | None, typer.Option(help="Year of the pages' date banners.")] = None,
    day: Annotated[
        str | None, typer.Option(help="Listing day for every page (YYYY-MM-DD).")
    ] = None,
    restart: RestartOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Listing pages: a date banner, then title and abstract lines per paper."""
    source = source_class("listing")(paths, year=year, day=parse_day(day))
    run_source(ctx, source, restart=restart, as_json=as_json)


def ingest_oai(
    ctx: typer.Context,
    from_: Annotated[str | None, typer.Option("--from", help="From day (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Until day (YYYY-MM-DD).")] = None,
    set_: Annotated[str | None, typer.Option("--set", help="OAI set, e.g. cs or cs:cs:AI.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="arXivRaw, arXiv or oai_dc.")] = "arXivRaw",
    url: Annotated[str | None, typer.Option(help="OAI-PMH endpoint (PAPERWIRE_OAI_URL).")] = None,
    restart: RestartOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Harvest arXiv over OAI-PMH (resumes an interrupted harvest from its last token)."""
    if fmt not in OAI_FORMATS:
        raise ConfigError(f"--format {fmt!r}: use arXivRaw, arXiv or oai_dc")
    settings = settings_of(ctx)
    with _client(settings) as client:
        source = source_class("oai")(
            base_url=url or settings.oai_url,
            metadata_prefix=fmt,
            set_spec=set_,
            from_date=parse_day(from_),
            until=parse_day(until),
            client=client,
        )
        run_source(ctx, source, restart=restart, as_json=as_json)


def ingest_arxiv_api(
    ctx: typer.Context,
    query: Annotated[str | None, typer.Option(help="arXiv search_query, e.g. 'cat:cs.CL'.")] = None,
    ids: Annotated[list[str] | None, typer.Option("--id", help="arXiv id (repeatable).")] = None,
    max_results: Annotated[int | None, typer.Option("--max", help="Stop after N.")] = None,
    file: Annotated[Path | None, typer.Option(help="A saved API response instead.")] = None,
    restart: RestartOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Papers from the arXiv API: a search query, a list of ids, or a saved response."""
    if file is not None:
        run_source(ctx, source_class("arxiv-api-file")(file), restart=restart, as_json=as_json)
        return
    if not query and not ids:
        raise ConfigError("give --query, --id or --file")
    settings = settings_of(ctx)
    with _client(settings) as client:
        source = source_class("arxiv-api")(
            base_url=settings.arxiv_api_url,
            search_query=query,
            id_list=ids,
            max_results=max_results,
            client=client,
        )
        run_source(ctx, source, restart=restart, as_json=as_json)


def ingest_rss(
    ctx: typer.Context,
    category: Annotated[
        str | None, typer.Argument(metavar="CATEGORY", help="arXiv category, e.g. cs.AI.")
    ] = None,
    file: Annotated[Path | None, typer.Option(help="A saved feed instead.")] = None,
    restart: RestartOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """The arXiv RSS/Atom feed of new submissions in a category."""
    if file is not None:
        run_source(ctx, source_class("rss")(path=file), restart=restart, as_json=as_json)
        return
    if not category:
        raise ConfigError("give a CATEGORY (e.g. cs.AI) or --file")
    settings = settings_of(ctx)
    with _client(settings) as client:
        url = settings.arxiv_rss_url.format(category=category)
        run_source(
            ctx, source_class("rss")(url=url, client=client), restart=restart, as_json=as_json
        )


def ingest_hf_daily(
    ctx: typer.Context,
    day: Annotated[
        str | None, typer.Option("--date", help="Day (YYYY-MM-DD); default today.")
    ] = None,
    file: Annotated[
        Path | None, typer.Option(help="A saved daily_papers response instead.")
    ] = None,
    restart: RestartOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Hugging Face daily papers."""
    if file is not None:
        run_source(ctx, source_class("hf-daily")(path=file), restart=restart, as_json=as_json)
        return
    settings = settings_of(ctx)
    with _client(settings) as client:
        source = source_class("hf-daily")(
            base_url=settings.hf_daily_url, day=parse_day(day), client=client
        )
        run_source(ctx, source, restart=restart, as_json=as_json)


# The table: source name -> source class ("module:Class").
SOURCES = {
    "daily": "paperwire.ingest.files:DailyJsonl",
    "kaggle": "paperwire.ingest.files:KaggleSnapshot",
    "jsonl": "paperwire.ingest.files:PlainJsonl",
    "csv": "paperwire.ingest.files:PlainCsv",
    "listing": "paperwire.ingest.listing:ListingPages",
    "oai-dump": "paperwire.ingest.oai:OaiDump",
    "oai": "paperwire.ingest.oai:OaiHarvest",
    "arxiv-api": "paperwire.ingest.arxiv_api:ArxivApiQuery",
    "arxiv-api-file": "paperwire.ingest.arxiv_api:ArxivApiFile",
    "rss": "paperwire.ingest.rss:ArxivFeed",
    "hf-daily": "paperwire.ingest.hf_daily:HfDailyPapers",
}
FILES_HELP = {  # the help of each files-only source's command
    "daily": "Per-day arXiv listing files, YYYY-MM-DD.jsonl[.gz] (the file name is the listing "
    "day).",
    "kaggle": "The Kaggle arXiv snapshot (arxiv-metadata-oai-snapshot.json, JSON lines).",
    "jsonl": "JSON lines in paperwire's plain schema (see the README).",
    "csv": "CSV with a header row in paperwire's plain schema (see the README).",
    "oai-dump": "Dumps of arXiv OAI-PMH oai_dc records: JSON lines of [id, {dc fields}].",
}
# Command name -> command, in the order `paperwire ingest --help` lists them.
COMMANDS: dict[str, Callable[..., None]] = {
    "daily": _files_command("daily"),
    "kaggle": _files_command("kaggle"),
    "jsonl": _files_command("jsonl"),
    "csv": _files_command("csv"),
    "listing": ingest_listing,
    "oai-dump": _files_command("oai-dump"),
    "oai": ingest_oai,
    "arxiv-api": ingest_arxiv_api,
    "rss": ingest_rss,
    "hf-daily": ingest_hf_daily,
}
for _name, _command in COMMANDS.items():
    ingest_app.command(_name)(_command)
