"""The `paperwire` typer app: its command groups, global options, exit codes and entry point.

Exit codes: 0 done (something changed), 3 nothing new, 1 failed, 2 bad usage, 4 not found,
5 digest mail deferred to the next run, 130 interrupted.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from paperwire.cli.output import err
from paperwire.errors import ConfigError, PaperwireError, disk_full
from paperwire.settings import Settings, load_settings
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
store_app = _group("The store itself: move it to another database.")
app.add_typer(store_app, name="store")

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]
RestartOpt = Annotated[
    bool, typer.Option("--restart", help="Ignore the checkpoint of an interrupted earlier run.")
]
PathsArg = Annotated[
    list[Path], typer.Argument(metavar="PATH", help="Files or directories.", show_default=False)
]
ModeOpt = Annotated[
    str | None,
    typer.Option("--mode", help="bm25, hybrid or hybrid+rerank (PAPERWIRE_SEARCH_MODE)."),
]
BackendOpt = Annotated[
    str | None,
    typer.Option(
        "--backend",
        help="Index backend: embedded or milvus://HOST:PORT[/COLLECTION] (default: the index "
        "setting, PAPERWIRE_INDEX).",
    ),
]


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the global options built (see `main_options`)."""
    settings: Settings = ctx.obj
    return settings


def with_backend(ctx: typer.Context, backend: str | None) -> Settings:
    """The settings with `--backend` as the index setting (checked: a clear error if bad)."""
    from paperwire.index.location import parse_index

    settings = settings_of(ctx)
    if backend is not None:
        settings = settings.model_copy(update={"index": backend})
    parse_index(settings.index)
    return settings


@contextmanager
def store_of(ctx: typer.Context) -> Iterator[Store]:
    """The store of these settings, closed when the command is done."""
    store = open_store(settings_of(ctx))
    try:
        yield store
    finally:
        store.close()


def parse_day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"{text!r} is not a day: use YYYY-MM-DD") from exc


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
    ctx.obj = load_settings(**overrides)
    if ctx.obj.log_format != "text":
        from paperwire.ops.logs import configure_logging

        configure_logging(ctx.obj.log_format, logging.INFO if verbose else logging.WARNING)


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
