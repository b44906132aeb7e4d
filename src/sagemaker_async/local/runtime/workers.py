"""Workers: claim a request, fetch its input, call the model, write exactly one output or
failure object, publish the notification, mark the request done.

Each endpoint has ``--workers N`` model threads, woken through a condition variable on every
enqueue (no polling on the hot path): they claim and call the model, so at most N inferences
run at once, and hand the answer to IO_THREADS writer threads that write the object (fsynced)
meanwhile. Notifications and "done" marks are recorded in batches: one write and one
transaction for all the requests finished meanwhile. An I/O error writing an object is
retried, then the request is re-queued; it never stays in progress until a restart. One reaper
thread expires requests whose RequestTTLSeconds passed while they waited.
"""

from __future__ import annotations

import json
import queue as queue_module
import sys
import threading
import time
from collections.abc import Callable
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
from sagemaker_async.local.runtime.queue import (
    COMPLETED,
    EXPIRED,
    FAILED,
    Finished,
    Queue,
    Request,
)
from sagemaker_async.local.s3.store import S3Store, StoreError

# How long a claim is leased beyond the invocation timeout; only informative in one process.
LEASE_MARGIN_SECONDS = 60.0
# Threads that write outputs (shared by the endpoints) while the model threads call the model.
IO_THREADS = 8
# How long a worker retries writing an object (EMFILE, ENOSPC, …) before re-queueing it.
IO_RETRY_SECONDS = 30.0


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


@dataclass
class Outcome:
    """What a claimed request ends with: the object to write and the notification's status."""

    status: str  # notes.COMPLETED / FAILED / EXPIRED
    final: str  # the queue's outcome: COMPLETED / FAILED / EXPIRED
    body: bytes
    content_type: str
    reason: str | None = None  # the failure reason (notification, log, queue row)
    started: float = field(default_factory=time.monotonic)  # for the log: when the work began


def failure_document(code: str, message: str) -> bytes:
    """A failure object ``serve`` writes itself (no model answer to store): JSON, so that a
    client reading failures through a JSON deserializer (the SageMaker SDK's AsyncPredictor)
    gets the message, not a decoding error."""
    return json.dumps({"ErrorCode": code, "Message": message}).encode("utf-8")


def serve_failure(reason: str, status: str = notes.FAILED, final: str = FAILED) -> Outcome:
    code = reason.split(":", 1)[0]
    return Outcome(status, final, failure_document(code, reason), "application/json", reason)


class Batcher:
    """Hands everything submitted to ``flush`` in batches: the first caller flushes what is
    waiting, callers arriving meanwhile only add to the next batch and return at once."""

    def __init__(self, flush: Callable[[list[Any]], None]):
        self._flush = flush
        self._lock = threading.Lock()
        self._items: list[Any] = []
        self._busy = False

    def submit(self, item: Any) -> None:
        with self._lock:
            self._items.append(item)
            if self._busy:
                return
            self._busy = True
        while True:
            with self._lock:
                items, self._items = self._items, []
                if not items:
                    self._busy = False
                    return
            try:
                self._flush(items)
            except BaseException:
                with self._lock:
                    self._busy = False
                raise


class WorkerPool:
    """Per endpoint ``workers`` model threads (``--workers``, the endpoint's concurrency) claim
    requests and call the model; :data:`IO_THREADS` writer threads write the objects (fsync)
    and record the outcomes, so a model thread goes on to the next request at once."""

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
        self._model_threads: list[threading.Thread] = []
        self._outcomes: queue_module.Queue[tuple[Request, Outcome] | None] = queue_module.Queue(
            maxsize=2 * IO_THREADS
        )
        self._finisher = Batcher(self._record)

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
                self._model_threads.append(thread)
        for i in range(IO_THREADS):
            thread = threading.Thread(target=self._write, name=f"writer-{i}", daemon=True)
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
        for thread in self._model_threads:
            thread.join(max(0.0, end - time.monotonic()))
        for _ in range(IO_THREADS):  # after the outcomes already handed over
            try:
                self._outcomes.put(None, timeout=max(0.0, end - time.monotonic()))
            except queue_module.Full:
                break
        for thread in self._threads:
            thread.join(max(0.0, end - time.monotonic()))
        return not any(t.is_alive() for t in self._model_threads + self._threads)

    def wake(self, endpoint_name: str) -> None:
        endpoint = self.endpoints[endpoint_name]
        with endpoint.condition:
            endpoint.generation += 1
            endpoint.condition.notify()

    # -- the loops -------------------------------------------------------------------------
    def _work(self, endpoint: Endpoint) -> None:
        """A model thread: claim, call the model, hand the outcome to the writers."""
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
                outcome = self.infer(endpoint, request)
            except Exception as exc:  # never let one request kill the worker
                self.log.write(f"ERROR {endpoint.name} {request.inference_id}: {exc!r}")
                self._retry_later(request)
                continue
            if outcome is not None:
                self._outcomes.put((request, outcome))  # waits while the writers are behind

    def _write(self) -> None:
        """A writer thread: write the object, record the outcome; None ends it."""
        while (item := self._outcomes.get()) is not None:
            request, outcome = item
            try:
                self.complete(request, outcome)
            except Exception as exc:  # never let one request kill the writer
                self.log.write(f"ERROR {request.endpoint} {request.inference_id}: {exc!r}")
                self._retry_later(request)

    def _reap(self) -> None:
        while not self.stop_event.is_set():
            try:
                for request in self.queue.take_expired(time.time()):
                    self.expire(request)
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
    def infer(self, endpoint: Endpoint, request: Request) -> Outcome | None:
        """Run the model; None when there is nothing left to write (done or re-queued)."""
        if request.attempts > 1 and self._already_finished(request):
            return None
        if time.time() >= request.expires_at:
            return self._expiry(request)
        started = time.monotonic()
        deadline = started + request.timeout_seconds
        outcome = self._call(endpoint, request, deadline)
        if outcome is not None:
            outcome.started = started
        return outcome

    def _call(self, endpoint: Endpoint, request: Request, deadline: float) -> Outcome | None:
        """Read the input and call the model; None when stopping re-queued the request."""
        try:
            payload = self._read_input(request)
        except StoreError as exc:
            location = request.input_location or ""
            return serve_failure(
                f"ClientError: Could not read the input from {location}: {exc.code}."
            )
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
            return None
        except InvocationTimeout:
            return serve_failure(
                f"InvocationTimeout: Inference did not complete within "
                f"InvocationTimeoutSeconds ({request.timeout_seconds} s)."
            )
        except ModelError as exc:  # the model's own answer is the failure object, verbatim
            kind = "server" if exc.status >= 500 else "client"
            reason = (
                f"ClientError: Received {kind} error ({exc.status}) from model. "
                f"See the sagemaker-async serve log for more information."
            )
            return Outcome(notes.FAILED, FAILED, exc.body, exc.content_type, reason)
        except Exception as exc:
            return serve_failure(f"InternalFailure: {type(exc).__name__}: {exc}")
        return Outcome(notes.COMPLETED, COMPLETED, response.body, response.content_type)

    def complete(self, request: Request, outcome: Outcome) -> None:
        """Write the output or failure object (retrying I/O errors such as EMFILE or ENOSPC),
        then hand the notification and the queue update to the batched recorder."""
        completed = outcome.final == COMPLETED
        bucket = request.output_bucket if completed else request.failure_bucket
        key = request.output_key if completed else request.failure_key
        delay, give_up = 0.05, time.monotonic() + IO_RETRY_SECONDS
        while True:
            try:
                self.store.put_bytes(
                    bucket, key, outcome.body, {"content-type": outcome.content_type}
                )
                break
            except StoreError as exc:  # the bucket was deleted meanwhile, …: try again later
                self.log.write(
                    f"ERROR {request.endpoint} {request.inference_id}: cannot write "
                    f"{s3_uri(bucket, key)}: {exc.code}; re-queued"
                )
                self.stop_event.wait(1.0)
                self._release(request)
                return
            except OSError as exc:
                if self.stop_event.is_set() or time.monotonic() > give_up:
                    self.log.write(
                        f"ERROR {request.endpoint} {request.inference_id}: cannot write "
                        f"{s3_uri(bucket, key)}: {exc}; re-queued"
                    )
                    self._release(request)
                    return
                self.log.write(
                    f"WARNING {request.endpoint} {request.inference_id}: cannot write "
                    f"{s3_uri(bucket, key)}: {exc}; retrying in {delay:.2f} s"
                )
                self.stop_event.wait(delay)
                delay = min(delay * 2, 2.0)
        location = s3_uri(bucket, key)
        event = self._event(
            request, outcome.status, completed, location, outcome.content_type, outcome.reason
        )
        self._finisher.submit((event, Finished(request.seq, outcome.final, outcome.reason)))
        elapsed = (time.monotonic() - outcome.started) * 1000
        detail = f"{len(outcome.body)}B -> {location}"
        if not completed:
            detail += f": {outcome.reason}"
        self.log.write(
            f"{request.endpoint} {request.inference_id} {outcome.status} {elapsed:.1f}ms {detail}"
        )

    def _record(self, batch: list[tuple[dict, Finished]]) -> None:
        """Append the batch's notifications, then mark its requests done in one transaction.
        Retried on errors: an object exists for each, so each must end recorded."""
        delay = 0.05
        while True:
            try:
                self.notifications.append_many([event for event, _ in batch])
                break
            except OSError as exc:
                if self.stop_event.is_set():
                    return  # done at the next start: the object exists
                self.log.write(f"WARNING cannot append notifications: {exc}; retrying")
                self.stop_event.wait(delay)
                delay = min(delay * 2, 2.0)
        while True:
            try:
                self.queue.finish_many([finished for _, finished in batch])
                return
            except Exception as exc:
                if self.stop_event.is_set():
                    return
                self.log.write(f"WARNING cannot record finished requests: {exc}; retrying")
                self.stop_event.wait(delay)
                delay = min(delay * 2, 2.0)

    def _retry_later(self, request: Request) -> None:
        """After an unexpected error (an I/O error reading the input, …): back off, re-queue."""
        self.stop_event.wait(0.2)
        self._release(request)

    def _release(self, request: Request) -> None:
        try:
            self.queue.release(request.seq)
        except Exception as exc:  # the database itself fails: the next start re-queues it
            self.log.write(f"ERROR {request.endpoint} {request.inference_id}: {exc!r}")
        self.wake(request.endpoint)

    def _event(
        self,
        request: Request,
        status: str,
        completed: bool,
        location: str,
        content_type: str,
        reason: str | None,
    ) -> dict:
        """The request's SNS-shaped event: ``location`` is its output (with the output's
        ``content_type``) if ``completed``, else its failure object (with ``reason``)."""
        outcome: dict[str, str | None]
        if completed:
            outcome = {"output_location": location, "output_content_type": content_type}
        else:
            outcome = {"failure_location": location, "failure_reason": reason}
        return notes.build_event(
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

    def _read_input(self, request: Request) -> bytes:
        if request.body is not None:
            return bytes(request.body)
        bucket, key = parse_input_location(request.input_location or "")
        return self.store.read_bytes(bucket, key)[1]

    def _already_finished(self, request: Request) -> bool:
        """After a crash or an I/O error: the object may exist although the row was not marked
        done. Its notification is published (again: at least once) and the row marked done."""
        for completed, bucket, key in (
            (True, request.output_bucket, request.output_key),
            (False, request.failure_bucket, request.failure_key),
        ):
            try:
                info = self.store.head_object(bucket, key)
            except StoreError:
                continue
            content_type = info.headers.get("content-type", "application/octet-stream")
            if completed:
                status, finished = notes.COMPLETED, Finished(request.seq, COMPLETED)
            else:
                reason = "InternalFailure: recovered after restart (the reason was not kept)."
                status, finished = notes.FAILED, Finished(request.seq, FAILED, reason)
            event = self._event(
                request, status, completed, s3_uri(bucket, key), content_type, finished.reason
            )
            self._finisher.submit((event, finished))
            return True
        return False

    def _expiry(self, request: Request) -> Outcome:
        ttl = request.expires_at - request.received_at
        return serve_failure(
            f"RequestExpired: The request waited in the queue longer than its "
            f"RequestTTLSeconds ({ttl:.0f} s) and was not processed.",
            status=notes.EXPIRED,
            final=EXPIRED,
        )

    def expire(self, request: Request) -> None:
        if request.attempts >= 1 and self._already_finished(request):
            return
        self.complete(request, self._expiry(request))
