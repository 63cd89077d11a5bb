"""Where the real data of ../shared is, for tests that read it (import this module, not
`conftest`: with several conftest.py files, `import conftest` finds whichever came last)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("PAPERWIRE_SHARED", REPO.parent / "shared"))
DATA = SHARED / "data"
FIXTURES = DATA / "fixtures"


def need(path: Path) -> Path:
    """A path under ../shared, or a skip naming it (a user's clone has no ../shared)."""
    if not path.exists():
        pytest.skip(f"needs {path}")
    return path
