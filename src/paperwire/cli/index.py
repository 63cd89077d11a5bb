"""The `index` group: build, update, embed, status."""

from __future__ import annotations

from typing import Annotated

import typer

from paperwire.cli.app import BackendOpt, JsonOpt, index_app, store_of, with_backend
from paperwire.cli.output import emit_json, out, progress_bar


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

    settings = with_backend(ctx, backend)
    with store_of(ctx) as store:
        index = open_backend(settings, rebuild=full)  # build works on a damaged index too
        with progress_bar("index") as progress:
            result = update_index(store, index, full=full, progress=progress)
    if as_json:
        emit_json(result)
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

    with store_of(ctx) as store:
        index = open_backend(with_backend(ctx, backend))
        update_index(store, index)
        with progress_bar("embed") as progress:
            result = embed_index(
                store, index, batch_size=batch_size, limit=limit, progress=progress
            )
    if as_json:
        emit_json(result)
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

    with store_of(ctx) as store:
        status = index_status(store, open_backend(with_backend(ctx, backend)))
    if as_json:
        emit_json(status)
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
