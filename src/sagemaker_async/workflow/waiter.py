"""Waiting for one inference: poll its output and failure locations together, with backoff
and a bounded total time; then write the result (stdout or an atomically replaced file).

Exactly one of the two objects eventually appears, so each poll asks for the output first
and then the failure. A 404 means "not yet"; any other error (403, no bucket, connection)
is raised, so a wrong location fails fast instead of waiting for the timeout.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from sagemaker_async.errors import InferenceFailedError, ParamValidationError, WaitTimeoutError
from sagemaker_async.workflow.locations import S3Location

COMPLETED, FAILED, TIMED_OUT = "completed", "failed", "timed-out"
CHUNK = 1 << 16
FAILURE_TEXT_LIMIT = 1 << 16  # bytes of a failure object shown on stderr
_MISSING = ("NoSuchKey", "404", "NotFound")


@dataclass(frozen=True)
class Backoff:
    """Poll intervals: ``initial``, then ×``factor`` up to ``cap`` (seconds)."""

    initial: float = 0.01
    factor: float = 1.5
    cap: float = 1.0

    def after(self, delay: float) -> float:
        return min(delay * self.factor, self.cap)

    def delays(self) -> Iterator[float]:
        delay = self.initial
        while True:
            yield delay
            delay = self.after(delay)


@dataclass(frozen=True)
class Target:
    """The two places one inference can end: either may be unknown (None), not both."""

    output: S3Location | None
    failure: S3Location | None

    @property
    def uris(self) -> list[str]:
        return [loc.uri for loc in (self.output, self.failure) if loc is not None]

    def describe_missing(self) -> str:
        uris = self.uris
        if len(uris) == 1:
            return f"{uris[0]} does not exist"
        return f"neither {uris[0]} nor {uris[1]} exists"


@dataclass
class Outcome:
    status: str  # COMPLETED, FAILED or TIMED_OUT
    body: Any = None  # COMPLETED and fetched: GetObject's streaming body
    failure: bytes = b""  # FAILED: the failure object's content
    waited: float = 0.0


def check_once(s3: Any, target: Target, fetch: bool = True) -> Outcome | None:
    """One look at both locations; None while neither exists. ``fetch``: GET the output
    (its body is returned, unread) rather than HEAD it."""
    if target.output is not None:
        found = _get(s3, target.output) if fetch else _head(s3, target.output)
        if found is not None:
            return Outcome(COMPLETED, body=found.get("Body"))
    if target.failure is not None:
        found = _get(s3, target.failure)
        if found is not None:
            return Outcome(FAILED, failure=found["Body"].read())
    return None


def wait_for(
    s3: Any,
    target: Target,
    timeout: float,
    backoff: Backoff = Backoff(),
    on_tick: Callable[[float], None] | None = None,
) -> Outcome:
    """Poll until an object appears or ``timeout`` seconds have passed (one last look is
    taken at the deadline). ``on_tick(elapsed)`` is called between polls."""
    start = time.monotonic()
    deadline = start + timeout
    delays = backoff.delays()
    while True:
        outcome = check_once(s3, target)
        now = time.monotonic()
        if outcome is not None:
            outcome.waited = now - start
            return outcome
        if now >= deadline:
            return Outcome(TIMED_OUT, waited=now - start)
        if on_tick is not None:
            on_tick(now - start)
        time.sleep(min(next(delays), deadline - now))


def raise_unless_completed(outcome: Outcome, target: Target) -> None:
    """A failed inference or a timeout as the error (exit 3 or 4) the user sees."""
    if outcome.status == FAILED:
        raise InferenceFailedError(format_failure(outcome.failure))
    if outcome.status == TIMED_OUT:
        raise WaitTimeoutError(
            f"Timed out after {outcome.waited:.1f} s: {target.describe_missing()} yet."
        )


def format_failure(content: bytes, limit: int = FAILURE_TEXT_LIMIT) -> str:
    text = content[:limit].decode("utf-8", "replace")
    if len(content) > limit:
        text += f"… ({len(content) - limit:,} more bytes)"
    return text


def write_result(body: Any, destination: str | None, stdout: BinaryIO) -> None:
    """The output object's bytes to ``destination`` (atomically), or to stdout when None."""
    chunks = body.iter_chunks(CHUNK)
    if destination is None:
        for chunk in chunks:
            stdout.write(chunk)
        stdout.flush()
    elif _is_special(destination):  # /dev/null, a fifo: written into, never replaced
        with open(destination, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
    else:
        write_atomically(destination, chunks)


def check_destination(path: str, option: str = "--download") -> None:
    """Fail before any request is sent when the file could not be written: a folder, a
    missing or read-only folder to put it in."""
    if os.path.isdir(path):
        raise ParamValidationError(f"{option} {path}: is a directory")
    if path.endswith(os.sep):
        raise ParamValidationError(f"{option} {path}: expected a file name, not a folder")
    if _is_special(path):
        return
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise ParamValidationError(f"{option} {path}: {directory} is not a directory")
    if not os.path.isdir(directory):
        raise ParamValidationError(f"{option} {path}: directory {directory} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ParamValidationError(f"{option} {path}: directory {directory} is not writable")


def _is_special(path: str) -> bool:
    """An existing file that is not a regular one (a device, a fifo)."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def write_atomically(path: str, chunks: Iterable[bytes]) -> None:
    """Readers see the old file or the whole new one; an interruption leaves no part behind."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
        os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _get(s3: Any, location: S3Location) -> dict[str, Any] | None:
    try:
        return s3.get_object(Bucket=location.bucket, Key=location.key)
    except Exception as e:
        if _is_missing(e):
            return None
        raise


def _head(s3: Any, location: S3Location) -> dict[str, Any] | None:
    try:
        return s3.head_object(Bucket=location.bucket, Key=location.key)
    except Exception as e:
        if _is_missing(e):
            return None
        raise


def _is_missing(exc: Exception) -> bool:
    response = getattr(exc, "response", None)  # botocore's ClientError
    return isinstance(response, dict) and response.get("Error", {}).get("Code") in _MISSING
