"""The `paperwire` command: thin wrappers over library functions, rich output or --json.

Exit codes: 0 done (something changed), 3 nothing new, 1 failed, 2 bad usage, 4 not found.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape as rich_escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from paperwire.errors import ConfigError, PaperwireError, disk_full
from paperwire.ingest.base import Source
from paperwire.ingest.runner import IngestSummary, run_ingest
from paperwire.settings import Settings
from paperwire.store import Store, open_store

EXIT_NOTHING_NEW = 3
EXIT_DEFERRED = 5  # digest send: mail left pending for the next run (the SMTP server was down)
# Plain click help (rich_markup_mode=None): typer's rich panels show `<bool>` after every flag
# and keep a docstring's line breaks, so descriptions broke mid-sentence; click reflows them.
app = typer.Typer(
    help="paperwire: research papers, daily.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


def _group(help_text: str) -> typer.Typer:
    return typer.Typer(help=help_text, no_args_is_help=True, rich_markup_mode=None)


ingest_app = _group("Bring papers in from a source.")
papers_app = _group("List and show stored papers.")
app.add_typer(ingest_app, name="ingest")
app.add_typer(papers_app, name="papers")
index_app = _group("Build and update the search index.")
eval_app = _group("Search-quality evaluation.")
app.add_typer(index_app, name="index")
app.add_typer(eval_app, name="eval")
bench_app = _group("Benchmarks (figures with a same-run baseline).")
app.add_typer(bench_app, name="bench")
users_app = _group("Accounts: add, list and remove users.")
app.add_typer(users_app, name="users")
digest_app = _group("The daily digest email.")
app.add_typer(digest_app, name="digest")
out = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]
RestartOpt = Annotated[
    bool, typer.Option("--restart", help="Ignore the checkpoint of an interrupted earlier run.")
]
PathsArg = Annotated[
    list[Path], typer.Argument(metavar="PATH", help="Files or directories.", show_default=False)
]


# Escape sequences (CSI, OSC, ...) and every other C0/C1 control but tab and newline.
_TERMINAL_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, clear screen
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window title, hyperlinks, clipboard
    r"|\x1b.?|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
)


def shown(text: Any) -> str:
    """Stored text made safe for the terminal: control and escape sequences removed (a title
    must not retitle the window or clear the screen) and Rich markup escaped."""
    return rich_escape(_TERMINAL_CONTROL.sub("", str(text)))


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
    if ctx.obj.log_format != "text":
        from paperwire.ops.logs import configure_logging

        configure_logging(ctx.obj.log_format, logging.INFO if verbose else logging.WARNING)


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
        shown = [0.0]

        def progress(done: int, total: int | None) -> None:
            # Called after every record: redrawing the bar each time cost more than ingesting.
            now = time.monotonic()
            if now - shown[0] >= 0.1:
                shown[0] = now
                bar.update(task, completed=done, total=total)

        return run_ingest(store, source, batch_size=batch_size, restart=restart, progress=progress)


def _report(summary: IngestSummary, as_json: bool) -> None:
    if as_json:
        _emit_json(summary.as_dict())
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
    category: Annotated[
        str | None, typer.Argument(metavar="CATEGORY", help="arXiv category, e.g. cs.AI.")
    ] = None,
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
        cells = (r["id"], day or "", r["primary_category"] or "", r["title"], authors)
        table.add_row(*map(shown, cells))
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
    out.print(f"[bold]{shown(row['title'])}[/]", highlight=False)
    out.print(shown(", ".join(row["authors"]) or "(authors unknown)"), highlight=False)
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
            out.print(f"[dim]{label:>10}[/] {shown(value)}", highlight=False)
    if row["versions"]:
        out.print(
            f"[dim]{'versions':>10}[/] "
            + ", ".join(f"v{n} {d or ''}".strip() for n, d in row["versions"])
        )
    out.print()
    out.print(shown(row["abstract"]), highlight=False)


# --- index, search, similar ---------------------------------------------------------------

ModeOpt = Annotated[
    str | None,
    typer.Option("--mode", help="bm25, hybrid or hybrid+rerank (PAPERWIRE_SEARCH_MODE)."),
]


def _bar(description: str) -> tuple[Progress, Callable[[int, int | None], None]]:
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    bar = Progress(*columns, console=err, transient=True, disable=not err.is_terminal)
    task = bar.add_task(description, total=None)

    def update(done: int, total: int | None) -> None:
        bar.update(task, completed=done, total=total)

    return bar, update


@index_app.command("build")
def index_build(ctx: typer.Context, backend: BackendOpt = None, as_json: JsonOpt = False) -> None:
    """Rebuild the lexical index from the whole store (vectors of unchanged papers are kept)."""
    _index_update(ctx, full=True, as_json=as_json, backend=backend)


@index_app.command("update")
def index_update(ctx: typer.Context, backend: BackendOpt = None, as_json: JsonOpt = False) -> None:
    """Index what changed in the store since the last update."""
    _index_update(ctx, full=False, as_json=as_json, backend=backend)


def _index_update(ctx: typer.Context, *, full: bool, as_json: bool, backend: str | None) -> None:
    from paperwire.index.manager import open_backend, update_index

    settings = _with_backend(ctx, backend)
    with _store(ctx) as store:
        index = open_backend(settings, rebuild=full)  # build works on a damaged index too
        bar, progress = _bar("index")
        with bar:
            result = update_index(store, index, full=full, progress=progress)
    if as_json:
        _emit_json(result)
    else:
        out.print(
            f"indexed {result['papers_read']:,} papers in {result['seconds']} s; "
            f"{result['papers_indexed']:,} in the index"
        )


@index_app.command("embed")
def index_embed(
    ctx: typer.Context,
    batch_size: Annotated[int, typer.Option(min=1, max=1024, help="Texts per batch.")] = 32,
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after N papers.")] = None,
    backend: BackendOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Compute missing embeddings (resumable: each finished batch is kept at once)."""
    from paperwire.index.manager import embed_index, open_backend, update_index

    with _store(ctx) as store:
        index = open_backend(_with_backend(ctx, backend))
        update_index(store, index)
        bar, progress = _bar("embed")
        with bar:
            result = embed_index(
                store, index, batch_size=batch_size, limit=limit, progress=progress
            )
    if as_json:
        _emit_json(result)
    else:
        out.print(
            f"embedded {result['embedded']:,} papers in {result['seconds']} s "
            f"({result['docs_per_s']} papers/s); {result['remaining']:,} remain"
        )


@index_app.command("status")
def index_status_cmd(
    ctx: typer.Context, backend: BackendOpt = None, as_json: JsonOpt = False
) -> None:
    """How much of the store is indexed and embedded, and whether the index lags the store."""
    from paperwire.index.manager import index_status, open_backend

    with _store(ctx) as store:
        status = index_status(store, open_backend(_with_backend(ctx, backend)))
    if as_json:
        _emit_json(status)
        return
    lag = (
        "up to date"
        if status["up_to_date"]
        else f"[yellow]lags the store by {status['lags_store_by']:,} papers[/]: run "
        "`paperwire index update`"
    )
    out.print(
        f"papers: {status['store_papers']:,} in the store, {status['papers_indexed']:,} "
        f"indexed ({lag})"
    )
    out.print(
        f"embedded: {status['papers_embedded']:,} "
        f"({100 * status['embedded_fraction']:.1f}%), encoder {status['encoder'] or '-'}"
    )


def _search_index(ctx: typer.Context, store: Store) -> Any:
    from paperwire.index.manager import applied, open_backend, update_index

    index = open_backend(_settings(ctx))
    if not len(index) and applied(store, index) is None:
        update_index(store, index)  # first search on a new store: build the lexical index
    return index


@app.command("search")
def search_cmd(
    ctx: typer.Context,
    query: Annotated[
        str,
        typer.Argument(metavar="QUERY", help="Query, e.g. '\"token merging\" cat:cs.CV year:2025'"),
    ],
    page: Annotated[int, typer.Option(min=1, help="Result page.")] = 1,
    per_page: Annotated[int, typer.Option(min=1, max=100, help="Results per page.")] = 10,
    mode: ModeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Search papers (syntax: phrases, -exclusions, author:, cat:, year:, date:, has:code,
    sort:date)."""
    from paperwire.search.service import search

    if not query.strip():  # as the site: an empty query searches nothing
        raise ConfigError(
            "nothing to search: give a query, e.g. paperwire search 'token merging' or "
            "'cat:cs.CL' (paperwire papers list shows the newest papers)"
        )
    settings = _settings(ctx)
    with _store(ctx) as store:
        result = search(
            store,
            _search_index(ctx, store),
            query,
            page=page,
            per_page=per_page,
            mode=mode or settings.search_mode,
        )
    if as_json:
        _emit_json(result.as_dict())
        return
    print_hits(
        result.hits,
        title=f"{result.total:,} results for {query!r} "
        f"({result.took_ms:.0f} ms, {result.mode}), page {result.page}",
    )


def print_hits(rows: list[dict[str, Any]], *, title: str) -> None:
    import re

    out.print(f"[bold]{title}[/]", highlight=False)
    for r in rows:
        day = r["announced"] or r["submitted"] or ""
        out.print(
            f"\n[cyan]{shown(r['id'])}[/] {day} {shown(r['primary_category'] or '')}  "
            f"[dim]{r['score']:.4f}[/]",
            highlight=False,
        )
        out.print(f"[bold]{shown(r['title'])}[/]", highlight=False)
        if r.get("snippet_html"):
            snippet = re.sub(
                r"<mark>(.*?)</mark>",
                r"[reverse]\1[/reverse]",
                shown(_unescape(r["snippet_html"])),
            )
            out.print(snippet, highlight=False)
    if not rows:
        out.print("no results")


def _unescape(html_text: str) -> str:
    import html

    return html.unescape(html_text)


@app.command("similar")
def similar_cmd(
    ctx: typer.Context,
    ids: Annotated[
        list[str] | None, typer.Argument(metavar="ID", help="Paper ids.", show_default=False)
    ] = None,
    text: Annotated[
        str | None, typer.Option(help="A pasted abstract instead ('-' reads stdin).")
    ] = None,
    k: Annotated[int, typer.Option(min=1, max=500, help="How many (at most 500).")] = 10,
    filters: Annotated[str, typer.Option(help="Filters in the search syntax.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Papers similar to one paper, a set of papers, or a pasted abstract."""
    from paperwire.search.service import similar

    if text == "-":
        text = sys.stdin.read()
    with _store(ctx) as store:
        rows = similar(
            store, _search_index(ctx, store), ids=ids or [], text=text, k=k, filters=filters
        )
    if as_json:
        _emit_json(rows)
    else:
        print_papers(rows, title="Similar papers")


@app.command("ask")
def ask_cmd(
    ctx: typer.Context,
    question: Annotated[
        str, typer.Argument(help="A question; search filters may come with it (cat:cs.CL).")
    ],
    mode: ModeOpt = None,
    generate: Annotated[
        bool, typer.Option(help="Also a generated answer (needs PAPERWIRE_LLM_URL).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Answer a question with cited evidence sentences from the papers' abstracts."""
    from paperwire.search.ask import ask
    from paperwire.search.generate import ChatConfig
    from paperwire.search.generate import generate as write_answer

    settings = _settings(ctx)
    chat = ChatConfig.from_settings(settings)
    if generate and chat is None:
        raise ConfigError("--generate needs a chat API: set PAPERWIRE_LLM_URL")
    with _store(ctx) as store:
        result = ask(store, _search_index(ctx, store), question, mode=mode or settings.search_mode)
    if generate and chat is not None:
        result["generated"] = write_answer(chat, result)
    if as_json:
        _emit_json(result)
        return
    print_answer(result)


def print_answer(result: dict[str, Any]) -> None:
    import re

    if not result["found"]:
        out.print(result["note"], highlight=False)
        return
    out.print(
        f"[bold]confidence {result['confidence_label']}[/] ({result['confidence']:.2f}), "
        f"{len(result['evidence'])} evidence sentences, {result['took_ms']:.0f} ms",
        highlight=False,
    )
    generated = result.get("generated")
    if generated:
        if generated["status"] == "ok":
            out.print(f"\n{generated['text']}", highlight=False, markup=False)
            if generated["invented"] or generated["uncited"]:
                out.print(
                    f"[dim]removed: invented citations {generated['invented']}, "
                    f"{len(generated['uncited'])} uncited sentences[/]",
                    highlight=False,
                )
        else:
            out.print(f"\n[dim]no generated answer: {generated['reason']}[/]", highlight=False)
    for paper in result["papers"]:
        out.print(f"\n[cyan]{paper['id']}[/] [bold]{paper['title']}[/]", highlight=False)
        for e in paper["evidence"]:
            text = re.sub(
                r"<mark>(.*?)</mark>",
                r"[reverse]\1[/reverse]",
                _unescape(e["sentence_html"]).replace("[", "\\["),
            )
            out.print(f"  \\[{e['eid']}] {text}", highlight=False)


@eval_app.command("beir")
def eval_beir(
    ctx: typer.Context,
    folder: Annotated[
        Path,
        typer.Argument(metavar="FOLDER", help="BEIR folder: corpus.jsonl, queries.jsonl, qrels/."),
    ],
    split: Annotated[str, typer.Option(help="qrels split: test, train or dev.")] = "test",
    modes: Annotated[
        str, typer.Option(help="Comma-separated modes.")
    ] = "bm25,dense,hybrid,hybrid+rerank",
    backend: BackendOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """nDCG@10, recall@100 and MRR@10 for each search mode on a BEIR-format dataset."""
    from paperwire.eval.run import run_beir
    from paperwire.search.service import check_mode

    settings = _with_backend(ctx, backend)
    from paperwire.index.backend import MODES

    chosen = [check_mode(m.strip(), allowed=MODES) for m in modes.split(",") if m.strip()]
    bar, update = _bar("eval")

    def progress(stage: str, done: int, total: int) -> None:
        update(done, total)

    with bar:
        report = run_beir(
            folder,
            split=split,
            modes=chosen,
            encoder_spec=settings.encoder,
            cache_dir=settings.home_dir / "cache" / "embeddings",
            progress=progress,
            scratch=_eval_scratch(settings, folder),
        )
    if as_json:
        _emit_json(report)
        return
    table = Table(
        title=f"{report['dataset']} {report['split']}: {report['queries']} queries, "
        f"{report['docs']:,} docs"
    )
    for col in ("mode", "nDCG@10", "recall@100", "MRR@10", "ms/query", "vs best single"):
        table.add_column(col, justify="right" if col != "mode" else "left")
    for mode, r in report["results"].items():
        table.add_row(
            mode,
            f"{r['ndcg@10']:.4f}",
            f"{r['recall@100']:.4f}",
            f"{r['mrr@10']:.4f}",
            f"{r['ms_per_query']:.1f}",
            _versus(r.get("vs_best_single")),
        )
    out.print(table)


@eval_app.command("ask")
def eval_ask(
    ctx: typer.Context,
    folder: Annotated[
        Path, typer.Argument(help="BEIR folder: corpus.jsonl, queries.jsonl, qrels/.")
    ] = Path("../shared/data/beir/scifact"),
    split: Annotated[str, typer.Option(help="qrels split: test or train.")] = "test",
    mode: Annotated[str, typer.Option(help="Search mode retrieving the papers.")] = "hybrid+rerank",
    lexical: Annotated[
        bool, typer.Option("--lexical", help="No encoder: BM25 and lexical sentence scores.")
    ] = False,
    calibrate: Annotated[
        bool, typer.Option(help="Pick weights, confidence curve and floor on this split.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Evidence precision of Ask against "first sentences of the top search hits"."""
    from paperwire.eval.ask import run_ask_eval
    from paperwire.search.service import check_mode

    settings = _settings(ctx)
    bar, update = _bar("eval ask")
    with bar:
        report = run_ask_eval(
            folder,
            split=split,
            mode=check_mode(mode),
            lexical_only=lexical,
            calibrate=calibrate,
            encoder_spec=settings.encoder,
            cache_dir=settings.home_dir / "cache" / "embeddings",
            progress=lambda stage, done, total: update(done, total),
        )
    if as_json:
        _emit_json(report)
        return
    table = Table(
        title=f"Ask on {report['dataset']} {report['split']}: {report['questions']} questions, "
        f"{report['mode']}, {report['scoring']}"
    )
    cols = ["evidence_p@1", "evidence_p@3", "evidence_p@5", "papers_p@3", "papers_p@5"]
    table.add_column("run")
    for col in cols:
        table.add_column(col, justify="right")
    for name, r in report["results"].items():
        table.add_row(name, *(f"{r[c]:.4f}" for c in cols))
    out.print(table)
    ask_r = report["results"]["ask"]
    out.print(f"answered {ask_r['answered']:.1%}, precision@1 of those {ask_r['p@1_answered']:.4f}")
    if calibrate:
        out.print(f"calibrated: {report['config']}", highlight=False)


def _versus(c: dict[str, Any] | None) -> str:
    """'+12/-5/=283 vs bm25, p=0.03': per-query wins/losses/ties and the paired test."""
    if not c:
        return ""
    base = f" vs {c['baseline']}" if "baseline" in c else ""
    return f"+{c['wins']}/-{c['losses']}/={c['ties']}{base}, p={c['p_value']:.3f}"


@eval_app.command("similar")
def eval_similar(
    ctx: typer.Context,
    folder: Annotated[
        Path, typer.Argument(help="Folder of per-day arXiv listings (YYYY-MM-DD.jsonl[.gz]).")
    ],
    queries: Annotated[int, typer.Option(min=2, max=5000, help="Query papers.")] = 200,
    docs: Annotated[int, typer.Option(min=2, max=100_000, help="Papers in the set.")] = 1600,
    tune: Annotated[bool, typer.Option(help="Also score candidate fusion weights.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """nDCG@10 and MAP@100 of similar papers: lexical-only, dense-only and the shipped fusion."""
    from paperwire.eval.similar import METRICS, run_similar

    settings = _settings(ctx)
    bar, update = _bar("eval")
    with bar:
        report = run_similar(
            folder,
            queries=queries,
            docs=docs,
            encoder_spec=settings.encoder,
            cache_dir=settings.home_dir / "cache" / "embeddings",
            tune=tune,
            progress=lambda stage, done, total: update(done, total),
        )
    if as_json:
        _emit_json(report)
        return
    for split, r in report["splits"].items():
        table = Table(
            title=f"similar papers, {split}: {r['queries']} queries, {report['docs']:,} papers"
        )
        for col in ("method", "nDCG@10", "MAP@100", "fusion vs it (nDCG@10)", "(MAP@100)"):
            table.add_column(col, justify="right" if col != "method" else "left")
        for name in ("lexical", "dense", "fusion"):
            vs = r.get(f"fusion_vs_{name}", {})
            table.add_row(
                name,
                *(f"{r[name][m]:.4f}" for m in METRICS),
                *(_versus(vs.get(m)) for m in METRICS),
            )
        out.print(table)


# --- bench -----------------------------------------------------------------------------------


@bench_app.command("ingest")
def bench_ingest_cmd(paths: PathsArg, as_json: JsonOpt = False) -> None:
    """Time `paperwire ingest daily FILES` as a fresh process into a fresh data home (twice),
    with CPU seconds and same-run baselines."""
    from paperwire.bench.ingest import bench_ingest

    result = bench_ingest(paths)
    if as_json:
        _emit_json(result)
        return
    out.print(
        f"{result['records']:,} records -> {result['papers']:,} papers from {result['files']} files"
    )
    for label, run in (("first run", result["first_run"]), ("re-run", result["second_run"])):
        out.print(
            f"{label}: {run['records_per_s']:,} records/s ({run['wall_s']} s wall, of which "
            f"{run['process_start_and_exit_s']} s process start/exit; {run['user_s']} s user + "
            f"{run['sys_s']} s sys = {run['records_per_cpu_s']:,} records per CPU-second), "
            f"{run['new']:,} new"
        )
    parse, naive = result["baseline_parse_only"], result["baseline_naive_sqlite"]
    out.print(
        f"baselines: parse only {parse['records_per_s']:,}/s (ratio {result['ratio_vs_parse_only']}"
        f"), naive sqlite insert {naive['records_per_s']:,}/s "
        f"(ratio {result['ratio_vs_naive_sqlite']}, per CPU-second "
        f"{result['cpu_ratio_vs_naive_sqlite']})"
    )
    out.print(f"machine: {result['machine']}")


@bench_app.command("search")
def bench_search_cmd(
    ctx: typer.Context,
    papers: Annotated[
        int,
        typer.Option(
            "--papers",
            "-n",
            min=100,
            max=2_000_000,
            help="Index size (real papers, then synthetic).",
        ),
    ] = 100_000,
    daily: Annotated[
        Path, typer.Option(help="Per-day arXiv JSONL folder (the real papers).")
    ] = Path("../shared/data/arxiv/daily-arxiv-cs-2025-2026"),
    pool: Annotated[int, typer.Option(help="Real papers encoded for the vector pool.")] = 2000,
    queries: Annotated[int, typer.Option(help="Queries timed.")] = 200,
    bm25s_max: Annotated[
        int, typer.Option(help="Run the bm25s baseline up to this size.")
    ] = 200_000,
    backend: BackendOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Index build time, disk, resident memory and query latency, with same-run baselines."""
    from paperwire.bench.search import bench_search

    settings = _settings(ctx)
    result = bench_search(
        papers,
        daily_dir=daily,
        cache_dir=settings.home_dir / "cache" / "embeddings",
        pool_size=pool,
        queries=queries,
        encoder_spec=settings.encoder,
        bm25s_max=bm25s_max,
        backend=_with_backend(ctx, backend).index,
    )
    _emit_json(result)


@bench_app.command("load")
def bench_load_cmd(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH",
            help="Per-day arXiv JSONL files or folders (default: "
            "../shared/data/arxiv/daily-arxiv-cs-2025-2026).",
            show_default=False,
        ),
    ] = None,
    data_home: Annotated[
        Path | None,
        typer.Option(help="Data home to build the store in, kept (default: a temporary one)."),
    ] = None,
    embed: Annotated[
        int, typer.Option(min=0, help="Embed at most N papers (all 75k: ~40 min on 2 cores).")
    ] = 0,
    clients: Annotated[int, typer.Option(min=1, max=1000, help="Concurrent connections.")] = 20,
    duration: Annotated[int, typer.Option(min=1, max=600, help="Seconds per run, at most.")] = 60,
    requests: Annotated[
        int, typer.Option(min=0, help="Requests per run, at most (0: only the duration).")
    ] = 4000,
    warmup: Annotated[
        int, typer.Option(min=0, max=60, help="Unreported warm-up seconds before each run.")
    ] = 10,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server worker processes.")] = 2,
    queries: Annotated[int, typer.Option(min=1, max=5000, help="Distinct queries.")] = 200,
) -> None:
    """Web search page under concurrent load (wrk, 127.0.0.1 only), against same-run baselines
    (a static file, /about). JSON on stdout."""
    from paperwire.bench.load import DEFAULT_DAILY, LoadSpec, bench_load

    spec = LoadSpec(clients=clients, duration_s=duration, max_requests=requests, warmup_s=warmup)
    result = bench_load(
        paths or [DEFAULT_DAILY],
        home=data_home,
        embed=embed,
        spec=spec,
        queries=queries,
        workers=workers,
        encoder=_settings(ctx).encoder,
    )
    _emit_json(result)


@bench_app.command("soak")
def bench_soak_cmd(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Per-day arXiv JSONL files or folders (default: "
            "../shared/data/arxiv/daily-arxiv-cs-2025-2026).",
            show_default=False,
        ),
    ] = None,
    duration: Annotated[int, typer.Option(min=1, help="Seconds of load.")] = 600,
    clients: Annotated[int, typer.Option(min=1, max=500, help="Client threads.")] = 20,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server worker processes.")] = 2,
    embed: Annotated[int, typer.Option(min=0, help="Papers embedded during the run.")] = 200,
    hold_back: Annotated[
        int, typer.Option(min=0, help="Day files ingested during the run, not before.")
    ] = 5,
) -> None:
    """Mixed workload (pages, search, feeds, API, sign-in, votes, bookmarks) against `serve
    --workers N` while ingest, index update and embedding run: errors, lost writes, worker
    memory, p95 per route. JSON on stdout."""
    from paperwire.bench.load import DEFAULT_DAILY
    from paperwire.bench.soak import bench_soak

    result = bench_soak(
        paths or [DEFAULT_DAILY],
        duration_s=duration,
        clients=clients,
        workers=workers,
        embed=embed,
        hold_back=hold_back,
    )
    _emit_json(result)


# --- users (accounts) ------------------------------------------------------------------------


def _subscription_spec(spec: str) -> tuple[str, str | None]:
    """`trending`, `recs` or `search:QUERY` -> (kind, query)."""
    kind, sep, query = spec.partition(":")
    if kind == "search" and sep:
        return "search", query
    if kind in ("trending", "recs") and not sep:
        return kind, None
    raise ConfigError(f"--subscribe {spec!r}: use trending, recs or search:QUERY")


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    email: Annotated[
        str, typer.Argument(metavar="EMAIL", help="Email address.", show_default=False)
    ],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    subscribe: Annotated[
        list[str] | None,
        typer.Option(help="trending, recs or search:QUERY (repeatable).", show_default=False),
    ] = None,
    moderator: Annotated[
        bool | None,
        typer.Option(
            "--moderator/--no-moderator",
            help="May hide and unhide comments (default: leave as is).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a user (or update an existing one's name, subscriptions and moderator flag); they
    sign in by mailed link."""
    from paperwire.store.comments import is_moderator, set_moderator
    from paperwire.store.subscriptions import add_subscription, check_subscription
    from paperwire.store.users import check_email, check_name, create_user, get_user, set_name

    address = check_email(email)
    if name is not None:
        check_name(name)  # like the subscriptions: refused before the user is created
    wanted = [_subscription_spec(s) for s in subscribe or []]
    for kind, query in wanted:
        check_subscription(kind, query)  # every one checked before anything is written
    with _store(ctx) as store:
        user, created = create_user(store, address)
        if name is not None:
            set_name(store, user.id, name)
        subs = [add_subscription(store, user.id, kind, query) for kind, query in wanted]
        if moderator is not None:
            set_moderator(store, user.id, moderator)
        is_mod = is_moderator(store, user.id)
        user = get_user(store, user.id) or user
    labels = [f"search:{s.query}" if s.kind == "search" else s.kind for s in subs]
    if as_json:
        _emit_json(
            {
                "id": user.id,
                "email": user.email,
                "name": user.name,
                "new": created,
                "subscriptions": labels,
                "moderator": is_mod,
            }
        )
    else:
        verb = "added" if created else "updated"
        subs_text = ", ".join(labels) or "no subscriptions"
        mod_text = ", moderator" if is_mod else ""
        out.print(f"{verb} user {user.id} {user.email} ({subs_text}{mod_text})", highlight=False)
    if not created and name is None and not subs and moderator is None:
        raise typer.Exit(EXIT_NOTHING_NEW)


@users_app.command("list")
def users_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Users with their sign-ups, last sign-in, subscriptions and votes."""
    from paperwire.store.users import user_summaries

    with _store(ctx) as store:
        rows = user_summaries(store)
    if as_json:
        _emit_json(rows)
        return
    table = Table(title=f"{len(rows):,} user{'' if len(rows) == 1 else 's'}")
    table.add_column("email", no_wrap=True, style="cyan")
    for col in ("name", "created", "last login", "subscriptions"):
        table.add_column(col)
    table.add_column("votes", justify="right")
    for r in rows:
        table.add_row(
            shown(r["email"]),
            shown(r["name"] or ""),
            f"{r['created']:%Y-%m-%d %H:%M}",
            f"{r['last_login']:%Y-%m-%d %H:%M}" if r["last_login"] else "never",
            shown(", ".join(r["subscriptions"]) or "-"),
            f"{r['votes']:,}",
        )
    out.print(table)


@users_app.command("remove")
def users_remove(
    ctx: typer.Context,
    email: Annotated[
        str, typer.Argument(metavar="EMAIL", help="Email address.", show_default=False)
    ],
    as_json: JsonOpt = False,
) -> None:
    """Erase a user and everything of theirs (votes, collections, subscriptions, digests)."""
    from paperwire.errors import NotFound
    from paperwire.store.users import delete_user, get_user_by_email

    with _store(ctx) as store:
        user = get_user_by_email(store, email)
        if user is None:
            raise NotFound(f"no user with the email {email.strip()!r}")
        delete_user(store, user.id)
    if as_json:
        _emit_json({"removed": user.email, "id": user.id})
    else:
        out.print(f"removed user {user.id} {user.email} and all their data", highlight=False)


@users_app.command("login-link")
def users_login_link(
    ctx: typer.Context,
    email: Annotated[
        str, typer.Argument(metavar="EMAIL", help="Email address.", show_default=False)
    ],
    next_path: Annotated[str, typer.Option("--next", help="Page to open after signing in.")] = "/",
) -> None:
    """Print a one-time sign-in link (no mail needed; a new address gets its account)."""
    # paperwire.web first: importing it imports digest.signin, in the order that works.
    from paperwire.web.urls import safe_next

    # isort: split
    from paperwire.digest.signin import new_signin_link

    settings = _settings(ctx)
    with _store(ctx) as store:
        link = new_signin_link(store, settings, email, safe_next(next_path))
    sys.stdout.write(link + "\n")
    err.print(
        f"works once, within {settings.magic_link_minutes} minutes, on {settings.base_url}",
        highlight=False,
        soft_wrap=True,
    )


# --- digest ----------------------------------------------------------------------------------


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

    bar, progress = _bar("digest")
    with bar:
        summary = send_digests(
            _settings(ctx),
            day=_day(day),
            dry_run=dry_run,
            user=user,
            progress=progress,
            eml_dir=eml_dir,
        )
    if as_json:
        _emit_json(summary.as_dict())
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


@bench_app.command("digest")
def bench_digest_cmd(
    subscribers: Annotated[
        int, typer.Option("-n", "--subscribers", min=1, max=1_000_000, help="Subscribers.")
    ] = 10_000,
    baseline: Annotated[
        int, typer.Option(min=1, help="Messages in the raw smtplib baseline.")
    ] = 10_000,
) -> None:
    """Digest delivery throughput to a local SMTP server, against raw smtplib sends. JSON."""
    from paperwire.bench.digest import bench_digest

    _emit_json(bench_digest(subscribers, baseline_messages=baseline))


# --- serve -----------------------------------------------------------------------------------


@bench_app.command("ask")
def bench_ask_cmd(
    ctx: typer.Context,
    daily: Annotated[
        Path, typer.Option(help="Per-day arXiv JSONL folder (the store's papers).")
    ] = Path("../shared/data/arxiv/daily-arxiv-cs-2025-2026"),
    questions: Annotated[int, typer.Option(min=1, help="Questions timed.")] = 200,
    pool: Annotated[int, typer.Option(min=10, help="Real papers encoded for the pool.")] = 500,
    as_json: JsonOpt = False,
) -> None:
    """Ask latency (p50/p99, no language model) on a real store, against plain search."""
    from paperwire.bench.ask import bench_ask

    settings = _settings(ctx)
    result = bench_ask(
        daily=daily,
        questions=questions,
        pool_size=pool,
        encoder_spec=settings.encoder,
        cache_dir=settings.home_dir / "cache" / "embeddings",
    )
    if as_json:
        _emit_json(result)
        return
    a, b = result["ask_ms"], result["baseline_search_ms"]
    out.print(f"{result['papers']:,} papers, {result['questions']} questions "
              f"({result['answered']} answered)")  # fmt: skip
    out.print(f"ask:    p50 {a['p50']} ms, p99 {a['p99']} ms")
    out.print(
        f"search: p50 {b['p50']} ms, p99 {b['p99']} ms (baseline; ratio {result['ratio_p50']})"
    )
    out.print(f"machine: {result['machine']}")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    index_update: Annotated[
        bool,
        typer.Option(
            "--index-update/--no-index-update", help="Index new papers once before serving."
        ),
    ] = True,
) -> None:
    """Serve the web site and the JSON API (/docs) until interrupted."""
    from paperwire.web.serve import run as run_server

    run_server(_settings(ctx), host=host, port=port, workers=workers, update_index=index_update)


# --- demo ------------------------------------------------------------------------------------


@app.command()
def demo(
    ctx: typer.Context,
    serve_site: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the site when the demo is built.")
    ] = True,
    embed: Annotated[
        bool,
        typer.Option(
            "--embed/--no-embed",
            help="Compute embeddings (while serving: in the background, the site answers at once).",
        ),
    ] = True,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to serve on.")] = 8000,
    as_json: JsonOpt = False,
) -> None:
    """Build the demo store and index from the bundled corpus, then serve the site at
    http://127.0.0.1:8000 while embeddings fill in (Ctrl-C stops it; re-running is quick)."""
    from paperwire.demo import build_demo, demo_summary
    from paperwire.index.manager import embed_index, open_index, update_index

    settings = _settings(ctx)
    if serve_site:
        from paperwire.web.serve import check_port

        check_port("127.0.0.1", port)  # a port in use fails now, not after the build

    def say(text: str) -> None:
        if not as_json:
            err.print(text, highlight=False, soft_wrap=True)

    with _store(ctx) as store:
        say(f"demo: loading the bundled corpus into {settings.home_dir}")
        summaries = build_demo(store)
        say("demo: building the search index")
        index = open_index(settings)
        update_index(store, index)
        if embed and not serve_site:
            bar, progress = _bar("embed the demo corpus")
            with bar:
                embed_index(store, index, progress=progress)
        summary = demo_summary(store)
        remaining = len(index) - index.status().papers_embedded
    if as_json:
        _emit_json({"ingested": [s.as_dict() for s in summaries], **summary})
    else:
        for s in summaries:
            _report(s, as_json=False)
        _print_demo_summary(summary, port=port)
    if serve_site:
        _serve_demo(settings, port=port, embed=embed and remaining > 0, remaining=remaining)


def _print_demo_summary(summary: dict[str, Any], *, port: int) -> None:
    cats = ", ".join(f"{c} {n:,}" for c, n in summary["top_categories"].items())
    out.print(
        f"[bold]paperwire demo[/]: {summary['papers']:,} papers, {summary['days']} listing days "
        f"({summary['first_day']} .. {summary['last_day']}); top categories: {cats}",
        highlight=False,
        soft_wrap=True,
    )
    out.print(
        f"latest day {summary['latest_day']}: {summary['latest_day_papers']:,} papers, e.g.",
        highlight=False,
        soft_wrap=True,
    )
    for r in summary["sample"]:
        out.print(f"  [cyan]{r['id']}[/] {r['title'][:100]}", highlight=False, soft_wrap=True)
    out.print(
        f"browse http://127.0.0.1:{port}/ , search http://127.0.0.1:{port}/search?q=diffusion ,"
        " or from here: paperwire search 'token merging'",
        highlight=False,
        soft_wrap=True,
    )


def _serve_demo(settings: Settings, *, port: int, embed: bool, remaining: int) -> None:
    from paperwire.web.serve import run as run_server

    if "base_url" not in settings.model_fields_set:  # links in (console) mail: this port
        settings = settings.model_copy(update={"base_url": f"http://127.0.0.1:{port}"})
    worker = None
    if embed:
        from paperwire.demo.background import start_background_embedding

        worker = start_background_embedding(settings)
        err.print(
            f"demo: embedding {remaining:,} papers in the background; search uses them as they "
            f"come (/about shows how many)",
            highlight=False,
            soft_wrap=True,
        )
    out.print(
        f"serving the demo at http://127.0.0.1:{port} (Ctrl-C stops)",
        highlight=False,
        soft_wrap=True,
    )
    try:
        run_server(settings, host="127.0.0.1", port=port, workers=1, update_index=False)
    finally:
        if worker is not None:
            from paperwire.demo.background import stop

            stop(worker)


# --- the daily pipeline, status, backups -----------------------------------------------------


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

    report = run_cycle(_settings(ctx), now=_at(at), embed_limit=embed_limit or None)
    if as_json:
        _emit_json(report.as_dict())
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
    Worker(_settings(ctx), on_cycle=_print_cycle).run()


@app.command("status")
def status_cmd(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The last run of each pipeline step, the index lag and the embedded fraction."""
    from paperwire.index.manager import open_backend
    from paperwire.pipeline.status import pipeline_status

    with _store(ctx) as store:
        data = pipeline_status(store, open_backend(_settings(ctx)))
    if as_json:
        _emit_json(data)
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

    result = backup_store(_settings(ctx), dest)
    if as_json:
        _emit_json(result)
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

    result = restore_store(_settings(ctx), src, force=force)
    if as_json:
        _emit_json(result)
    else:
        out.print(result["message"], highlight=False)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user errors print one line and exit with their code."""
    try:
        # Without standalone mode, click returns the code of a `typer.Exit` instead of raising it.
        code = app(args=argv, standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except PaperwireError as exc:
        # soft_wrap: one line however long (a narrow or non-terminal stderr would wrap it).
        err.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted: run the same command again to resume")
        sys.exit(130)
    except Exception as exc:  # click's usage errors, a full disk
        full = disk_full(exc)
        if full is not None:
            err.print(f"[red]error:[/] {full}", highlight=False, soft_wrap=True)
            sys.exit(1)
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


# --- i9a ---
# The index backend option, and moving a store to another database (issue 9).

BackendOpt = Annotated[
    str | None,
    typer.Option(
        "--backend",
        help="Index backend: embedded or milvus://HOST:PORT[/COLLECTION] (default: the index "
        "setting, PAPERWIRE_INDEX).",
    ),
]
store_app = _group("The store itself: move it to another database.")
app.add_typer(store_app, name="store")


def _with_backend(ctx: typer.Context, backend: str | None) -> Settings:
    """The settings with `--backend` as the index setting (checked: a clear error if bad)."""
    from paperwire.index.location import parse_index

    settings = _settings(ctx)
    if backend is not None:
        settings = settings.model_copy(update={"index": backend})
    parse_index(settings.index)
    return settings


@store_app.command("migrate-to")
def store_migrate_to(
    ctx: typer.Context,
    url: Annotated[
        str, typer.Argument(metavar="URL", help="Target: postgresql+psycopg://USER:PASS@HOST/DB")
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Replace what the target database holds.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Copy the whole store (every table) into another database, e.g. SQLite into PostgreSQL."""
    from paperwire.store.copy import copy_store

    bar, update = _bar("copy")

    def progress(table: str, done: int, total: int) -> None:
        bar.update(bar.task_ids[0], description=table)
        update(done, total)

    with _store(ctx) as source, open_store(url=url) as target:
        with bar:
            copied = copy_store(source, target, force=force, progress=progress)
        target_url = target.url
    if as_json:
        _emit_json({"target": target_url, "copied": copied})
        return
    out.print(f"copied {sum(copied.values()):,} rows of {len(copied)} tables into {target_url}")
    out.print(
        "next: set PAPERWIRE_DATABASE_URL to the target (and PAPERWIRE_INDEX to the new index, "
        "e.g. milvus://HOST:19530/paperwire), then run `paperwire index build` (and "
        "`paperwire index embed`) to build that index from the store"
    )


def _eval_scratch(settings: Settings, folder: Path) -> Any:
    """For `eval beir`: None (the in-memory embedded index, as always) or a maker of the
    configured backend's scratch index for this dataset."""
    from paperwire.index.location import parse_index
    from paperwire.index.manager import open_scratch_backend

    if parse_index(settings.index).kind == "embedded":
        return None
    return lambda encoder: open_scratch_backend(settings, f"beir_{folder.name}", encoder=encoder)
