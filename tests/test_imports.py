"""Data flows one way: no package imports a package above it (README "Layout").

Every import in src/paperwire is read with `ast` (function-level and TYPE_CHECKING imports too:
an import that dodges a cycle at run time is still a cycle in the design) and checked against the
layers below. A package may import its own modules, the neutral modules, and packages in lower
layers; never a package in its own layer or a higher one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "paperwire"

# Bottom to top. Layer 0 is neutral: small modules anything may import (they import only each
# other). ingest and index both sit on the store (ingest writes papers into it, index reads them).
LAYERS: list[set[str]] = [
    {"__init__", "days", "errors", "records", "settings", "signing", "text"},
    {"store"},
    {"ingest", "index"},
    {"search", "ops"},
    {"community"},
    {"digest"},
    {"pipeline"},
    {"web"},
    {"demo", "eval"},
    {"bench"},
    {"cli"},
    {"__main__"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _unit(module: str) -> str:
    """The layer unit of a dotted module name: paperwire.store.papers -> store."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every paperwire import in one file."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return [(line, name) for line, name in found if name.split(".")[0] == "paperwire"]


def _violations() -> list[str]:
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        source = _unit(_module_name(path))
        for line, name in _imported(path):
            target = _unit(name)
            if target == source:
                continue
            if target not in RANK:
                bad.append(f"{path.relative_to(SRC)}:{line} imports {name} (no layer)")
            elif RANK[target] == 0 and RANK[source] == 0:
                continue  # neutral modules may use each other
            elif RANK[target] >= RANK[source]:
                bad.append(f"{path.relative_to(SRC)}:{line}: {source} imports {name}")
    return bad


def test_every_package_has_a_layer() -> None:
    units = {_unit(_module_name(p)) for p in SRC.rglob("*.py")}
    assert sorted(units - set(RANK)) == []


def test_no_package_imports_one_above_it() -> None:
    assert _violations() == []


@pytest.mark.parametrize(
    ("importer", "imported", "allowed"),
    [
        ("paperwire.store.papers", "paperwire.records", True),
        ("paperwire.store.papers", "paperwire.ingest.runner", False),
        ("paperwire.digest.tokens", "paperwire.web.auth", False),
        ("paperwire.web.account", "paperwire.digest.smtp", True),
        ("paperwire.index.manager", "paperwire.search.query", False),
        ("paperwire.ingest.runner", "paperwire.index.manager", False),  # same layer
    ],
)
def test_the_rule_itself(importer: str, imported: str, allowed: bool) -> None:
    """The check can fail: a few imports it must refuse and some it must let through."""
    source, target = RANK[_unit(importer)], RANK[_unit(imported)]
    assert (target < source or target == source == 0) is allowed
