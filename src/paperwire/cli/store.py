"""Commands on the store itself: `init`, `stats`, the `papers` group and `store migrate-to`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from paperwire.cli.app import (
    JsonOpt,
    app,
    papers_app,
    parse_day,
    settings_of,
    store_app,
    store_of,
)
from paperwire.cli.output import by_stage, emit_json, out, progress_bar, shown


@app.command()
def init(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Create the data home and the database (or bring its schema up to date)."""
    settings = settings_of(ctx)
    settings.home_dir.mkdir(parents=True, exist_ok=True)
    with store_of(ctx) as store:
        info = {"home": str(settings.home_dir), "database": store.url}
    if as_json:
        emit_json(info)
    else:
        out.print(
            f"paperwire is ready: data in [bold]{info['home']}[/], database {info['database']}"
        )


@app.command()
def stats(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Counts of papers, days, categories and sources."""
    from paperwire.store.papers import stats as store_stats

    with store_of(ctx) as store:
        data = store_stats(store)
    if as_json:
        emit_json(data)
        return
    table = Table(show_header=False, box=None)
    for key, value in data.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v:,}" for k, v in value.items()) or "-"
        elif isinstance(value, int):
            value = f"{value:,}"
        table.add_row(key.replace("_", " "), str(value))
    out.print(table)


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
    from paperwire.store.listing import latest_listing_day
    from paperwire.store.papers import list_papers

    with store_of(ctx) as store:
        wanted = latest_listing_day(store) if day == "latest" else parse_day(day)
        rows = list_papers(store, day=wanted, category=category, limit=limit, offset=offset)
    if as_json:
        emit_json(rows)
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

    with store_of(ctx) as store:
        row = get_paper(store, paper_id)
    if as_json:
        emit_json(row)
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
    from paperwire.store import open_store
    from paperwire.store.copy import copy_store

    with store_of(ctx) as source, open_store(url=url) as target:
        with progress_bar("copy") as update:
            copied = copy_store(source, target, force=force, progress=by_stage(update))
        target_url = target.url
    if as_json:
        emit_json({"target": target_url, "copied": copied})
        return
    out.print(f"copied {sum(copied.values()):,} rows of {len(copied)} tables into {target_url}")
    out.print(
        "next: set PAPERWIRE_DATABASE_URL to the target (and PAPERWIRE_INDEX to the new index, "
        "e.g. milvus://HOST:19530/paperwire), then run `paperwire index build` (and "
        "`paperwire index embed`) to build that index from the store"
    )
