"""Workers: claim a request, fetch its input, call the model, write exactly one output or
failure object, publish the notification, mark the request done.

Each endpoint has its own ``--workers N`` threads, woken through a condition variable on every
enqueue (no polling on the hot path), and one reaper thread expires requests whose
RequestTTLSeconds passed while they waited.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from sagemaker_async.local.runtime import notifications as notes
from sagemaker_async.local.runtime.models import (
    InferenceRequest,
    Interrupted,
    InvocationTimeout,
    Model,
    ModelError,
)
from sagemaker_async.local.runtime.queue import COMPLETED, EXPIRED, FAILED, Queue, Request
from sagemaker_async.local.s3.store import S3Store, StoreError

# How long a claim is leased beyond the invocation timeout; only informative in one process.
LEASE_MARGIN_SECONDS = 60.0


@dataclass
class Endpoint:
    name: str
    model_spec: str
    model: Model
    output_bucket: str
    output_prefix: str  # no leading or trailing slash
    failure_bucket: str
    failure_prefix: str
    condition: threading.Condition = field(default_factory=threading.Condition)
    generation: int = 0


def s3_uri(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def parse_input_location(location: str) -> tuple[str, str]:
    """``s3://bucket/key`` or an S3 ``https://`` URL (virtual-host or path style)."""
    parts = urlsplit(location)
    if parts.scheme == "s3":
        return parts.netloc, location.split("/", 3)[3] if location.count("/") >= 3 else ""
    host = (parts.hostname or "").lower()
    path = unquote(parts.path.lstrip("/"))
    if ".s3." in host or ".s3-" in host:
        return host.split(".s3", 1)[0], path
    bucket, _, key = path.partition("/")
    return bucket, key


class Log:
    """One line per inference on stderr."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self._lock = threading.Lock()

    def write(self, message: str) -> None:
        line = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z " + message + "\n"
        with self._lock:
            try:
                self.stream.write(line)
                self.stream.flush()
            except (OSError, ValueError):
                pass


class WorkerPool:
    def __init__(
        self,
        *,
        queue: Queue,
        store: S3Store,
        notifications: notes.NotificationLog,
        endpoints: dict[str, Endpoint],
        workers: int,
        region: str,
        log: Log,
    ):
        self.queue = queue
        self.store = store
        self.notifications = notifications
        self.endpoints = endpoints
        self.workers = workers
        self.region = region
        self.log = log
        self.stop_event = threading.Event()
        self._threads: list[threading.Thread] = []
        self._reaper_wake = threading.Condition()

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> None:
        for endpoint in self.endpoints.values():
            for i in range(self.workers):
                thread = threading.Thread(
                    target=self._work,
                    args=(endpoint,),
                    name=f"worker-{endpoint.name}-{i}",
                    daemon=True,
                )
                thread.start()
                self._threads.append(thread)
        reaper = threading.Thread(target=self._reap, name="reaper", daemon=True)
        reaper.start()
        self._threads.append(reaper)

    def stop(self, grace: float) -> bool:
        """Stop taking work; wait up to ``grace`` s for in-flight work. True if all finished."""
        self.stop_event.set()
        for endpoint in self.endpoints.values():
            with endpoint.condition:
                endpoint.condition.notify_all()
        with self._reaper_wake:
            self._reaper_wake.notify_all()
        end = time.monotonic() + grace
        for thread in self._threads:
            thread.join(max(0.0, end - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)

    def wake(self, endpoint_name: str) -> None:
        endpoint = self.endpoints[endpoint_name]
        with endpoint.condition:
            endpoint.generation += 1
            endpoint.condition.notify()
        with self._reaper_wake:
            self._reaper_wake.notify()

    # -- the loops -------------------------------------------------------------------------
    def _work(self, endpoint: Endpoint) -> None:
        while not self.stop_event.is_set():
            generation = endpoint.generation
            try:
                request = self.queue.claim(endpoint.name, LEASE_MARGIN_SECONDS + 3600)
            except Exception as exc:  # the database went away during shutdown
                if self.stop_event.is_set():
                    return
                self.log.write(f"ERROR worker {endpoint.name}: {exc}")
                self.stop_event.wait(1.0)
                continue
            if request is None:
                with endpoint.condition:
                    if endpoint.generation == generation and not self.stop_event.is_set():
                        endpoint.condition.wait(5.0)
                continue
            try:
                self.process(endpoint, request)
            except Exception as exc:  # never let one request kill the worker
                self.log.write(f"ERROR {endpoint.name} {request.inference_id}: {exc!r}")

    def _reap(self) -> None:
        while not self.stop_event.is_set():
            try:
                for request in self.queue.take_expired(time.time()):
                    self.expire(self.endpoints.get(request.endpoint), request)
                next_expiry = self.queue.next_expiry()
            except Exception as exc:
                if self.stop_event.is_set():
                    return
                self.log.write(f"ERROR reaper: {exc!r}")
                next_expiry = None
            delay = 1.0 if next_expiry is None else next_expiry - time.time()
            with self._reaper_wake:
                if not self.stop_event.is_set():
                    self._reaper_wake.wait(min(max(delay, 0.01), 1.0))

    # -- one request -----------------------------------------------------------------------
    def process(self, endpoint: Endpoint, request: Request) -> None:
        if request.attempts > 1 and self._already_finished(request):
            return
        if time.time() >= request.expires_at:
            self.expire(endpoint, request)
            return
        started = time.monotonic()
        deadline = started + request.timeout_seconds
        try:
            payload = self._read_input(request)
        except StoreError as exc:
            location = request.input_location or ""
            reason = f"ClientError: Could not read the input from {location}: {exc.code}."
            self._fail(request, reason, reason.encode(), "text/plain", started)
            return
        inference = InferenceRequest(
            body=payload,
            content_type=request.content_type,
            accept=request.accept,
            custom_attributes=request.custom_attributes,
            inference_id=request.inference_id,
        )
        try:
            response = endpoint.model(inference, deadline, self.stop_event)
        except Interrupted:
            self.queue.release(request.seq)
            self.log.write(f"{endpoint.name} {request.inference_id} Requeued (stopping)")
            return
        except InvocationTimeout:
            reason = (
                f"InvocationTimeout: Inference did not complete within "
                f"InvocationTimeoutSeconds ({request.timeout_seconds} s)."
            )
            self._fail(request, reason, reason.encode(), "text/plain", started)
            return
        except ModelError as exc:
            kind = "server" if exc.status >= 500 else "client"
            reason = (
                f"ClientError: Received {kind} error ({exc.status}) from model. "
                f"See the sagemaker-async serve log for more information."
            )
            self._fail(request, reason, exc.body, exc.content_type, started)
            return
        except Exception as exc:
            reason = f"InternalFailure: {type(exc).__name__}: {exc}"
            self._fail(request, reason, reason.encode(), "text/plain", started)
            return
        self.store.put_bytes(
            request.output_bucket,
            request.output_key,
            response.body,
            {"content-type": response.content_type},
        )
        output_location = s3_uri(request.output_bucket, request.output_key)
        self._notify(
            request,
            notes.COMPLETED,
            output_location=output_location,
            output_content_type=response.content_type,
        )
        self.queue.finish(request.seq, COMPLETED)
        elapsed = (time.monotonic() - started) * 1000
        self.log.write(
            f"{request.endpoint} {request.inference_id} Completed {elapsed:.1f}ms "
            f"{len(response.body)}B -> {output_location}"
        )

    def _notify(self, request: Request, status: str, **outcome: Any) -> None:
        """Append the request's SNS-shaped event; ``outcome`` holds the locations, reason."""
        self.notifications.append(
            notes.build_event(
                region=self.region,
                status=status,
                endpoint=request.endpoint,
                inference_id=request.inference_id,
                received_at=request.received_at,
                input_location=request.input_location,
                content_type=request.content_type,
                accept=request.accept,
                **outcome,
            )
        )

    def _read_input(self, request: Request) -> bytes:
        if request.body is not None:
            return bytes(request.body)
        bucket, key = parse_input_location(request.input_location or "")
        return self.store.read_bytes(bucket, key)[1]

    def _already_finished(self, request: Request) -> bool:
        """After a crash: the object may exist although the row was not marked done."""
        if self.store.exists(request.output_bucket, request.output_key):
            self.queue.finish(request.seq, COMPLETED)
            return True
        if self.store.exists(request.failure_bucket, request.failure_key):
            self.queue.finish(request.seq, FAILED, "recovered after restart")
            return True
        return False

    def _fail(
        self,
        request: Request,
        reason: str,
        body: bytes,
        content_type: str,
        started: float,
        status: str = notes.FAILED,
        outcome: str = FAILED,
    ) -> None:
        self.store.put_bytes(
            request.failure_bucket, request.failure_key, body, {"content-type": content_type}
        )
        failure_location = s3_uri(request.failure_bucket, request.failure_key)
        self._notify(request, status, failure_location=failure_location, failure_reason=reason)
        self.queue.finish(request.seq, outcome, reason)
        elapsed = (time.monotonic() - started) * 1000
        self.log.write(
            f"{request.endpoint} {request.inference_id} {status} {elapsed:.1f}ms "
            f"-> {failure_location}: {reason}"
        )

    def expire(self, endpoint: Endpoint | None, request: Request) -> None:
        if request.attempts >= 1 and self._already_finished(request):
            return
        ttl = request.expires_at - request.received_at
        reason = (
            f"RequestExpired: The request waited in the queue longer than its "
            f"RequestTTLSeconds ({ttl:.0f} s) and was not processed."
        )
        self._fail(
            request,
            reason,
            reason.encode(),
            "text/plain",
            time.monotonic(),
            status=notes.EXPIRED,
            outcome=EXPIRED,
        )
