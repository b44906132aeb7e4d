"""``invoke-endpoint-async`` with --payload/--wait/--wait-timeout/--download, and the ``wait``
command, which collects a result later from its locations or the invoke's JSON on stdin.

Output rules: waiting without --download puts the result's bytes, and nothing else, on
stdout; with --download the result goes to that file and stdout gets the invoke response as
usual (--output/--query apply). A failed inference exits 3 with the failure object's content
on stderr; a timeout exits 4 with one line naming both locations.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from sagemaker_async.context import is_terminal
from sagemaker_async.errors import ExitCode, ParamValidationError
from sagemaker_async.request.options import DEFAULT_WAIT_TIMEOUT
from sagemaker_async.workflow.locations import parse_object_uri
from sagemaker_async.workflow.payload import (
    Payload,
    Placement,
    check_no_body,
    plan_placement,
    submit,
)
from sagemaker_async.workflow.progress import Progress
from sagemaker_async.workflow.waiter import (
    Target,
    check_destination,
    raise_unless_completed,
    wait_for,
    write_result,
)

if TYPE_CHECKING:
    from sagemaker_async.context import Streams
    from sagemaker_async.request.service_model import Operation
    from sagemaker_async.request.settings import Settings

STDOUT = "-"


def parse_timeout(value: str | None, option: str = "--wait-timeout") -> float:
    if value is None:
        return float(DEFAULT_WAIT_TIMEOUT)
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise ParamValidationError(
            f"Bad value for {option}: {value!r} (expected a number of seconds, 0 or more)"
        )
    return seconds


def parse_destination(value: str | None) -> str | None:
    """--download PATH (checked now), or None for stdout (no --download, or ``-``)."""
    if value is None or value == STDOUT:
        return None
    check_destination(value)
    return value


@dataclass
class InvokeWorkflow:
    """What the workflow options asked of one invoke, checked before any network I/O."""

    wait: bool
    timeout: float
    destination: str | None  # None: stdout
    payload: Payload | None = None
    placement: Placement = field(default_factory=Placement)
    _s3: Any = None

    @classmethod
    def from_values(
        cls, values: dict[str, Any], params: dict[str, Any], stdin: BinaryIO
    ) -> InvokeWorkflow:
        flow = cls(
            # --wait-timeout and --download only make sense when waiting: they imply it
            wait=bool(values.get("wait"))
            or values.get("wait_timeout") is not None
            or values.get("download") is not None,
            timeout=parse_timeout(values.get("wait_timeout")),
            destination=parse_destination(values.get("download")),
        )
        if values.get("payload") is not None:
            check_no_body(params)  # before stdin is read
            flow.payload = Payload.load(values["payload"], stdin)
            flow.placement = plan_placement(params, flow.payload)
        return flow

    @property
    def prints_response(self) -> bool:
        """Whether stdout gets the invoke response (else it is kept for the result)."""
        return not self.wait or self.destination is not None

    def submit(
        self, runtime: Any, op: Operation, params: dict[str, Any], settings: Settings
    ) -> dict[str, Any]:
        from sagemaker_async.request import client as C

        if self.wait or self.placement.target is not None:
            self._s3 = C.make_s3_client(settings)
        if settings.redactor is not None and self.payload and self.placement.target is None:
            settings.redactor.add(self.payload.read())  # Body is a sensitive member
        return submit(runtime, op, params, self.payload, self.placement, self._s3)

    def collect(self, response: dict[str, Any], streams: Streams) -> int:
        if not self.wait:
            return ExitCode.OK
        target = target_from_document(response, "the invoke response")
        return wait_and_write(self._s3, target, self.timeout, self.destination, streams)


def run_wait(values: dict[str, Any], settings: Settings, streams: Streams) -> int:
    """``sagemaker-runtime wait``: locations from the options, else the JSON on stdin."""
    from sagemaker_async.request import client as C

    timeout = parse_timeout(values.get("wait_timeout"))
    destination = parse_destination(values.get("download"))
    output, failure = values.get("output_location"), values.get("failure_location")
    if output is not None or failure is not None:
        target = Target(
            parse_object_uri(output, "--output-location") if output is not None else None,
            parse_object_uri(failure, "--failure-location") if failure is not None else None,
        )
    else:
        target = target_from_document(read_invoke_json(streams.stdin), "stdin")
    s3 = C.make_s3_client(settings)
    if settings.redactor is not None:
        C.register_credentials(settings)
    return wait_and_write(s3, target, timeout, destination, streams)


def read_invoke_json(stdin: BinaryIO) -> dict[str, Any]:
    hint = (
        "give --output-location and --failure-location, or pipe in the JSON that "
        "invoke-endpoint-async printed"
    )
    if is_terminal(stdin):
        raise ParamValidationError(f"No locations to wait for: {hint}.")
    text = stdin.read().decode("utf-8", "replace")
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        shown = text.strip()[:80] or "nothing"
        raise ParamValidationError(f"Expected JSON on stdin ({hint}); got {shown!r}")
    return document


def target_from_document(document: dict[str, Any], source: str) -> Target:
    """OutputLocation and FailureLocation (either may be missing, not both)."""
    output, failure = document.get("OutputLocation"), document.get("FailureLocation")
    if not isinstance(output, str) and not isinstance(failure, str):
        raise ParamValidationError(f"No OutputLocation or FailureLocation in {source}.")
    return Target(
        parse_object_uri(output, "OutputLocation") if isinstance(output, str) else None,
        parse_object_uri(failure, "FailureLocation") if isinstance(failure, str) else None,
    )


def wait_and_write(
    s3: Any, target: Target, timeout: float, destination: str | None, streams: Streams
) -> int:
    progress = Progress(streams.stderr)
    first = target.uris[0]
    try:
        outcome = wait_for(
            s3,
            target,
            timeout,
            on_tick=lambda elapsed: progress.show(f"Waiting for {first}: {elapsed:.0f} s"),
        )
    finally:
        progress.clear()
    raise_unless_completed(outcome, target)
    write_result(outcome.body, destination, streams.stdout)
    return ExitCode.OK
