"""The per-run context: the streams a command reads and writes, and the run's settings. A
leaf: it imports nothing of ours, so every layer can take it without an import cycle."""

from __future__ import annotations

import io
import os
import sys

TYPE_CHECKING = False  # typing costs start-up time; mypy reads this as typing.TYPE_CHECKING

if TYPE_CHECKING:
    from typing import IO, Any, BinaryIO


class Streams:
    def __init__(
        self, stdout: BinaryIO | None = None, stderr: Any = None, stdin: BinaryIO | None = None
    ):
        self.stdout = stdout or sys.stdout.buffer
        self.stderr = stderr or sys.stderr
        # stdin may be closed (``<&-``): then reading it gives nothing
        self.stdin = stdin or getattr(sys.stdin, "buffer", None) or io.BytesIO()


class RunContext:
    """One command line's run: its streams, and its settings once the global options are
    parsed (the click tree keeps it as the root context's ``obj``)."""

    def __init__(self, streams: Streams | None = None):
        self.streams = streams or Streams()
        self.settings: Any = None  # request.settings.Settings, set by the root command


def is_terminal(stream: IO[Any]) -> bool:
    """Whether ``stream`` is a terminal (False for one without a file descriptor)."""
    try:
        return os.isatty(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return False
