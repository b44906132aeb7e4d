"""Notifications delivered the way SNS delivers to an HTTP subscription.

``--notify-success URL`` and ``--notify-error URL`` stand for an endpoint's
``AsyncInferenceConfig.OutputConfig.NotificationConfig.SuccessTopic``/``ErrorTopic`` with one
HTTP subscription each. Every event the workers append to ``notifications.jsonl`` is offered to
:meth:`Delivery.offer`, which only puts it on a bounded queue: a single delivery thread POSTs
it, so a slow or dead subscriber never holds up an inference.

The request is SNS's HTTP/S ``Notification``: headers ``x-amz-sns-message-type``,
``x-amz-sns-message-id``, ``x-amz-sns-topic-arn``, ``x-amz-sns-subscription-arn``,
``Content-Type: text/plain; charset=UTF-8``, and the JSON envelope (``Type``, ``MessageId``,
``TopicArn``, ``Message`` = the event as a string, ``Timestamp``, ``SignatureVersion``,
``Signature``, ``SigningCertURL``, ``UnsubscribeURL``). A 2xx answer is a delivery; anything
else is retried with the same MessageId, as SNS does, after 1, 2 and 4 s (SNS's default policy
is three retries 20 s apart; shorter here so tests and people do not wait).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import json
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from sagemaker_async.local.runtime.models import is_loopback
from sagemaker_async.local.runtime.notifications import iso_millis

SUCCESS = "success"
ERROR = "error"
RETRY_DELAYS = (1.0, 2.0, 4.0)  # after the first attempt: three retries, doubling
ATTEMPT_TIMEOUT = 15.0  # SNS gives an HTTP endpoint 15 s to answer
QUEUE_LIMIT = 10_000
USER_AGENT = "Amazon Simple Notification Service Agent (sagemaker-async serve)"
TOPIC_NAMES = {SUCCESS: "sagemaker-async-success", ERROR: "sagemaker-async-error"}


class SubscriptionError(ValueError):
    """A --notify-success/--notify-error URL that cannot be used."""


@dataclass
class Subscription:
    topic: str  # SUCCESS or ERROR
    url: str
    host: str
    port: int
    path: str
    topic_arn: str
    arn: str  # the subscription ARN: the topic ARN and a UUID


def parse_subscription(topic: str, url: str, region: str, account: str) -> Subscription:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise SubscriptionError(f"--notify-{topic} must be an http:// URL, not {url!r}")
    if not is_loopback(parts.hostname):
        raise SubscriptionError(
            f"--notify-{topic} must be on a loopback address, not {parts.hostname}"
        )
    try:
        port = parts.port or 80
    except ValueError:
        raise SubscriptionError(f"--notify-{topic} has a bad port: {url!r}") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    arn = f"arn:aws:sns:{region}:{account}:{TOPIC_NAMES[topic]}"
    return Subscription(topic, url, parts.hostname, port, path, arn, f"{arn}:{uuid.uuid4()}")


def string_to_sign(envelope: dict) -> str:
    """SNS's canonical form of a Notification: name and value lines, Subject only if set."""
    lines = []
    for name in ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"):
        if name in envelope:
            lines += [name, envelope[name]]
    return "\n".join(lines) + "\n"


def build_envelope(event: dict, *, topic_arn: str, subscription_arn: str, base_url: str) -> dict:
    """The JSON body SNS POSTs to an HTTP subscriber for one published message.

    ``Signature`` cannot be an SNS signature (that needs AWS's private key): it is the base64
    SHA-256 of the string SNS signs, so a consumer must skip signature checks locally.
    ``SigningCertURL`` and ``UnsubscribeURL`` point at ``serve`` (which answers 501 there),
    so nothing a consumer follows leaves the machine.
    """
    envelope = {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": topic_arn,
        "Message": json.dumps(event, separators=(",", ":")),
        "Timestamp": iso_millis(time.time()),
        "SignatureVersion": "2",
    }
    digest = hashlib.sha256(string_to_sign(envelope).encode("utf-8")).digest()
    envelope["Signature"] = base64.b64encode(digest).decode("ascii")
    envelope["SigningCertURL"] = f"{base_url}/_sns/SimpleNotificationService-local.pem"
    envelope["UnsubscribeURL"] = (
        f"{base_url}/_sns/?Action=Unsubscribe&SubscriptionArn={quote(subscription_arn, safe=':')}"
    )
    return envelope


@dataclass
class Counters:
    delivered: int = 0
    retried: int = 0
    failed: int = 0  # given up after every retry
    dropped: int = 0  # the queue was full: the event is only in notifications.jsonl
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)


@dataclass
class _Pending:
    subscription: Subscription
    envelope: dict
    attempts: int = 0
    due: float = 0.0


class Delivery:
    """One thread that POSTs events to the subscriptions of their topic, with retries."""

    def __init__(
        self,
        subscriptions: list[Subscription],
        *,
        base_url: str,
        log,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
    ):
        self.subscriptions = subscriptions
        self.base_url = base_url
        self.log = log
        self.retry_delays = retry_delays
        self.counters = Counters()
        self._queue: queue.Queue[dict | None] = queue.Queue(QUEUE_LIMIT)
        self._retries: list[_Pending] = []
        self._thread = threading.Thread(target=self._run, name="sns-delivery", daemon=True)
        self._stop = threading.Event()

    # -- called by the workers (through NotificationLog's listener) ------------------------
    def offer(self, event: dict) -> None:
        """Queue an event for delivery; never blocks."""
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.counters.add("dropped")
            self.log.write(
                f"ERROR notification for {event.get('inferenceId')} not delivered: the delivery "
                f"queue is full ({QUEUE_LIMIT}); it is in notifications.jsonl"
            )

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Deliver what is queued (first attempts only) for up to ``timeout`` s, then stop."""
        self._stop.set()
        with contextlib.suppress(queue.Full):  # busy with a full queue: it dies with the process
            self._queue.put(None, timeout=1.0)
        self._thread.join(timeout)

    def status(self) -> dict:
        with self.counters.lock:
            return {
                "Subscriptions": [
                    {"Topic": s.topic, "TopicArn": s.topic_arn, "Endpoint": s.url}
                    for s in self.subscriptions
                ],
                "Delivered": self.counters.delivered,
                "Retried": self.counters.retried,
                "Failed": self.counters.failed,
                "Dropped": self.counters.dropped,
                "Pending": self._queue.qsize() + len(self._retries),
            }

    # -- the delivery thread ---------------------------------------------------------------
    def _run(self) -> None:
        while True:
            timeout = None
            if self._retries:
                timeout = max(0.0, min(p.due for p in self._retries) - time.monotonic())
            try:
                event = self._queue.get(timeout=timeout)
            except queue.Empty:
                event = None
            else:
                if event is None:
                    if self._retries:
                        self.log.write(
                            f"WARNING {len(self._retries)} notification(s) waiting for a retry "
                            "were not delivered before serve stopped; they are in "
                            "notifications.jsonl"
                        )
                    return
                for pending in self._fan_out(event):
                    self._attempt(pending)
            now = time.monotonic()
            due = [p for p in self._retries if p.due <= now]
            self._retries = [p for p in self._retries if p.due > now]
            for pending in due:
                if self._stop.is_set():
                    break
                self._attempt(pending)

    def _fan_out(self, event: dict) -> list[_Pending]:
        topic = SUCCESS if event.get("invocationStatus") == "Completed" else ERROR
        out = []
        for subscription in self.subscriptions:
            if subscription.topic != topic:
                continue
            envelope = build_envelope(
                event,
                topic_arn=subscription.topic_arn,
                subscription_arn=subscription.arn,
                base_url=self.base_url,
            )
            out.append(_Pending(subscription, envelope))
        return out

    def _attempt(self, pending: _Pending) -> None:
        pending.attempts += 1
        error = send(pending.subscription, pending.envelope)
        if error is None:
            self.counters.add("delivered")
            return
        message_id = pending.envelope["MessageId"]
        if pending.attempts <= len(self.retry_delays) and not self._stop.is_set():
            delay = self.retry_delays[pending.attempts - 1]
            self.counters.add("retried")
            self.log.write(
                f"WARNING notification {message_id} to {pending.subscription.url}: {error}; "
                f"retry {pending.attempts} of {len(self.retry_delays)} in {delay:g} s"
            )
            pending.due = time.monotonic() + delay
            self._retries.append(pending)
            return
        self.counters.add("failed")
        self.log.write(
            f"ERROR notification {message_id} to {pending.subscription.url} not delivered "
            f"after {pending.attempts} attempt(s): {error}; it is in notifications.jsonl"
        )


def send(subscription: Subscription, envelope: dict) -> str | None:
    """POST one envelope; None on a 2xx answer, else what went wrong."""
    body = json.dumps(envelope, indent=2).encode("utf-8")
    headers = {
        "x-amz-sns-message-type": envelope["Type"],
        "x-amz-sns-message-id": envelope["MessageId"],
        "x-amz-sns-topic-arn": envelope["TopicArn"],
        "x-amz-sns-subscription-arn": subscription.arn,
        "Content-Type": "text/plain; charset=UTF-8",
        "User-Agent": USER_AGENT,
    }
    conn = http.client.HTTPConnection(subscription.host, subscription.port, timeout=ATTEMPT_TIMEOUT)
    try:
        conn.request("POST", subscription.path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
    except (OSError, http.client.HTTPException) as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()
    if 200 <= response.status < 300:
        return None
    return f"HTTP {response.status}"
