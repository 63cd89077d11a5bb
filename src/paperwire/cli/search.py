"""`search`, `similar` and `ask`: the search service from the terminal."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from paperwire.cli.app import JsonOpt, ModeOpt, app, settings_of, store_of
from paperwire.cli.output import emit_json, marked, out, shown
from paperwire.cli.store import print_papers
from paperwire.errors import ConfigError
from paperwire.store import Store


def search_index(ctx: typer.Context, store: Store) -> Any:
    from paperwire.index.manager import applied, open_backend, update_index

    index = open_backend(settings_of(ctx))
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
    settings = settings_of(ctx)
    with store_of(ctx) as store:
        result = search(
            store,
            search_index(ctx, store),
            query,
            page=page,
            per_page=per_page,
            mode=mode or settings.search_mode,
        )
    if as_json:
        emit_json(result.as_dict())
        return
    print_hits(
        result.hits,
        title=f"{result.total:,} results for {query!r} "
        f"({result.took_ms:.0f} ms, {result.mode}), page {result.page}",
    )


def print_hits(rows: list[dict[str, Any]], *, title: str) -> None:
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
            out.print(marked(r["snippet_html"]), highlight=False)
    if not rows:
        out.print("no results")


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
    with store_of(ctx) as store:
        rows = similar(
            store, search_index(ctx, store), ids=ids or [], text=text, k=k, filters=filters
        )
    if as_json:
        emit_json(rows)
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

    settings = settings_of(ctx)
    chat = ChatConfig.from_settings(settings)
    if generate and chat is None:
        raise ConfigError("--generate needs a chat API: set PAPERWIRE_LLM_URL")
    with store_of(ctx) as store:
        result = ask(store, search_index(ctx, store), question, mode=mode or settings.search_mode)
    if generate and chat is not None:
        result["generated"] = write_answer(chat, result)
    if as_json:
        emit_json(result)
        return
    print_answer(result)


def print_answer(result: dict[str, Any]) -> None:
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
            text = marked(e["sentence_html"], safe=_bracket_escaped)
            out.print(f"  \\[{e['eid']}] {text}", highlight=False)


def _bracket_escaped(text: str) -> str:
    """An evidence sentence as Ask printed it: only `[` escaped (its text was already checked
    when the abstract was stored)."""
    return text.replace("[", "\\[")
