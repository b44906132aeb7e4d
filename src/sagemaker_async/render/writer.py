"""Writing the rendered output: straight to stdout, or through the pager on a terminal."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable

from sagemaker_async.errors import PagerError

TYPE_CHECKING = False  # typing costs start-up time; mypy reads this as typing.TYPE_CHECKING

if TYPE_CHECKING:
    from typing import BinaryIO

    from sagemaker_async.request.settings import Settings

PAGER_HINT = 'Learn more about configuring the output pager by running "aws help config-vars".'


def _isatty(stream: BinaryIO) -> bool:
    try:
        return os.isatty(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return False


def write_output(render: Callable[[int, bool], str], settings: Settings, stdout: BinaryIO) -> None:
    """Render for this terminal (width, colour) and write; page only when stdout is a tty."""
    tty = _isatty(stdout)
    width = shutil.get_terminal_size((80, 24)).columns if tty else 80
    color = settings.color == "on" or (settings.color == "auto" and tty)
    text = render(width, color)
    if not text:
        return
    pager = settings.resolve_pager() if tty else ""
    if pager:
        _page(text, pager)
        return
    stdout.write(text.encode("utf-8"))
    stdout.flush()


def _page(text: str, pager: str) -> None:
    import shlex
    import subprocess

    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    try:
        process = subprocess.Popen(shlex.split(pager), stdin=subprocess.PIPE, env=env)
    except OSError as e:
        raise PagerError(
            "Unable to redirect output to pager. Received the following error when opening "
            f"pager:\n{e}\n\n{PAGER_HINT}"
        ) from None
    assert process.stdin is not None
    try:
        process.stdin.write(text.encode("utf-8"))
        process.stdin.close()
    except BrokenPipeError:
        pass  # the user quit the pager early
    process.wait()
