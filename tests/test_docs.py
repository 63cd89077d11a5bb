"""Docs that cannot rot: every setting (with its default), every command, every route, and the
shipped search mode and fusion are in the README as the code has them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer

from paperwire.cli import app
from paperwire.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_documented() -> None:
    missing = [
        f"PAPERWIRE_{name.upper()}"
        for name in Settings.model_fields
        if f"PAPERWIRE_{name.upper()}" not in README
    ]
    assert missing == []


def test_every_setting_has_help() -> None:
    assert [n for n, f in Settings.model_fields.items() if not f.description] == []


def _commands(group: typer.Typer, prefix: str) -> list[str]:
    names = [
        f"{prefix}{c.name or c.callback.__name__}".strip()
        for c in group.registered_commands
        if c.callback is not None
    ]
    for sub in group.registered_groups:
        names += _commands(sub.typer_instance, f"{prefix}{sub.name} ")  # type: ignore[arg-type]
    return names


def test_every_command_is_documented() -> None:
    commands = _commands(app, "paperwire ")
    assert "paperwire ingest daily" in commands
    missing = [c for c in commands if c not in README]
    assert missing == []


# --- settings with their defaults ------------------------------------------------------------

_SETTING_ROW = re.compile(r"^\| `PAPERWIRE_([A-Z0-9_]+)` \| ([^|]+) \|", re.M)


def _documented_defaults() -> dict[str, str]:
    return {m.group(1).lower(): m.group(2).strip() for m in _SETTING_ROW.finditer(README)}


def _default_matches(default: Any, cell: str) -> bool:
    """The README's default cell states this default: a literal in backticks for a value; words
    (none, "made once ...") where the default is empty or computed."""
    literal = re.match(r"`([^`]*)`", cell)
    if default is None or default == "":
        return literal is None
    if literal is None:
        return False
    text = literal.group(1)
    if isinstance(default, bool):
        return text == str(default).lower()
    if isinstance(default, int | float):
        try:
            return float(text) == float(default)
        except ValueError:
            return False
    return text == str(default)


def test_every_setting_has_a_row_with_its_default() -> None:
    rows = _documented_defaults()
    assert sorted(set(Settings.model_fields) - set(rows)) == []
    assert sorted(set(rows) - set(Settings.model_fields)) == []  # no row for a removed setting
    wrong = {
        name: (field.default, rows[name])
        for name, field in Settings.model_fields.items()
        if not _default_matches(field.default, rows[name])
    }
    assert wrong == {}


@pytest.mark.parametrize(
    ("default", "cell", "ok"),
    [
        (3.0, "`3.0`", True),
        (300.0, "`300`", True),
        (300.0, "`30`", False),
        (False, "`false`", True),
        (True, "`false`", False),
        (None, "none", True),
        (None, "`x`", False),
        ("cs", "`cs`", True),
        ("cs", "`cs.CL`", False),
        (Path("~/.paperwire"), "`~/.paperwire`", True),
    ],
)
def test_the_default_check_itself(default: Any, cell: str, ok: bool) -> None:
    assert _default_matches(default, cell) is ok


# --- routes ----------------------------------------------------------------------------------

_ROUTE_ROW = re.compile(r"^\| (GET|POST|PUT|DELETE|PATCH) \| `([^`]+)` \|", re.M)


def _app_routes(routes: list[Any], prefix: str = "") -> set[tuple[str, str]]:
    """(method, path) of every route, included routers and mounts too (HEAD is left out: it
    answers wherever GET does)."""
    found: set[tuple[str, str]] = set()
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI's included router
            found |= _app_routes(
                route.original_router.routes, prefix + route.include_context.prefix
            )
        elif hasattr(route, "path"):
            methods = set(getattr(route, "methods", None) or {"GET"}) - {"HEAD"}
            found |= {(m, prefix + route.path) for m in methods}
    return found


def test_every_route_is_documented(tmp_path: Path) -> None:
    from paperwire.web.app import create_app

    app = create_app(Settings(home=tmp_path / "home"))
    routes = _app_routes(list(app.routes))
    assert ("GET", "/day/{day}") in routes and ("POST", "/vote") in routes
    documented = set(_ROUTE_ROW.findall(README))
    assert sorted(routes - documented) == []
    assert sorted(documented - routes) == []  # no row for a route that is gone


# --- the shipped search mode and fusion ------------------------------------------------------


def test_the_default_search_mode_is_the_documented_one() -> None:
    default = Settings.model_fields["search_mode"].default
    assert f"`{default}` (the default:" in README  # the Search section's list of modes
    assert f"| **{default}** (default) |" in README  # the quality table's marked row
    assert README.count("(the default:") == 1 and README.count("** (default) |") == 1


def test_the_shipped_fusion_is_the_documented_one() -> None:
    from paperwire.index.embedded import FusionConfig

    shipped = FusionConfig()
    hybrid = ", ".join(f"{w:g}" for w in shipped.hybrid_weights)
    rerank = ", ".join(f"{w:g}" for w in shipped.rerank_weights)
    near, near_rerank = shipped.proximity
    line = (
        f"Shipped fusion (`FusionConfig`): method `{shipped.method}`, normalisation "
        f"`{shipped.normalise}`, hybrid weights {hybrid}, hybrid+rerank weights {rerank}, "
        f"depth {shipped.depth}, proximity weights {near:g} (hybrid) and {near_rerank:g} "
        f"(hybrid+rerank)."
    )
    assert line in " ".join(README.split())  # the README's lines are wrapped


def test_the_layout_names_every_module_and_package() -> None:
    src = Path(__file__).resolve().parents[1] / "src" / "paperwire"
    layout = README[README.index("## Layout") :]
    layout = layout[: layout.index("\n```\n", layout.index("```") + 3)]
    names = [p.name for p in src.glob("*.py") if p.stem not in ("__init__", "__main__")]
    names += [f"{p.name}/" for p in src.iterdir() if p.is_dir() and any(p.glob("*.py"))]
    assert sorted(n for n in names if f"  {n} " not in layout) == []
