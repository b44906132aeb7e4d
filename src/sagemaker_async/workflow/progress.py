"""One self-overwriting status line on stderr, shown only when stderr is a terminal."""

from __future__ import annotations

import os
import time
from typing import TextIO

MIN_INTERVAL = 0.1  # seconds between redraws


def is_terminal(stream: TextIO) -> bool:
    try:
        return os.isatty(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return False


class Progress:
    def __init__(self, stream: TextIO, enabled: bool | None = None):
        self.stream = stream
        self.enabled = is_terminal(stream) if enabled is None else enabled
        self._shown = False
        self._last = 0.0

    def show(self, text: str, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < MIN_INTERVAL:
            return
        self._last = now
        self.stream.write("\r\033[K" + text)
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._shown = False
