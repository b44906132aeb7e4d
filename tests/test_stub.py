"""The loopback stub: driven by a real botocore client, by raw HTTP, and as a script."""

from __future__ import annotations

import http.client
import json
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from stub import StubServer

STUB_SCRIPT = Path(__file__).resolve().parent / "stub.py"
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
ENDPOINT_PATH = "/endpoints/my-endpoint/async-invocations"
ERRORS = {
    "validation": (400, "ValidationError", "Endpoint nope of account 123456789012 not found."),
    "model": (424, "ModelError", "Received server error (500) from model"),
    "throttle": (429, "ThrottlingException", "Rate exceeded"),
    "internal": (500, "InternalFailure", "Internal failure"),
    "unavailable": (503, "ServiceUnavailable", "Service is unavailable"),
}


@pytest.fixture
def client(stub, aws_home, monkeypatch):
    """A botocore sagemaker-runtime client on the stub, with credentials from a temp home and
    no retries (error scenarios would otherwise back off)."""
    for name, value in aws_home.items():
        monkeypatch.setenv(name, value)
    session = botocore.session.Session()
    sagemaker = session.create_client(
        "sagemaker-runtime",
        endpoint_url=stub.url,
        region_name="us-east-1",
        config=Config(retries={"total_max_attempts": 1}),
    )
    yield sagemaker
    sagemaker.close()


def raw_request(url_port: int, method: str, path: str, body: bytes = b"", headers=None):
    """One unsigned request over a fresh connection: (status, version, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", url_port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.version, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_ok_with_inference_id(client, stub):
    response = client.invoke_endpoint_async(
        EndpointName="my-endpoint", InputLocation="s3://in-bucket/input.json", InferenceId="inf-1"
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert response["OutputLocation"] == "s3://out-bucket/results/inf-1.out"
    assert response["FailureLocation"] == "s3://out-bucket/failures/inf-1-error.out"
    assert response["InferenceId"] == "inf-1"
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert UUID4.fullmatch(headers["x-amzn-requestid"])
    assert headers["content-type"] == "application/json"
    assert headers["content-length"] == str(len(b'{"InferenceId": "inf-1"}'))

    [request] = stub.requests
    assert request["method"] == "POST"
    assert request["path"] == ENDPOINT_PATH
    assert request["headers"]["x-amzn-sagemaker-inference-id"] == "inf-1"
    assert request["headers"]["x-amzn-sagemaker-inputlocation"] == "s3://in-bucket/input.json"
    assert all(name == name.lower() for name in request["headers"])
    assert request["body"] == b""
    assert request["sig_ok"] is True


def test_ok_without_inference_id_makes_one_up(client, stub):
    response = client.invoke_endpoint_async(
        EndpointName="my-endpoint", InputLocation="s3://in-bucket/input.json"
    )
    inference_id = response["InferenceId"]
    assert UUID4.fullmatch(inference_id)
    assert response["OutputLocation"] == f"s3://out-bucket/results/{inference_id}.out"
    assert response["FailureLocation"] == f"s3://out-bucket/failures/{inference_id}-error.out"
    assert "x-amzn-sagemaker-inference-id" not in stub.requests[0]["headers"]


def test_records_body_and_encoded_path(client, stub):
    client.invoke_endpoint_async(
        EndpointName="my endpoint:v1", Body=b"hello world", ContentType="text/plain"
    )
    [request] = stub.requests
    assert request["path"] == "/endpoints/my%20endpoint%3Av1/async-invocations"
    assert request["body"] == b"hello world"
    assert request["headers"]["x-amzn-sagemaker-content-type"] == "text/plain"
    assert request["headers"]["content-length"] == "11"
    assert request["sig_ok"] is True


@pytest.mark.parametrize("scenario", sorted(ERRORS))
def test_error_scenarios(client, stub, scenario):
    status, error_type, message = ERRORS[scenario]
    stub.scenario = scenario
    with pytest.raises(ClientError) as raised:
        client.invoke_endpoint_async(EndpointName="my-endpoint", InputLocation="s3://b/k")
    error = raised.value.response
    assert error["Error"]["Code"] == error_type
    assert error["Error"]["Message"] == message
    assert error["ResponseMetadata"]["HTTPStatusCode"] == status
    headers = error["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-errortype"] == error_type
    assert headers["content-type"] == "application/json"
    assert int(headers["content-length"]) == len(json.dumps({"message": message}))
    assert len(stub.requests) == 1
    assert stub.requests[0]["sig_ok"] is True


@pytest.mark.parametrize("scenario", ["ok", *sorted(ERRORS)])
def test_raw_responses_are_exact(stub, scenario):
    stub.scenario = scenario
    headers = {"x-amzn-SageMaker-Inference-Id": "raw-1"}
    status, version, response_headers, body = raw_request(
        stub.port, "POST", ENDPOINT_PATH, b"", headers
    )
    assert version == 11  # HTTP/1.1
    assert response_headers["content-length"] == str(len(body))
    if scenario == "ok":
        assert status == 202
        assert body == b'{"InferenceId": "raw-1"}'
        assert (
            response_headers["x-amzn-sagemaker-outputlocation"]
            == "s3://out-bucket/results/raw-1.out"
        )
        assert (
            response_headers["x-amzn-sagemaker-failurelocation"]
            == "s3://out-bucket/failures/raw-1-error.out"
        )
        assert response_headers["content-type"] == "application/json"
    else:
        expected_status, error_type, message = ERRORS[scenario]
        assert status == expected_status
        assert body == json.dumps({"message": message}).encode()
        assert response_headers["x-amzn-errortype"] == error_type
        assert response_headers["content-type"] == "application/json"
    # Unsigned requests are answered all the same, but recorded as such.
    [request] = stub.requests
    assert request["sig_ok"] is False
    assert request["headers"]["x-amzn-sagemaker-inference-id"] == "raw-1"


def test_other_paths_get_a_404_with_content_length(stub):
    status, _, headers, body = raw_request(stub.port, "GET", "/ping")
    assert status == 404
    assert headers["content-length"] == str(len(body))
    assert stub.requests[0]["path"] == "/ping"


def test_keeps_connections_alive(stub):
    connection = http.client.HTTPConnection("127.0.0.1", stub.port, timeout=10)
    try:
        for attempt in range(3):
            connection.request("POST", ENDPOINT_PATH, body=b"x" * attempt)
            response = connection.getresponse()
            assert response.status == 202
            response.read()
    finally:
        connection.close()
    assert [request["body"] for request in stub.requests] == [b"", b"x", b"xx"]


def test_slow_scenario_delays_then_answers_ok(client, stub):
    stub.scenario = "slow:0.3"
    started = time.monotonic()
    response = client.invoke_endpoint_async(
        EndpointName="e", InputLocation="s3://b/k", InferenceId="s"
    )
    assert time.monotonic() - started >= 0.3
    assert response["InferenceId"] == "s"


def test_scenario_validation_and_reset(stub):
    with pytest.raises(ValueError):
        stub.scenario = "nonsense"
    with pytest.raises(ValueError):
        stub.scenario = "slow:soon"
    stub.scenario = None  # as a golden case's null
    assert stub.scenario == "ok"
    stub.scenario = "throttle"
    raw_request(stub.port, "POST", ENDPOINT_PATH)
    stub.reset()
    assert stub.requests == []
    assert stub.scenario == "ok"


def test_close_does_not_wait_for_idle_or_slow_connections():
    server = StubServer(scenario="slow:30").start()
    idle = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    idle.connect()
    outcome: list[object] = []

    def stuck_request():
        try:
            outcome.append(raw_request(server.port, "POST", ENDPOINT_PATH))
        except (ConnectionError, http.client.HTTPException) as exc:
            outcome.append(exc)

    waiter = threading.Thread(target=stuck_request)
    waiter.start()
    deadline = time.monotonic() + 10
    while not server.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.requests, "the slow request never arrived"
    # close() wakes and joins both handler threads: it returns while the idle connection is
    # still open, and the slow request gets no answer (its 30 s are not waited for).
    closer = threading.Thread(target=server.close)
    closer.start()
    closer.join(20)
    still_closing = closer.is_alive()
    idle.close()
    closer.join()
    assert not still_closing, "close() waited for the idle connection"
    waiter.join(10)
    assert isinstance(outcome[0], (ConnectionError, http.client.HTTPException))


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_runs_as_a_script(stop_signal):
    process = subprocess.Popen(
        [sys.executable, str(STUB_SCRIPT), "--scenario", "throttle"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        url = process.stdout.readline().decode().strip()
        match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)", url)
        assert match, url
        status, _, headers, _ = raw_request(int(match.group(1)), "POST", ENDPOINT_PATH)
        assert status == 429
        assert headers["x-amzn-errortype"] == "ThrottlingException"
        process.send_signal(stop_signal)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        stderr = process.stderr.read()
        process.stderr.close()
    assert stderr == b""
