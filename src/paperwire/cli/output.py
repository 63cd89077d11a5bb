"""The CLI's one output layer: the two consoles, terminal-safe text, --json and the progress bar.

Commands print only through this module: results on stdout (`out`, or `emit_json` for --json),
progress and messages on stderr (`err`), so `--json` output stays machine-readable.
"""

from __future__ import annotations

import html
import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape as rich_escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

out = Console()
err = Console(stderr=True)

# Escape sequences (CSI, OSC, ...) and every other C0/C1 control but tab and newline.
_TERMINAL_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, clear screen
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window title, hyperlinks, clipboard
    r"|\x1b.?|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
)
_MARK = re.compile(r"<mark>(.*?)</mark>")
REDRAW_EVERY = 0.1  # seconds; an ingest reports every record, and redrawing cost more than it


def shown(text: Any) -> str:
    """Stored text made safe for the terminal: control and escape sequences removed (a title
    must not retitle the window or clear the screen) and Rich markup escaped."""
    return rich_escape(_TERMINAL_CONTROL.sub("", str(text)))


def marked(snippet_html: str, *, safe: Callable[[str], str] = shown) -> str:
    """A snippet's <mark>ed words shown reversed on the terminal."""
    return _MARK.sub(r"[reverse]\1[/reverse]", safe(html.unescape(snippet_html)))


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=str, ensure_ascii=False, indent=2) + "\n")


Update = Callable[[int, int | None], None]
StageUpdate = Callable[[str, int, int], None]


@contextmanager
def progress_bar(description: str, *, show: bool = True) -> Iterator[Update | None]:
    """The one progress bar, on stderr: yields the `progress(done, total)` callback that library
    functions take, or None off a terminal or when `show` is false (no bar, and the library
    skips its progress calls). Redraws at most every 0.1 s."""
    if not (show and err.is_terminal):
        yield None
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(description, total=None)
        last = [0.0]

        def update(done: int, total: int | None) -> None:
            now = time.monotonic()
            if now - last[0] >= REDRAW_EVERY:
                last[0] = now
                bar.update(task, completed=done, total=total)

        yield update


def by_stage(update: Update | None) -> StageUpdate | None:
    """The bar's callback for functions that report `progress(stage, done, total)`."""
    if update is None:
        return None
    return lambda stage, done, total: update(done, total)
