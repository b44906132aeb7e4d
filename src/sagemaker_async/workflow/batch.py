"""``sagemaker-runtime batch``: submit the requests of a JSON-lines file from one process.

One runtime client (and one S3 client) is shared by a pool of --concurrency threads, so
connections are reused; botocore's retries apply (standard mode, with more attempts for
throttling when none are configured). The main thread schedules: it keeps at most
--concurrency calls in flight (submissions first in file order, polls when due), writes one
record per request to stdout as each finishes (a JSON line, or --output's format, after
--query), and a summary to stderr at the end.

Resuming: each accepted line is appended to the state file (line number + sha256 of the
line, and the locations) as soon as its 202 arrives. A re-run skips those lines (waiting on
them again with --wait).

Ctrl-C is handled from the command's first step, so its outcome does not depend on when it
comes: submitting stops, the calls in flight finish and are recorded, every known result is
written (accepted but not yet collected ones as ``submitted``), then the summary, and the
exit code is 130. A second Ctrl-C stops waiting for the calls in flight: they are reported
as abandoned (one may have been accepted without being recorded).
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

from sagemaker_async.context import is_terminal
from sagemaker_async.errors import (
    CliError,
    ExitCode,
    ParamValidationError,
    from_exception,
)
from sagemaker_async.request.options import DEFAULT_CONCURRENCY
from sagemaker_async.workflow.invoke import parse_timeout, target_from_document
from sagemaker_async.workflow.payload import (
    DOCUMENT_NAMES,
    Payload,
    Placement,
    check_no_body,
    plan_placement,
    submit,
)
from sagemaker_async.workflow.progress import Progress
from sagemaker_async.workflow.waiter import (
    COMPLETED,
    FAILED,
    TIMED_OUT,
    Backoff,
    Target,
    check_once,
    format_failure,
)

if TYPE_CHECKING:
    from sagemaker_async.context import Streams
    from sagemaker_async.request.service_model import Operation
    from sagemaker_async.request.settings import Settings

SUBMITTED, SKIPPED, ERROR = "submitted", "skipped", "error"
MAX_CONCURRENCY = 256
THROTTLE_ATTEMPTS = 8  # total attempts per call when no max_attempts is configured
BATCH_BACKOFF = Backoff(initial=0.1, factor=1.5, cap=5.0)  # many requests: poll gently
TICK = 0.1  # seconds: how soon the scheduler notices Ctrl-C or a due poll
FAILURE_TEXT_LIMIT = 1000  # characters of a failure object in the output line
STATE_SUFFIX = ".state"
STDIN = "-"


@dataclass
class Request:
    """One non-blank line of the requests file, read and checked (no I/O beyond a stat)."""

    line: int
    digest: str
    params: dict[str, Any] = field(default_factory=dict)
    payload: Payload | None = None
    placement: Placement = field(default_factory=Placement)
    error: CliError | None = None


@dataclass
class Result:
    """What one output line says about a request."""

    line: int
    status: str
    inference_id: str | None = None
    output_location: str | None = None
    failure_location: str | None = None
    error: str | None = None
    code: int = ExitCode.OK
    skipped: bool = False

    def record(self) -> dict[str, Any]:
        """What the output line says, before --query."""
        document: dict[str, Any] = {"Line": self.line, "Status": self.status}
        for key, value in (
            ("InferenceId", self.inference_id),
            ("OutputLocation", self.output_location),
            ("FailureLocation", self.failure_location),
            ("Error", self.error),
        ):
            if value is not None:
                document[key] = value
        if self.skipped:
            document["Skipped"] = True
        return document

    @property
    def document(self) -> dict[str, Any]:
        return {"OutputLocation": self.output_location, "FailureLocation": self.failure_location}


def error_result(line: int, exc: BaseException) -> Result:
    err = from_exception(exc)
    return Result(line, ERROR, error=err.message.strip(), code=err.exit_code)


# -- reading the requests file ------------------------------------------------------------
def read_requests(
    path: str, op: Operation, binary_format: str, stdin: BinaryIO | None = None
) -> list[Request]:
    """The lines of ``path``, or of ``stdin`` for ``-`` (then Payload paths are relative to
    the current folder)."""
    if path == STDIN and stdin is not None:
        if is_terminal(stdin):
            raise ParamValidationError(
                "--requests -: stdin is a terminal; pipe the requests in, or give a file."
            )
        data = stdin.read()
        base = os.getcwd()
    else:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise ParamValidationError(f"Unable to read --requests {path}: {e}") from None
        base = os.path.dirname(os.path.abspath(path))
    requests = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        raw = raw.rstrip(b"\r")
        if raw.strip():
            requests.append(read_request(number, raw, base, op, binary_format))
    return requests


def read_request(number: int, raw: bytes, base: str, op: Operation, binary_format: str) -> Request:
    from sagemaker_async.request import client as C

    request = Request(number, hashlib.sha256(raw).hexdigest())
    try:
        document = json.loads(raw)
        if not isinstance(document, dict):
            raise ParamValidationError("Expected a JSON object (an invoke document).")
        payload_path = document.pop("Payload", None)
        request.params = C.decode_blobs(op, document, binary_format)
        if payload_path is not None:
            if not isinstance(payload_path, str) or payload_path in ("", "-"):
                raise ParamValidationError("Payload must be the path of a local file.")
            check_no_body(request.params, DOCUMENT_NAMES)
            path = os.path.join(base, os.path.expanduser(payload_path))
            request.payload = Payload.load(path, None, option="Payload")
            request.placement = plan_placement(request.params, request.payload, DOCUMENT_NAMES)
    except ValueError as e:  # json's errors
        request.error = ParamValidationError(f"Invalid JSON: {e}")
    except CliError as e:
        request.error = e
    return request


# -- the state file -----------------------------------------------------------------------
class StateFile:
    """Accepted lines, one JSON object each, appended and flushed as each 202 arrives."""

    def __init__(self, path: str):
        self.path = path
        self._lock = threading.Lock()
        self._file: TextIO | None = None

    def load(self) -> dict[int, dict[str, Any]]:
        """{line: record}; a torn last line (a crash mid-write) is ignored."""
        records: dict[int, dict[str, Any]] = {}
        try:
            with open(self.path, encoding="utf-8", errors="replace") as f:
                for text in f:
                    try:
                        record = json.loads(text)
                        records[int(record["Line"])] = record
                    except (ValueError, KeyError, TypeError):
                        continue
        except FileNotFoundError:
            pass
        except OSError as e:
            raise ParamValidationError(f"Unable to read --state {self.path}: {e}") from None
        return records

    def open(self) -> None:
        try:
            torn = self._ends_mid_line()
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - see close()
            if torn:
                self._file.write("\n")
        except OSError as e:
            raise ParamValidationError(f"Unable to write --state {self.path}: {e}") from None

    def _ends_mid_line(self) -> bool:
        try:
            with open(self.path, "rb") as f:
                f.seek(0, os.SEEK_END)
                if f.tell() == 0:
                    return False
                f.seek(-1, os.SEEK_END)
                return f.read(1) != b"\n"
        except FileNotFoundError:
            return False

    def record(self, request: Request, response: dict[str, Any]) -> None:
        record = {
            "Line": request.line,
            "Sha256": request.digest,
            "InferenceId": response.get("InferenceId"),
            "OutputLocation": response.get("OutputLocation"),
            "FailureLocation": response.get("FailureLocation"),
        }
        text = json.dumps(record) + "\n"
        with self._lock:
            assert self._file is not None
            self._file.write(text)
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


# -- Ctrl-C -------------------------------------------------------------------------------
class Interrupts:
    """Ctrl-C as flags the scheduler reads between steps (the handler only counts, so no
    step is cut in half): the first stops submitting, a second stops waiting for calls in
    flight. Before the first request, a second one also breaks out of a blocking step (a
    pipe that never ends): nothing has been sent, so nothing is lost."""

    def __init__(self) -> None:
        self.count = 0
        self.before_any_request = True

    @property
    def stopping(self) -> bool:
        return self.count >= 1

    @property
    def abandoning(self) -> bool:
        return self.count >= 2

    @contextlib.contextmanager
    def handled(self) -> Iterator[None]:
        """Count SIGINTs instead of raising KeyboardInterrupt, until the block ends."""

        def on_interrupt(signum: int, frame: Any) -> None:
            self.count += 1
            if self.count >= 2 and self.before_any_request:
                raise KeyboardInterrupt

        try:
            previous, installed = signal.signal(signal.SIGINT, on_interrupt), True
        except ValueError:  # not the main thread (an embedding): Ctrl-C is not ours to take
            previous, installed = None, False
        try:
            yield
        finally:
            # Once interrupted, the way out is short: more Ctrl-Cs are counted, not raised
            # (a KeyboardInterrupt now would add a stray line after the summary).
            if installed and not self.stopping:
                signal.signal(signal.SIGINT, previous)


# -- running ------------------------------------------------------------------------------
@dataclass
class Waiting:
    result: Result
    target: Target
    deadline: float
    delay: float


@dataclass
class Tally:
    requests: int = 0
    submitted: int = 0
    skipped: int = 0
    not_submitted: int = 0
    abandoned: int = 0  # submissions in flight when a second Ctrl-C came: outcome unknown
    interrupted: bool = False
    submit_time: float = 0.0  # seconds from the start to the last acceptance
    by_status: dict[str, int] = field(default_factory=dict)
    worst: int = ExitCode.OK

    def count(self, result: Result) -> None:
        self.by_status[result.status] = self.by_status.get(result.status, 0) + 1
        self.worst = max(self.worst, int(result.code))


RecordWriter = Callable[[dict[str, Any]], bytes]


class Batch:
    def __init__(
        self,
        op: Operation,
        runtime: Any,
        s3: Any,
        state: StateFile,
        concurrency: int,
        wait_timeout: float | None,  # None: do not wait
        stdout: BinaryIO,
        progress: Progress,
        interrupts: Interrupts,
        format_record: RecordWriter = lambda record: json.dumps(record).encode() + b"\n",
    ):
        self.op = op
        self.runtime = runtime
        self.s3 = s3
        self.state = state
        self.concurrency = concurrency
        self.wait_timeout = wait_timeout
        self.stdout = stdout
        self.progress = progress
        self._shares_terminal = progress.enabled and is_terminal(stdout)
        self.interrupts = interrupts
        self.format_record = format_record
        self.tally = Tally()
        self.started = time.monotonic()

    @property
    def stopping(self) -> bool:
        return self.interrupts.stopping

    # work done in the pool's threads
    def _submit(self, request: Request) -> Result:
        try:
            response = submit(
                self.runtime, self.op, request.params, request.payload, request.placement, self.s3
            )
        except Exception as e:
            return error_result(request.line, e)
        self.state.record(request, response)
        return Result(
            request.line,
            SUBMITTED,
            response.get("InferenceId"),
            response.get("OutputLocation"),
            response.get("FailureLocation"),
        )

    def _poll(self, waiting: Waiting) -> Any:
        try:
            return check_once(self.s3, waiting.target, fetch=False)
        except Exception as e:
            return e

    # the main thread
    def run(self, requests: list[Request], done: dict[int, dict[str, Any]]) -> Tally:
        self.interrupts.before_any_request = False
        self.tally.requests = len(requests)
        self.started = time.monotonic()
        polls: list[tuple[float, int, Waiting]] = []
        todo = []
        for request in requests:
            record = done.get(request.line)
            if record is not None and record.get("Sha256") == request.digest:
                self._resume(request, record, polls)
            else:
                todo.append(request)
        pending = iter(todo)
        exhausted = False
        in_flight: dict[Future, tuple[str, Any]] = {}
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="batch")
        try:
            while not self.interrupts.abandoning:
                now = time.monotonic()
                while (
                    not self.stopping
                    and polls
                    and polls[0][0] <= now
                    and len(in_flight) < self.concurrency
                ):
                    waiting = heapq.heappop(polls)[2]
                    in_flight[pool.submit(self._poll, waiting)] = ("poll", waiting)
                while not exhausted and not self.stopping and len(in_flight) < self.concurrency:
                    following = next(pending, None)
                    if following is None:
                        exhausted = True
                    elif following.error is not None:
                        self._finish(error_result(following.line, following.error))
                    else:
                        in_flight[pool.submit(self._submit, following)] = ("submit", following)
                if not in_flight and (self.stopping or (exhausted and not polls)):
                    break
                timeout = min(TICK, max(0.0, polls[0][0] - now)) if polls else TICK
                if not in_flight:  # only polls that are not due yet
                    time.sleep(timeout)
                    continue
                finished, _ = wait(list(in_flight), timeout=timeout, return_when=FIRST_COMPLETED)
                for future in finished:
                    kind, item = in_flight.pop(future)
                    if kind == "submit":
                        self._submitted(future.result(), polls)
                    else:
                        self._polled(item, future.result(), polls)
                self._show_progress()
        finally:
            # Abandoned (a second Ctrl-C): do not wait for the pool's threads.
            pool.shutdown(wait=not self.interrupts.abandoning, cancel_futures=True)
        for kind, item in in_flight.values():  # abandoned: polls were accepted, submits unknown
            if kind == "poll":
                heapq.heappush(polls, (0.0, item.result.line, item))
            else:
                self.tally.abandoned += 1
        for _, _, waiting in sorted(polls, key=lambda due: due[1]):
            self._finish(waiting.result)  # interrupted: accepted, not collected (yet)
        self.tally.not_submitted = sum(1 for _ in pending)
        self.tally.interrupted = self.stopping
        self.progress.clear()
        return self.tally

    def _resume(self, request: Request, record: dict[str, Any], polls: list) -> None:
        self.tally.skipped += 1
        result = Result(
            request.line,
            SKIPPED,
            record.get("InferenceId"),
            record.get("OutputLocation"),
            record.get("FailureLocation"),
            skipped=True,
        )
        if self.wait_timeout is None:
            self._finish(result)
        else:
            self._start_waiting(result, polls)

    def _submitted(self, result: Result, polls: list) -> None:
        if result.status != SUBMITTED:
            self._finish(result)
            return
        self.tally.submitted += 1
        self.tally.submit_time = time.monotonic() - self.started
        if self.wait_timeout is None:
            self._finish(result)
        else:
            self._start_waiting(result, polls)

    def _start_waiting(self, result: Result, polls: list) -> None:
        assert self.wait_timeout is not None
        try:
            target = target_from_document(result.document, f"line {result.line}")
        except CliError as e:
            self._finish(error_result(result.line, e))
            return
        now = time.monotonic()
        delay = BATCH_BACKOFF.initial
        waiting = Waiting(result, target, now + self.wait_timeout, delay)
        heapq.heappush(polls, (now + min(delay, self.wait_timeout), result.line, waiting))

    def _polled(self, waiting: Waiting, outcome: Any, polls: list) -> None:
        result = waiting.result
        if isinstance(outcome, BaseException):
            error = error_result(result.line, outcome)
            result.status, result.error, result.code = ERROR, error.error, error.code
        elif outcome is not None and outcome.status == COMPLETED:
            result.status = COMPLETED
        elif outcome is not None and outcome.status == FAILED:
            result.status, result.code = FAILED, ExitCode.INFERENCE_FAILED
            result.error = format_failure(outcome.failure, FAILURE_TEXT_LIMIT)
        else:
            now = time.monotonic()
            if now < waiting.deadline:
                waiting.delay = BATCH_BACKOFF.after(waiting.delay)
                due = now + min(waiting.delay, waiting.deadline - now)
                heapq.heappush(polls, (due, result.line, waiting))
                return
            result.status, result.code = TIMED_OUT, ExitCode.WAIT_TIMED_OUT
            result.error = f"Neither location exists after {self.wait_timeout:g} s."
        self._finish(result)

    def _finish(self, result: Result) -> None:
        self.tally.count(result)
        if self._shares_terminal:  # the result line takes the status line's row
            self.progress.clear()
        self.stdout.write(self.format_record(result.record()))
        self.stdout.flush()

    def _show_progress(self) -> None:
        if not self.progress.enabled:
            return
        t = self.tally
        counts = "".join(f", {n} {status}" for status, n in sorted(t.by_status.items()))
        self.progress.show(f"{t.submitted + t.skipped}/{t.requests} accepted{counts}")


def format_summary(tally: Tally, elapsed: float, waited: bool, state_path: str) -> str:
    skipped = f"{tally.skipped} skipped"
    if tally.skipped:
        skipped += f" (accepted in an earlier run, per {state_path})"
    rate = ""
    if tally.submitted and tally.submit_time > 0:
        rate = f" ({tally.submitted / tally.submit_time:.1f}/s)"
    lines = [
        f"batch: {tally.requests} requests: {tally.submitted} submitted{rate}, {skipped}, "
        f"{tally.by_status.get(ERROR, 0)} errors; {elapsed:.2f} s"
    ]
    if waited:
        lines.append(
            f"batch: {tally.by_status.get(COMPLETED, 0)} completed, "
            f"{tally.by_status.get(FAILED, 0)} failed, {tally.by_status.get(TIMED_OUT, 0)} timed out"
        )
    if tally.interrupted:
        uncollected = tally.by_status.get(SUBMITTED, 0) + tally.by_status.get(SKIPPED, 0)
        parts = [f"{tally.not_submitted} requests not submitted"]
        if waited:
            parts.append(f"{uncollected} accepted but not collected")
        if tally.abandoned:
            parts.append(
                f"{tally.abandoned} abandoned in flight (they may have been accepted without "
                "being recorded)"
            )
        lines.append(
            f"batch: interrupted; {', '.join(parts)}. Run the same command again to "
            + ("submit and collect the rest." if waited else "submit them.")
        )
    return "\n".join(lines) + "\n"


def parse_concurrency(value: str | None) -> int:
    if value is None:
        return DEFAULT_CONCURRENCY
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_CONCURRENCY:
        raise ParamValidationError(
            f"Bad value for --concurrency: {value!r} (expected an integer from 1 to "
            f"{MAX_CONCURRENCY})"
        )
    return number


def make_record_writer(settings: Settings, stdout: BinaryIO) -> RecordWriter:
    """One result record → the bytes written for it: --query applied, then --output's
    format, one record at a time (json: one compact line; yaml: one item of a YAML list)."""
    from sagemaker_async.render import format_output
    from sagemaker_async.render.writer import output_format, output_width, uses_color

    fmt = output_format(settings)
    query = settings.compiled_query
    tty = is_terminal(stdout)
    color = uses_color(settings, tty)

    def write_record(record: dict[str, Any]) -> bytes:
        data = query.search(record) if query is not None else record
        if fmt == "json":
            return json.dumps(data, ensure_ascii=False).encode("utf-8") + b"\n"
        width = output_width(tty)
        shown = "yaml-stream" if fmt == "yaml" else fmt
        return format_output(data, shown, title="Batch", color=color, width=width).encode()

    return write_record


def run_batch(values: dict[str, Any], settings: Settings, streams: Streams) -> int:
    interrupts = Interrupts()
    with interrupts.handled():  # first: a Ctrl-C at any later moment ends the same way
        code = _run_batch(values, settings, streams, interrupts)
    if interrupts.abandoning:  # threads may still be in calls: do not wait to join them
        streams.stderr.flush()
        os._exit(ExitCode.INTERRUPTED)
    return code


def _run_batch(
    values: dict[str, Any], settings: Settings, streams: Streams, interrupts: Interrupts
) -> int:
    from sagemaker_async.request import client as C
    from sagemaker_async.request.service_model import operation

    start = time.monotonic()
    concurrency = parse_concurrency(values.get("concurrency"))
    waits = bool(values.get("wait")) or values.get("wait_timeout") is not None
    timeout = parse_timeout(values.get("wait_timeout")) if waits else None
    path = values["requests"]
    if path == STDIN and not values.get("state"):
        raise ParamValidationError(
            "--requests - (stdin) needs --state PATH: the file that records accepted lines, "
            "so that running the command again submits none of them twice."
        )
    state = StateFile(values.get("state") or path + STATE_SUFFIX)
    format_record = make_record_writer(settings, streams.stdout)
    op = operation("InvokeEndpointAsync")
    requests = read_requests(path, op, settings.resolve_binary_format(), streams.stdin)
    done = state.load()
    state.open()  # before any client: an unwritable state file fails before any request
    try:
        runtime = C.make_client(settings, pool_size=concurrency, min_attempts=THROTTLE_ATTEMPTS)
        needs_s3 = waits or any(r.placement.target is not None for r in requests)
        s3 = C.make_s3_client(settings, pool_size=concurrency) if needs_s3 else None
        if settings.redactor is not None:
            C.register_credentials(settings)
        progress = Progress(streams.stderr)
        batch = Batch(
            op,
            runtime,
            s3,
            state,
            concurrency,
            timeout,
            streams.stdout,
            progress,
            interrupts,
            format_record,
        )
        tally = batch.run(requests, done)
    finally:
        state.close()
    streams.stderr.write(format_summary(tally, time.monotonic() - start, waits, state.path))
    streams.stderr.flush()
    if interrupts.stopping:
        return ExitCode.INTERRUPTED
    return tally.worst
