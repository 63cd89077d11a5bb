"""`serve` and `demo`: the web site."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from paperwire.cli.app import JsonOpt, app, settings_of, store_of
from paperwire.cli.ingest import report
from paperwire.cli.output import emit_json, err, out, progress_bar
from paperwire.settings import Settings


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

    run_server(settings_of(ctx), host=host, port=port, workers=workers, update_index=index_update)


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

    settings = settings_of(ctx)
    if serve_site:
        from paperwire.web.serve import check_port

        check_port("127.0.0.1", port)  # a port in use fails now, not after the build

    def say(text: str) -> None:
        if not as_json:
            err.print(text, highlight=False, soft_wrap=True)

    with store_of(ctx) as store:
        say(f"demo: loading the bundled corpus into {settings.home_dir}")
        summaries = build_demo(store)
        say("demo: building the search index")
        index = open_index(settings)
        update_index(store, index)
        if embed and not serve_site:
            with progress_bar("embed the demo corpus") as progress:
                embed_index(store, index, progress=progress)
        summary = demo_summary(store)
        remaining = len(index) - index.status().papers_embedded
    if as_json:
        emit_json({"ingested": [s.as_dict() for s in summaries], **summary})
    else:
        for s in summaries:
            report(s, as_json=False)
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
