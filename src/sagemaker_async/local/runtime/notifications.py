"""Success/error events in the SNS message format, one JSON object per line in
``DATA_DIR/notifications.jsonl``. A line is written after the output or failure object exists
and before the request is marked done (workers append the events of several requests in one
write), so after a crash an event may repeat (as SNS's at-least-once delivery allows) but is
never lost: a request found with its object but not marked done is published again.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

COMPLETED = "Completed"
FAILED = "Failed"
EXPIRED = "Expired"

INLINE_RESPONSE_LIMIT = 128 * 1024


def iso_millis(timestamp: float) -> str:
    """UTC with milliseconds (``2026-01-02T03:04:05.678Z``): the times in SageMaker's events
    and in SNS envelopes."""
    millis = int((timestamp % 1) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(timestamp)) + f".{millis:03d}Z"


def build_event(
    *,
    region: str,
    status: str,
    endpoint: str,
    inference_id: str,
    received_at: float,
    input_location: str | None,
    content_type: str | None,
    accept: str | None,
    output_location: str | None = None,
    output_content_type: str | None = None,
    failure_location: str | None = None,
    failure_reason: str | None = None,
) -> dict:
    """The SNS message body SageMaker publishes for one invocation."""
    request_parameters: dict[str, str] = {"endpointName": endpoint}
    if accept:
        request_parameters["accept"] = accept
    if content_type:
        request_parameters["contentType"] = content_type
    if input_location:
        request_parameters["inputLocation"] = input_location
    response_parameters: dict[str, str] = {}
    if output_content_type:
        response_parameters["contentType"] = output_content_type
    if output_location:
        response_parameters["outputLocation"] = output_location
    if failure_location:
        response_parameters["failureLocation"] = failure_location
    event = {
        "awsRegion": region,
        "eventTime": iso_millis(time.time()),
        "receivedTime": iso_millis(received_at),
        "invocationStatus": status,
        "requestParameters": request_parameters,
        "responseParameters": response_parameters,
        "inferenceId": inference_id,
        "eventVersion": "1.0",
        "eventSource": "aws:sagemaker",
        "eventName": "InferenceResult",
    }
    if failure_reason:
        event["failureReason"] = failure_reason
    return event


class NotificationLog:
    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._fh = open(path, "ab")  # noqa: SIM115 - closed by close()
        # Called with each event after it is written (SNS-style delivery, the dashboard);
        # each must return at once: it runs on a worker thread.
        self.listeners: list[Callable[[dict], None]] = []

    def append(self, event: dict) -> None:
        """Publish one event."""
        self.append_many([event])

    def append_many(self, events: list[dict]) -> None:
        """Publish several events with one write (no fsync: the objects are the durable
        record, and a request that was not marked done is published again after a crash)."""
        data = b"".join(
            json.dumps(event, separators=(",", ":")).encode("utf-8") + b"\n" for event in events
        )
        with self._lock:
            self._fh.write(data)
            self._fh.flush()
        for event in events:
            for listener in self.listeners:
                listener(event)

    def sync(self) -> None:
        with self._lock:
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        with self._lock:
            self._fh.close()
