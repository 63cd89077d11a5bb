"""The `users` group: accounts from the command line."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from paperwire.cli.app import EXIT_NOTHING_NEW, JsonOpt, settings_of, store_of, users_app
from paperwire.cli.output import emit_json, err, out, shown
from paperwire.errors import ConfigError


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
    with store_of(ctx) as store:
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
        emit_json(
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

    with store_of(ctx) as store:
        rows = user_summaries(store)
    if as_json:
        emit_json(rows)
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

    with store_of(ctx) as store:
        user = get_user_by_email(store, email)
        if user is None:
            raise NotFound(f"no user with the email {email.strip()!r}")
        delete_user(store, user.id)
    if as_json:
        emit_json({"removed": user.email, "id": user.id})
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
    from paperwire.web.signin import new_signin_link
    from paperwire.web.urls import safe_next

    settings = settings_of(ctx)
    with store_of(ctx) as store:
        link = new_signin_link(store, settings, email, safe_next(next_path))
    sys.stdout.write(link + "\n")
    err.print(
        f"works once, within {settings.magic_link_minutes} minutes, on {settings.base_url}",
        highlight=False,
        soft_wrap=True,
    )
