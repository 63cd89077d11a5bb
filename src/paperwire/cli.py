"""The `paperwire` command: thin wrappers over library functions, rich output or --json.

Exit codes: 0 done (something changed), 3 nothing new, 1 failed, 2 bad usage, 4 not found.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from paperwire.errors import ConfigError, PaperwireError
from paperwire.ingest.base import Source
from paperwire.ingest.runner import IngestSummary, run_ingest
from paperwire.settings import Settings
from paperwire.store import Store, open_store

EXIT_NOTHING_NEW = 3
app = typer.Typer(
    help="paperwire: research papers, daily.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
ingest_app = typer.Typer(help="Bring papers in from a source.", no_args_is_help=True)
papers_app = typer.Typer(help="List and show stored papers.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
app.add_typer(papers_app, name="papers")
bench_app = typer.Typer(help="Benchmarks (figures with a same-run baseline).", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
out = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]
RestartOpt = Annotated[
    bool, typer.Option("--restart", help="Ignore the checkpoint of an interrupted earlier run.")
]
PathsArg = Annotated[list[Path], typer.Argument(help="Files or directories.", show_default=False)]


def _settings(ctx: typer.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


@app.callback()
def main_options(
    ctx: typer.Context,
    home: Annotated[Path | None, typer.Option(help="Data home (PAPERWIRE_HOME).")] = None,
    db: Annotated[str | None, typer.Option(help="Database URL (PAPERWIRE_DATABASE_URL).")] = None,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Log more.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.ERROR,
        format="%(levelname)s %(name)s: %(message)s",
    )
    overrides: dict[str, Any] = {}
    if home is not None:
        overrides["home"] = home
    if db is not None:
        overrides["database_url"] = db
    ctx.obj = Settings(**overrides)


@contextmanager
def _store(ctx: typer.Context) -> Iterator[Store]:
    store = open_store(_settings(ctx))
    try:
        yield store
    finally:
        store.close()


def _emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=str, ensure_ascii=False, indent=2) + "\n")


# --- init / stats -------------------------------------------------------------------------


@app.command()
def init(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Create the data home and the database (or bring its schema up to date)."""
    settings = _settings(ctx)
    settings.home_dir.mkdir(parents=True, exist_ok=True)
    with _store(ctx) as store:
        info = {"home": str(settings.home_dir), "database": store.url}
    if as_json:
        _emit_json(info)
    else:
        out.print(
            f"paperwire is ready: data in [bold]{info['home']}[/], database {info['database']}"
        )


@app.command()
def stats(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Counts of papers, days, categories and sources."""
    from paperwire.store.papers import stats as store_stats

    with _store(ctx) as store:
        data = store_stats(store)
    if as_json:
        _emit_json(data)
        return
    table = Table(show_header=False, box=None)
    for key, value in data.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v:,}" for k, v in value.items()) or "-"
        elif isinstance(value, int):
            value = f"{value:,}"
        table.add_row(key.replace("_", " "), str(value))
    out.print(table)


# --- ingest ----------------------------------------------------------------------------------


def _run_source(ctx: typer.Context, source: Source, *, restart: bool, as_json: bool) -> None:
    settings = _settings(ctx)
    with _store(ctx) as store:
        if as_json or not err.is_terminal:
            summary = run_ingest(
                store, source, batch_size=settings.ingest_batch_size, restart=restart
            )
        else:
            summary = _with_progress(store, source, settings.ingest_batch_size, restart)
    _report(summary, as_json)
    if summary.changed == 0:
        raise typer.Exit(EXIT_NOTHING_NEW)


def _with_progress(store: Store, source: Source, batch_size: int, restart: bool) -> IngestSummary:
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(f"ingest {source.name}", total=None)

        def progress(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        return run_ingest(store, source, batch_size=batch_size, restart=restart, progress=progress)


def _report(summary: IngestSummary, as_json: bool) -> None:
    if as_json:
        _emit_json(summary.as_dict())
        return
    for message in summary.rejects[:20]:
        err.print(f"[yellow]rejected[/] {message}", highlight=False)
    if summary.rejected > 20:
        err.print(f"... and {summary.rejected - 20:,} more rejected")
    resumed = " (resumed an interrupted run)" if summary.resumed else ""
    out.print(
        f"{summary.source}: {summary.records:,} records in {summary.seconds:.1f} s{resumed}: "
        f"[green]{summary.new:,} new[/], {summary.updated:,} updated, {summary.merged:,} merged, "
        f"{summary.unchanged:,} unchanged, [yellow]{summary.rejected:,} rejected[/]"
    )


@ingest_app.command("daily")
def ingest_daily(
    ctx: typer.Context, paths: PathsArg, restart: RestartOpt = False, as_json: JsonOpt = False
) -> None:
    """Per-day arXiv listing files, YYYY-MM-DD.jsonl[.gz] (the file name is the listing day)."""
    from paperwire.ingest.files import DailyJsonl

    _run_source(ctx, DailyJsonl(paths), restart=restart, as_json=as_json)


@ingest_app.command("kaggle")
def ingest_kaggle(
    ctx: typer.Context, paths: PathsArg, restart: RestartOpt = False, as_json: JsonOpt = False
) -> None:
    """The Kaggle arXiv snapshot (arxiv-metadata-oai-snapshot.json, JSON lines)."""
    from paperwire.ingest.files import KaggleSnapshot

    _run_source(ctx, KaggleSnapshot(paths), restart=restart, as_json=as_json)


@ingest_app.command("jsonl")
def ingest_jsonl(
    ctx: typer.Context, paths: PathsArg, restart: RestartOpt = False, as_json: JsonOpt = False
) -> None:
    """JSON lines in paperwire's plain schema (see the README)."""
    from paperwire.ingest.files import PlainJsonl

    _run_source(ctx, PlainJsonl(paths), restart=restart, as_json=as_json)


@ingest_app.command("csv")
def ingest_csv(
    ctx: typer.Context, paths: PathsArg, restart: RestartOpt = False, as_json: JsonOpt = False
) -> None:
    """CSV with a header row in paperwire's plain schema (see the README)."""
    from paperwire.ingest.files import PlainCsv

    _run_source(ctx, PlainCsv(paths), restart=restart, as_json=as_json)


@ingest_app.command("listing")
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
    from paperwire.ingest.listing import ListingPages

    source = ListingPages(paths, year=year, day=_day(day))
    _run_source(ctx, source, restart=restart, as_json=as_json)


@ingest_app.command("oai-dump")
def ingest_oai_dump(
    ctx: typer.Context, paths: PathsArg, restart: RestartOpt = False, as_json: JsonOpt = False
) -> None:
    """Dumps of arXiv OAI-PMH oai_dc records: JSON lines of [id, {dc fields}]."""
    from paperwire.ingest.oai import OaiDump

    _run_source(ctx, OaiDump(paths), restart=restart, as_json=as_json)


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"{text!r} is not a day: use YYYY-MM-DD") from exc


def _client(settings: Settings) -> Any:
    from paperwire.ingest.http import PoliteClient

    return PoliteClient(min_interval=settings.request_interval, timeout=settings.http_timeout)


@ingest_app.command("oai")
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
    from paperwire.ingest.oai import OaiHarvest

    if fmt not in ("arXivRaw", "arXiv", "oai_dc"):
        raise ConfigError(f"--format {fmt!r}: use arXivRaw, arXiv or oai_dc")
    settings = _settings(ctx)
    with _client(settings) as client:
        source = OaiHarvest(
            base_url=url or settings.oai_url,
            metadata_prefix=fmt,
            set_spec=set_,
            from_date=_day(from_),
            until=_day(until),
            client=client,
        )
        _run_source(ctx, source, restart=restart, as_json=as_json)


@ingest_app.command("arxiv-api")
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
    from paperwire.ingest.arxiv_api import ArxivApiFile, ArxivApiQuery

    if file is not None:
        _run_source(ctx, ArxivApiFile(file), restart=restart, as_json=as_json)
        return
    if not query and not ids:
        raise ConfigError("give --query, --id or --file")
    settings = _settings(ctx)
    with _client(settings) as client:
        source = ArxivApiQuery(
            base_url=settings.arxiv_api_url,
            search_query=query,
            id_list=ids,
            max_results=max_results,
            client=client,
        )
        _run_source(ctx, source, restart=restart, as_json=as_json)


@ingest_app.command("rss")
def ingest_rss(
    ctx: typer.Context,
    category: Annotated[str | None, typer.Argument(help="arXiv category, e.g. cs.AI.")] = None,
    file: Annotated[Path | None, typer.Option(help="A saved feed instead.")] = None,
    restart: RestartOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """The arXiv RSS/Atom feed of new submissions in a category."""
    from paperwire.ingest.rss import ArxivFeed

    if file is not None:
        _run_source(ctx, ArxivFeed(path=file), restart=restart, as_json=as_json)
        return
    if not category:
        raise ConfigError("give a CATEGORY (e.g. cs.AI) or --file")
    settings = _settings(ctx)
    with _client(settings) as client:
        url = settings.arxiv_rss_url.format(category=category)
        _run_source(ctx, ArxivFeed(url=url, client=client), restart=restart, as_json=as_json)


@ingest_app.command("hf-daily")
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
    from paperwire.ingest.hf_daily import HfDailyPapers

    if file is not None:
        _run_source(ctx, HfDailyPapers(path=file), restart=restart, as_json=as_json)
        return
    settings = _settings(ctx)
    with _client(settings) as client:
        source = HfDailyPapers(base_url=settings.hf_daily_url, day=_day(day), client=client)
        _run_source(ctx, source, restart=restart, as_json=as_json)


# --- papers ----------------------------------------------------------------------------------


@papers_app.command("list")
def papers_list(
    ctx: typer.Context,
    day: Annotated[str | None, typer.Option(help="Listing day (YYYY-MM-DD) or 'latest'.")] = None,
    category: Annotated[str | None, typer.Option(help="Category, e.g. cs.CL.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many.")] = 50,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Stored papers, newest listing day first."""
    from paperwire.store.papers import latest_day, list_papers

    with _store(ctx) as store:
        wanted = latest_day(store) if day == "latest" else _day(day)
        rows = list_papers(store, day=wanted, category=category, limit=limit, offset=offset)
    if as_json:
        _emit_json(rows)
        return
    print_papers(rows, title=f"Papers of {wanted}" if wanted else "Papers")


def print_papers(rows: list[dict[str, Any]], *, title: str) -> None:
    table = Table(title=title, show_lines=False, expand=True)
    table.add_column("id", no_wrap=True, style="cyan")
    table.add_column("day", no_wrap=True)
    table.add_column("cat", no_wrap=True)
    table.add_column("title")
    table.add_column("authors", max_width=30)
    for r in rows:
        authors = ", ".join(r["authors"][:3]) + (" et al." if len(r["authors"]) > 3 else "")
        day = r["announced"] or r["submitted"]
        table.add_row(r["id"], str(day or ""), r["primary_category"] or "", r["title"], authors)
    out.print(table)
    if not rows:
        out.print("no papers")


@papers_app.command("show")
def papers_show(
    ctx: typer.Context,
    paper_id: Annotated[str, typer.Argument(metavar="ID")],
    as_json: JsonOpt = False,
) -> None:
    """One paper, by id (arXiv id, doi:..., or title-...)."""
    from paperwire.store.papers import get_paper

    with _store(ctx) as store:
        row = get_paper(store, paper_id)
    if as_json:
        _emit_json(row)
        return
    out.print(f"[bold]{row['title']}[/]", highlight=False)
    out.print(", ".join(row["authors"]) or "(authors unknown)", highlight=False)
    for label, key in (
        ("id", "id"),
        ("categories", "categories"),
        ("announced", "announced"),
        ("submitted", "submitted"),
        ("updated", "updated"),
        ("doi", "doi"),
        ("journal", "journal_ref"),
        ("comments", "comments"),
        ("abs", "abs_url"),
        ("pdf", "pdf_url"),
        ("code", "code_links"),
        ("sources", "sources"),
    ):
        value = row[key]
        if isinstance(value, list):
            value = ", ".join(value)
        if value:
            out.print(f"[dim]{label:>10}[/] {value}", highlight=False)
    if row["versions"]:
        out.print(
            f"[dim]{'versions':>10}[/] "
            + ", ".join(f"v{n} {d or ''}".strip() for n, d in row["versions"])
        )
    out.print()
    out.print(row["abstract"], highlight=False)


# --- bench -----------------------------------------------------------------------------------


@bench_app.command("ingest")
def bench_ingest_cmd(paths: PathsArg, as_json: JsonOpt = False) -> None:
    """Ingest throughput on SQLite over per-day JSONL files, against same-run baselines."""
    from paperwire.bench.ingest import bench_ingest

    result = bench_ingest(paths)
    if as_json:
        _emit_json(result)
        return
    first, base = result["first_run"], result["baseline_naive_sqlite"]
    out.print(
        f"{result['records']:,} records -> {result['papers']:,} papers from {result['files']} files"
    )
    out.print(
        f"first run: {first['records_per_s']:,} records/s ({first['seconds']} s); "
        f"re-run: {result['second_run']['records_per_s']:,} records/s, "
        f"{result['second_run']['new']} new"
    )
    out.print(
        f"baselines: parse only {result['baseline_parse_only']['records_per_s']:,}/s "
        f"(ratio {result['ratio_vs_parse_only']}), naive sqlite insert "
        f"{base['records_per_s']:,}/s (ratio {result['ratio_vs_naive_sqlite']})"
    )
    out.print(f"machine: {result['machine']}")


# --- demo ------------------------------------------------------------------------------------


@app.command()
def demo(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Build the demo store from the bundled corpus and print the latest day's papers."""
    from paperwire.demo import build_demo
    from paperwire.store.papers import latest_day, list_papers

    with _store(ctx) as store:
        summaries = build_demo(store)
        day = latest_day(store)
        rows = list_papers(store, day=day, limit=10_000)
    if as_json:
        _emit_json({"ingested": [s.as_dict() for s in summaries], "day": day, "papers": rows})
        return
    for s in summaries:
        _report(s, as_json=False)
    print_papers(rows, title=f"paperwire demo: {len(rows)} papers of {day}")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user errors print one line and exit with their code."""
    try:
        # Without standalone mode, click returns the code of a `typer.Exit` instead of raising it.
        code = app(args=argv, standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except PaperwireError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted: run the same command again to resume")
        sys.exit(130)
    except Exception as exc:  # click's usage errors
        _usage_or_raise(exc)


def _usage_or_raise(exc: Exception) -> None:
    # typer (>= 0.29) carries its own click: usage errors are TyperExceptions.
    if isinstance(exc, typer.Abort):
        sys.exit(130)
    if isinstance(exc, typer.TyperException):
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            err.print(f"error: {exc}", highlight=False)
        sys.exit(getattr(exc, "exit_code", 2))
    raise exc


run: Callable[[list[str] | None], None] = main
