"""A fork server for the input fuzz test: runs many command lines through the real entry
point quickly.

It imports the CLI and botocore's client machinery once, then for each JSON line on stdin
(``{"args": [...], "env": {...}}``) forks a child that sets the environment, points fds 1
and 2 at temporary files and calls ``sagemaker_async.cli.main.main``; the parent waits (with
a deadline) and answers one JSON line: ``{"rc", "stdout", "stderr", "timed_out"}`` (outputs
as text, undecodable bytes escaped). The child's address space is capped, so a runaway
allocation shows up as a failure instead of swapping the machine. It is its own process
(started by the test) because forking a multi-threaded pytest process is unsafe.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import sys
import tempfile
import time

import botocore.session  # noqa: F401 - loaded once here, shared by every child
import jmespath  # noqa: F401
import yaml  # noqa: F401

from sagemaker_async.cli import main as entry_point
from sagemaker_async.request import client, params, settings, yamlio  # noqa: F401

CASE_DEADLINE = 30.0  # seconds: far above any case; a hang is a finding
MEMORY_LIMIT = 1 << 30  # bytes of address space per child


def run_child(args: list[str], env: dict[str, str], out_fd: int, err_fd: int) -> None:
    os.environ.clear()
    os.environ.update(env)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # stdin is the server's list of cases: never the child's
    os.dup2(out_fd, 1)
    os.dup2(err_fd, 2)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    code = 0
    try:
        entry_point.main(args)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # an escape: show it as the test would see it from a process
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
    os._exit(code)


def wait(pid: int) -> tuple[int, bool]:
    deadline = time.monotonic() + CASE_DEADLINE
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), False
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return -9, True
        time.sleep(0.002)


def warm_up() -> None:
    """Run a few lines in this process first, output discarded, so the caches every child
    needs (service model, botocore's data, the click tree) are filled once, before forking."""
    saved = os.dup(1), os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        for args in (
            ["sagemaker-runtime", "invoke-endpoint-async", "--generate-cli-skeleton"],
            ["sagemaker-runtime", "invoke-endpoint-async", "--endpoint-name"],
            [
                "sagemaker-runtime",
                "invoke-endpoint-async",
                "--endpoint-name",
                "e",
                "--region",
                "us-east-1",
                "--generate-cli-skeleton",
                "output",
            ],
        ):
            with contextlib.suppress(SystemExit):
                entry_point.main(args)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(devnull)
        import gc

        gc.unfreeze()  # main() freezes the heap before exiting; children collect normally


def main() -> None:
    warm_up()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        serve(out, err)


def serve(out, err) -> None:
    for line in sys.stdin:
        case = json.loads(line)
        for f in (out, err):
            f.seek(0)
            f.truncate()
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            run_child(case["args"], case["env"], out.fileno(), err.fileno())
        rc, timed_out = wait(pid)
        answer = {"rc": rc, "timed_out": timed_out}
        for name, f in (("stdout", out), ("stderr", err)):
            f.seek(0)
            answer[name] = f.read().decode("utf-8", "backslashreplace")
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
