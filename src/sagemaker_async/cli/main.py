"""The entry point: from argv to exit code. The click tree parses and runs; errors are
caught once, here.

parse (cli/tree.py, cli/core.py) → merge (request/params.py) → send (request/client.py) →
shape (render/shape.py) → render (render/). Every error — ours, botocore's, click's (for
serve and completion too) — becomes a message and an exit code in :func:`run`, through
errors.from_exception and errors.write_error.
"""

from __future__ import annotations

import os
import sys

from sagemaker_async.context import RunContext, Streams
from sagemaker_async.errors import ExitCode, from_exception, write_error

TYPE_CHECKING = False  # typing costs start-up time; mypy reads this as typing.TYPE_CHECKING
if TYPE_CHECKING:
    from typing import BinaryIO, NoReturn


def main(args: list[str] | None = None) -> NoReturn:
    """The ``sagemaker-async`` command."""
    args = sys.argv[1:] if args is None else args
    if args == ["--version"]:
        from sagemaker_async.cli.version import version_text

        # The whole line is the root's --version option: answered before click is imported
        # (importing click alone would take a third of the start-up budget). Any other line
        # with --version goes through the tree, which prints the same text.
        sys.stdout.write(version_text() + "\n")
        sys.stdout.flush()
        sys.exit(ExitCode.OK)
    code = run(args)
    # The interpreter's final collections would scan every object botocore loaded (~100 ms
    # after the answer is out); everything we wrote is flushed, so skip them.
    import gc

    gc.freeze()
    sys.exit(code)


def run(args: list[str], streams: Streams | None = None) -> int:
    """Run one command line through the click tree; the exit code."""
    import click

    from sagemaker_async.cli.core import VersionRequested
    from sagemaker_async.cli.tree import build_tree

    context = RunContext(streams)
    streams = context.streams
    root = build_tree()
    try:
        with root.make_context(root.name, list(args), obj=context) as ctx:
            return int(root.invoke(ctx) or 0)
    except KeyboardInterrupt:
        # As the AWS CLI: a newline on stdout, nothing on stderr, 128 + SIGINT.
        _safe_write(streams.stdout, b"\n")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        _silence_broken_pipe()
        return ExitCode.OK
    except VersionRequested as v:
        streams.stdout.write(v.text.encode() + b"\n")
        streams.stdout.flush()
        return ExitCode.OK
    except click.exceptions.Exit as e:  # click's own --help of serve and completion
        return e.exit_code
    except Exception as exc:  # the one place errors become messages and exit codes
        from sagemaker_async.request.settings import error_format_from_environment

        settings = context.settings
        if settings is not None and settings.debug:
            import traceback

            traceback.print_exc(file=streams.stderr)
        err = from_exception(exc)
        write_error(err, streams.stderr, error_format_from_environment(settings))
        return int(err.exit_code)


def _safe_write(stream: BinaryIO, data: bytes) -> None:
    try:
        stream.write(data)
        stream.flush()
    except OSError:
        pass


def _silence_broken_pipe() -> None:
    # Python would complain again when flushing stdout at exit; point it at devnull.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
