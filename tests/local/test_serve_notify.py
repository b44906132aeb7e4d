"""``--notify-success``/``--notify-error``: every event is POSTed to loopback subscribers the way
SNS delivers a Notification to an HTTP/S subscription, with retries on failure.

The expected format is SNS's documented one ("HTTP/HTTPS notification JSON format" and
"HTTP/HTTPS headers" in the Amazon SNS developer guide): headers ``x-amz-sns-message-type``,
``x-amz-sns-message-id``, ``x-amz-sns-topic-arn``, ``x-amz-sns-subscription-arn``,
``Content-Type: text/plain; charset=UTF-8``; a JSON body with ``Type``, ``MessageId``,
``TopicArn``, ``Subject`` (only when one was published), ``Message``, ``Timestamp``,
``SignatureVersion``, ``Signature``, ``SigningCertURL``, ``UnsubscribeURL``.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import CREDENTIALS, REGION, run_serve
from serving import wait_until

ISO_MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ENVELOPE_KEYS = {
    "Type",
    "MessageId",
    "TopicArn",
    "Message",
    "Timestamp",
    "SignatureVersion",
    "Signature",
    "SigningCertURL",
    "UnsubscribeURL",
}


class Subscriber:
    """A loopback HTTP server recording POSTs; answers ``fail_first`` of them with 500."""

    def __init__(self, fail_first: int = 0, hang: bool = False):
        self.received: list[dict] = []
        self.fail_first = fail_first
        self.hang = hang  # hold every answer until close()
        self.released = threading.Event()
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # noqa: A002
                pass

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with outer.lock:
                    outer.received.append(
                        {
                            "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": body,
                        }
                    )
                    status = 500 if len(outer.received) <= outer.fail_first else 200
                if outer.hang:
                    outer.released.wait(60)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"{count} POSTs expected, got {len(self.received)}")

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def subscriber() -> Iterator:
    made: list[Subscriber] = []

    def make(fail_first: int = 0, hang: bool = False) -> Subscriber:
        made.append(Subscriber(fail_first, hang))
        return made[-1]

    yield make
    for sub in made:
        sub.close()


def notifications(server) -> dict:
    with urllib.request.urlopen(server.url + "/_status", timeout=5) as response:
        return json.load(response)["Notifications"]


def wait_for_counts(server, condition, timeout: float = 10.0) -> dict:
    """Poll /_status until ``condition(Notifications)`` holds (the counters follow the POSTs)."""
    return wait_until(lambda: notifications(server), condition, timeout)


def events_on_disk(server) -> dict[str, dict]:
    lines = (server.data_dir / "notifications.jsonl").read_text().splitlines()
    return {json.loads(line)["inferenceId"]: json.loads(line) for line in lines}


def check_sns_notification(post: dict, topic_suffix: str) -> dict:
    """The POST is an SNS HTTP Notification; returns the envelope."""
    headers = post["headers"]
    envelope = json.loads(post["body"])
    assert set(envelope) == ENVELOPE_KEYS  # Subject is optional; none is published here
    assert envelope["Type"] == "Notification" == headers["x-amz-sns-message-type"]
    assert str(uuid.UUID(envelope["MessageId"])) == envelope["MessageId"]
    assert headers["x-amz-sns-message-id"] == envelope["MessageId"]
    arn = f"arn:aws:sns:{REGION}:123456789012:sagemaker-async-{topic_suffix}"
    assert envelope["TopicArn"] == arn == headers["x-amz-sns-topic-arn"]
    assert headers["x-amz-sns-subscription-arn"].startswith(arn + ":")
    assert headers["content-type"] == "text/plain; charset=UTF-8"
    assert "Amazon Simple Notification Service Agent" in headers["user-agent"]
    assert ISO_MILLIS.match(envelope["Timestamp"])
    assert envelope["SignatureVersion"] in ("1", "2")
    base64.b64decode(envelope["Signature"], validate=True)
    for name in ("SigningCertURL", "UnsubscribeURL"):
        assert envelope[name].startswith("http://127.0.0.1:")  # nothing leaves the machine
    assert isinstance(envelope["Message"], str)
    return envelope


def test_success_and_error_notifications_arrive_as_sns_http_deliveries(start_serve, subscriber):
    success, error = subscriber(), subscriber()
    server = start_serve(
        "--notify-success",
        success.url + "/hooks/ok?x=1",
        "--notify-error",
        error.url + "/hooks/failed",
    )
    runtime = server.client("sagemaker-runtime")
    runtime.invoke_endpoint_async(EndpointName="echo", Body=b"ok", InferenceId="good-1")
    runtime.invoke_endpoint_async(
        EndpointName="echo", Body=b"x", InferenceId="bad-1", CustomAttributes="fail=no"
    )
    [ok_post] = success.wait_for(1)
    [err_post] = error.wait_for(1)
    assert ok_post["path"] == "/hooks/ok?x=1" and err_post["path"] == "/hooks/failed"
    on_disk = events_on_disk(server)

    ok = check_sns_notification(ok_post, "success")
    assert json.loads(ok["Message"]) == on_disk["good-1"]  # the event, as a string
    assert json.loads(ok["Message"])["invocationStatus"] == "Completed"

    failed = check_sns_notification(err_post, "error")
    assert json.loads(failed["Message"]) == on_disk["bad-1"]
    assert json.loads(failed["Message"])["invocationStatus"] == "Failed"

    status = wait_for_counts(server, lambda s: s["Delivered"] == 2)
    assert (status["Delivered"], status["Failed"], status["Retried"]) == (2, 0, 0)
    with urllib.request.urlopen(server.url + "/_dashboard", timeout=5) as response:
        page = response.read().decode()
    assert '<span data-field="notify-delivered">2</span>' in page
    assert f"<code>{success.url}/hooks/ok?x=1</code>" in page
    # The envelope's URLs lead to serve itself, which says it does not implement them.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(ok["UnsubscribeURL"], timeout=5)
    refused.value.close()
    assert refused.value.code == 501


def test_expired_requests_go_to_the_error_topic(start_serve, subscriber):
    success, error = subscriber(), subscriber()
    server = start_serve(
        "--workers", "1", "--max-ttl", "1",
        "--notify-success", success.url, "--notify-error", error.url,
    )  # fmt: skip
    runtime = server.client("sagemaker-runtime")
    runtime.invoke_endpoint_async(EndpointName="echo", Body=b"a", CustomAttributes="sleep=2")
    runtime.invoke_endpoint_async(EndpointName="echo", Body=b"b", InferenceId="too-late")
    [expired] = error.wait_for(1)
    message = json.loads(check_sns_notification(expired, "error")["Message"])
    assert (message["inferenceId"], message["invocationStatus"]) == ("too-late", "Expired")
    [completed] = success.wait_for(1)
    assert json.loads(json.loads(completed["body"])["Message"])["invocationStatus"] == "Completed"


def test_a_failed_delivery_is_retried_with_the_same_message_id(start_serve, subscriber):
    flaky = subscriber(fail_first=1)
    server = start_serve("--notify-success", flaky.url, "--notify-success", flaky.url + "/b")
    runtime = server.client("sagemaker-runtime")
    runtime.invoke_endpoint_async(EndpointName="echo", Body=b"ok", InferenceId="once")
    posts = flaky.wait_for(3)
    first, second, third = (json.loads(p["body"]) for p in posts)
    # Two subscriptions: each gets its own message; the first failed and came again.
    assert first["MessageId"] == third["MessageId"] != second["MessageId"]
    assert posts[0]["path"] == posts[2]["path"]
    status = wait_for_counts(server, lambda s: s["Delivered"] == 2)
    assert (status["Delivered"], status["Retried"], status["Failed"]) == (2, 1, 0)
    assert "retry 1 of 3 in 1 s" in server.stderr()


def test_a_subscriber_that_never_answers_does_not_hold_up_inferences(start_serve, subscriber):
    stuck = subscriber(hang=True)
    server = start_serve("--notify-success", stuck.url, "--workers", "1")
    runtime = server.client("sagemaker-runtime")
    for _ in range(5):
        runtime.invoke_endpoint_async(EndpointName="echo", Body=b"x")
    stuck.wait_for(1)  # the first POST is being held
    # With one worker, waiting on that POST would hold the four others for 15 s each.
    entry = server.wait_idle("echo", timeout=10)
    assert entry["Completed"] == 5
    status = notifications(server)
    assert status["Delivered"] == 0 and status["Pending"] == 4


@pytest.mark.slow
def test_an_unreachable_subscriber_is_given_up_after_retries(start_serve):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = start_serve("--notify-error", f"http://127.0.0.1:{port}/")
    runtime = server.client("sagemaker-runtime")
    runtime.invoke_endpoint_async(EndpointName="echo", Body=b"x", CustomAttributes="fail=no")
    status = wait_for_counts(server, lambda s: s["Failed"] == 1, timeout=30)
    assert (status["Failed"], status["Retried"], status["Delivered"]) == (1, 3, 0)
    assert "not delivered after 4 attempt(s)" in server.stderr()
    # The inference itself was not held up: it is done and counted.
    assert server.status()["echo"]["Failed"] == 1


@pytest.mark.parametrize(
    ("option", "url", "message"),
    [
        ("--notify-success", "http://192.0.2.1/x", "must be on a loopback address"),
        ("--notify-error", "https://127.0.0.1/x", "must be an http:// URL"),
        ("--notify-error", "127.0.0.1:9000", "must be an http:// URL"),
    ],
)
def test_subscription_urls_must_be_loopback_http(tmp_path, option, url, message):
    result = run_serve(tmp_path, "--port", "0", option, url, env=CREDENTIALS)
    assert result.returncode == 252
    assert message in result.stderr.decode()
    assert not (tmp_path / "data").exists()  # refused before anything was created
