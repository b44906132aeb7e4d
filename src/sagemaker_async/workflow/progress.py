"""One self-overwriting status line on stderr, shown only when stderr is a terminal.

Each redraw is a carriage return, the text cut to fit the terminal (its width, less one
column, so the cursor never wraps to a new row), and "erase to the end of the line"; so the
line is redrawn in place however narrow the terminal is, and ``clear()`` leaves nothing.
"""

from __future__ import annotations

import os
import time
import unicodedata
from typing import TextIO

from sagemaker_async.context import is_terminal

MIN_INTERVAL = 0.1  # seconds between redraws
DEFAULT_COLUMNS = 80
ELLIPSIS = "…"
REDRAW = "\r\033[K"  # to the start of the row, erase it


def terminal_columns(stream: TextIO) -> int:
    """COLUMNS when set (as shutil.get_terminal_size), else the width of ``stream``'s
    terminal (stderr's, not stdout's: stdout may be a file)."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(stream.fileno()).columns or DEFAULT_COLUMNS
    except (AttributeError, OSError, ValueError):
        return DEFAULT_COLUMNS


def cell_width(char: str) -> int:
    """Terminal columns one character takes: 0 (combining), 2 (wide) or 1."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def text_width(text: str) -> int:
    return sum(cell_width(c) for c in text)


def fit(text: str, columns: int) -> str:
    """``text`` in at most ``columns`` cells: its middle replaced by "…" when too long, so
    the start (what is happening) and the end (the file name, the time) stay visible."""
    if text_width(text) <= columns:
        return text
    if columns <= 1:
        return ELLIPSIS[:columns]
    budget = columns - 1  # the ellipsis takes one
    head_budget = budget - budget // 2
    head, used = [], 0
    for char in text:
        if used + cell_width(char) > head_budget:
            break
        head.append(char)
        used += cell_width(char)
    tail: list[str] = []
    used_tail, tail_budget = 0, budget - used
    for char in reversed(text):
        if used_tail + cell_width(char) > tail_budget:
            break
        tail.append(char)
        used_tail += cell_width(char)
    return "".join(head) + ELLIPSIS + "".join(reversed(tail))


class Progress:
    def __init__(self, stream: TextIO, enabled: bool | None = None):
        self.stream = stream
        if enabled is None:  # a terminal that understands the erase sequence
            enabled = is_terminal(stream) and os.environ.get("TERM") != "dumb"
        self.enabled = enabled
        self._shown = False
        self._last = 0.0

    def show(self, text: str, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < MIN_INTERVAL:
            return
        self._last = now
        line = fit(text, terminal_columns(self.stream) - 1)  # measured each time: resizes
        self.stream.write(REDRAW + line)
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self.stream.write(REDRAW)
            self.stream.flush()
            self._shown = False
