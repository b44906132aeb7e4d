"""Writing the rendered output: straight to stdout, or through the pager on a terminal."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable

from sagemaker_async.context import is_terminal
from sagemaker_async.errors import GeneralError, PagerError

TYPE_CHECKING = False  # typing costs start-up time; mypy reads this as typing.TYPE_CHECKING

if TYPE_CHECKING:
    from typing import BinaryIO

    from sagemaker_async.request.settings import Settings

PAGER_HINT = 'Learn more about configuring the output pager by running "aws help config-vars".'


def output_format(settings: Settings) -> str:
    """--output, else the configured one; an unknown one (from AWS_DEFAULT_OUTPUT or the
    profile) is noticed only now, once the answer is in, as in the AWS CLI (255)."""
    from sagemaker_async.render import FORMATS

    fmt = settings.resolve_output()
    if fmt not in FORMATS:
        raise GeneralError(f"Unknown output type: {fmt}")
    return fmt


def uses_color(settings: Settings, tty: bool) -> bool:
    """--color on, or auto on a terminal."""
    return settings.color == "on" or (settings.color == "auto" and tty)


def output_width(tty: bool) -> int:
    """The columns a table must fit in: the terminal's (measured each time: resizes), else 80."""
    return shutil.get_terminal_size((80, 24)).columns if tty else 80


def write_output(render: Callable[[int, bool], str], settings: Settings, stdout: BinaryIO) -> None:
    """Render for this terminal (width, colour) and write; page only when stdout is a tty."""
    tty = is_terminal(stdout)
    text = render(output_width(tty), uses_color(settings, tty))
    if not text:
        return
    pager = settings.resolve_pager() if tty else ""
    if pager:
        _page(text, pager)
        return
    stdout.write(encode_for_stdout(text, stdout))
    stdout.flush()


def stdout_encoding() -> tuple[str, str]:
    """The encoding and error handler Python gives stdout (PYTHONIOENCODING, the locale)."""
    import sys

    stream = sys.__stdout__
    encoding = getattr(stream, "encoding", None) or "utf-8"
    return encoding, getattr(stream, "errors", None) or "strict"


def encode_for_stdout(text: str, stdout: BinaryIO) -> bytes:
    """``text`` as the AWS CLI's text stream writes it: in stdout's encoding, without a byte
    order mark. A character the encoding cannot hold stops the output where the CLI's JSON
    writer stops (before the string holding it) with the codec's own message (255)."""
    import codecs

    from sagemaker_async.errors import GeneralError

    encoding, errors = stdout_encoding()
    encoder = codecs.getincrementalencoder(encoding)(errors)
    encoder.setstate(0)  # no BOM, as a text stream that is not at its start
    try:
        return encoder.encode(text, final=True)
    except UnicodeEncodeError as e:
        start = _token_start(text, e.start)
        head = codecs.getincrementalencoder(encoding)(errors)
        head.setstate(0)
        stdout.write(head.encode(text[:start], final=True))
        stdout.flush()
        end = text.find('"', e.end) + 1 if text[start] == '"' else len(text)
        try:
            text[start : end or len(text)].encode(encoding, errors)
        except UnicodeEncodeError as chunk_error:
            raise GeneralError(str(chunk_error)) from None
        raise GeneralError(str(e)) from None


def _token_start(text: str, position: int) -> int:
    """Where the JSON string holding ``position`` starts (its opening quote), else the line."""
    in_string, start, index = False, 0, 0
    while index < position:
        char = text[index]
        if in_string and char == "\\":
            index += 2
            continue
        if char == '"':
            in_string = not in_string
            start = index
        index += 1
    if in_string:
        return start
    return text.rfind("\n", 0, position) + 1


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
