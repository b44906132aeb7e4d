"""Queue behaviour through real processes: TTL expiry, invocation timeout, SIGKILL and restart,
SIGTERM with work in flight."""

from __future__ import annotations

import json
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from conftest import object_exists, wait_for_object
from serving import wait_until


def test_request_expires_in_the_queue(start_serve):
    server = start_serve("--workers", "1", "--max-ttl", "1")
    runtime, s3 = server.client("sagemaker-runtime"), server.client("s3")
    blocker = runtime.invoke_endpoint_async(
        EndpointName="echo", Body=b"slow", CustomAttributes="sleep=2"
    )
    waiting = runtime.invoke_endpoint_async(EndpointName="echo", Body=b"late")
    failure = wait_for_object(s3, waiting["FailureLocation"], timeout=10)
    assert failure is not None and b"RequestTTLSeconds" in failure
    assert not object_exists(s3, waiting["OutputLocation"])
    assert wait_for_object(s3, blocker["OutputLocation"]) == b"slow"
    entry = server.wait_idle()
    assert (entry["Expired"], entry["Completed"]) == (1, 1)
    events = [
        json.loads(x) for x in (server.data_dir / "notifications.jsonl").read_text().splitlines()
    ]
    expired = [e for e in events if e["inferenceId"] == waiting["InferenceId"]]
    assert [e["invocationStatus"] for e in expired] == ["Expired"]


def test_invocation_timeout(start_serve):
    server = start_serve()
    runtime, s3 = server.client("sagemaker-runtime"), server.client("s3")
    response = runtime.invoke_endpoint_async(
        EndpointName="echo", Body=b"x", CustomAttributes="sleep=30", InvocationTimeoutSeconds=1
    )
    failure = wait_for_object(s3, response["FailureLocation"], timeout=10)
    assert failure is not None and b"InvocationTimeoutSeconds (1 s)" in failure
    assert not object_exists(s3, response["OutputLocation"])
    assert server.wait_idle()["Failed"] == 1
    assert "Failed" in server.stderr() and response["InferenceId"] in server.stderr()


def test_sigkill_and_restart_loses_nothing(start_serve, tmp_path):
    data_dir = tmp_path / "kill-data"
    server = start_serve("--workers", "2", data_dir=data_dir)
    runtime = server.client("sagemaker-runtime")
    accepted = []
    for i in range(24):
        attrs = "sleep=0.15" if i % 3 else "sleep=0.15;fail=planned"
        accepted.append(
            runtime.invoke_endpoint_async(
                EndpointName="echo", Body=f"payload {i}".encode(), CustomAttributes=attrs
            )
        )
    entry = wait_until(
        lambda: server.status()["echo"],
        lambda e: e["Completed"] + e["Failed"] > 0 and e["InProgress"] > 0 and e["Queued"] > 0,
    )
    assert entry["InProgress"] > 0 and entry["Queued"] > 0, entry  # some done, some not
    assert server.stop(signal.SIGKILL) == -signal.SIGKILL

    again = start_serve("--workers", "4", data_dir=data_dir)
    assert "re-queued" in again.stderr()
    entry = again.wait_idle(timeout=30)
    assert entry["ApproximateBacklogSize"] == 0
    s3 = again.client("s3")
    for i, response in enumerate(accepted):
        has_output = object_exists(s3, response["OutputLocation"])
        has_failure = object_exists(s3, response["FailureLocation"])
        assert has_output != has_failure, (i, has_output, has_failure)
        assert has_failure == (i % 3 == 0)
    assert entry["Completed"] + entry["Failed"] == len(accepted)


def test_sigterm_requeues_in_flight_work_and_exits_zero(start_serve, tmp_path):
    data_dir = tmp_path / "term-data"
    server = start_serve("--workers", "1", data_dir=data_dir)
    runtime = server.client("sagemaker-runtime")
    response = runtime.invoke_endpoint_async(
        EndpointName="echo", Body=b"long", CustomAttributes="sleep=1.5"
    )
    entry = wait_until(lambda: server.status()["echo"], lambda e: e["InProgress"] == 1)
    assert entry["InProgress"] == 1, entry
    assert server.stop(signal.SIGTERM) == 0
    assert "Requeued" in server.stderr()
    again = start_serve("--workers", "1", data_dir=data_dir)
    assert wait_for_object(again.client("s3"), response["OutputLocation"]) == b"long"


def test_sigint_exits_zero(start_serve):
    server = start_serve()
    assert server.stop(signal.SIGINT) == 0
    assert server.stderr().rstrip().endswith("stopped")


def test_workers_bound_concurrent_calls_to_an_http_model(start_serve):
    """serve runs more threads than --workers (they write outputs), but at most --workers
    inferences reach the model at once, as MaxConcurrentInvocationsPerInstance would."""
    state = {"now": 0, "most": 0, "calls": 0}
    lock = threading.Lock()

    class Model(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the base class's naming
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                state["now"] += 1
                state["calls"] += 1
                state["most"] = max(state["most"], state["now"])
            time.sleep(0.2)  # a slow model: calls overlap if serve lets them
            with lock:
                state["now"] -= 1
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # noqa: A002
            pass

    model = ThreadingHTTPServer(("127.0.0.1", 0), Model)
    threading.Thread(target=model.serve_forever, daemon=True).start()
    try:
        port = model.server_address[1]
        server = start_serve("--workers", "2", "--endpoint", f"m=http://127.0.0.1:{port}")
        runtime, s3 = server.client("sagemaker-runtime"), server.client("s3")
        responses = [
            runtime.invoke_endpoint_async(EndpointName="m", Body=f"{i}".encode()) for i in range(8)
        ]
        for i, response in enumerate(responses):
            assert wait_for_object(s3, response["OutputLocation"]) == f"{i}".encode()
    finally:
        model.shutdown()
        model.server_close()
    assert state["calls"] == 8
    assert state["most"] == 2
