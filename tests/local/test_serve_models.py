"""The ``python:`` and ``http://127.0.0.1:PORT`` (container contract) models."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import SECRET_KEY, object_exists, split_s3, wait_for_object


class ContainerHandler(BaseHTTPRequestHandler):
    """A SageMaker-contract model: GET /ping, POST /invocations; records what it received."""

    protocol_version = "HTTP/1.1"
    received: list[dict] = []

    def log_message(self, format, *args):  # noqa: A002
        pass

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802
        if self.path == "/ping":
            self._reply(200, b"", "text/plain")
        else:
            self._reply(404, b"", "text/plain")

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        seen = {name.lower(): value for name, value in self.headers.items()}
        self.received.append({"path": self.path, "headers": seen, "body": body})
        if body == b"crash":
            self._reply(500, b'{"message":"model crashed","status":"error"}', "application/json")
            return
        answer = json.dumps({"length": len(body), "upper": body.decode().upper()}).encode()
        self._reply(200, answer, "application/json")


@pytest.fixture
def container():
    ContainerHandler.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), ContainerHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", ContainerHandler.received
    server.shutdown()
    server.server_close()


def test_container_contract_model(start_serve, container):
    url, received = container
    server = start_serve("--endpoint", f"ctr={url}")
    runtime, s3 = server.client("sagemaker-runtime"), server.client("s3")
    response = runtime.invoke_endpoint_async(
        EndpointName="ctr",
        Body=b"hello",
        ContentType="text/plain",
        Accept="application/json",
        CustomAttributes="tenant=7",
        InferenceId="inf-1",
    )
    assert json.loads(wait_for_object(s3, response["OutputLocation"])) == {
        "length": 5,
        "upper": "HELLO",
    }
    bucket, key = split_s3(response["OutputLocation"])
    assert s3.head_object(Bucket=bucket, Key=key)["ContentType"] == "application/json"
    call = received[0]
    assert call["path"] == "/invocations" and call["body"] == b"hello"
    assert call["headers"]["content-type"] == "text/plain"
    assert call["headers"]["accept"] == "application/json"
    assert call["headers"]["x-amzn-sagemaker-custom-attributes"] == "tenant=7"
    assert call["headers"]["x-amzn-sagemaker-inference-id"] == "inf-1"

    failed = runtime.invoke_endpoint_async(EndpointName="ctr", Body=b"crash")
    error_body = wait_for_object(s3, failed["FailureLocation"])
    assert json.loads(error_body) == {"message": "model crashed", "status": "error"}
    assert not object_exists(s3, failed["OutputLocation"])


def test_unreachable_container_fails_the_request(start_serve, container):
    server = start_serve("--endpoint", "gone=http://127.0.0.1:9")
    runtime, s3 = server.client("sagemaker-runtime"), server.client("s3")
    response = runtime.invoke_endpoint_async(EndpointName="gone", Body=b"x")
    failure = wait_for_object(s3, response["FailureLocation"])
    assert failure is not None and b"cannot reach model" in failure


def test_python_model(start_serve, tmp_path):
    package = tmp_path / "mypkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "infer.py").write_text(
        "def predict(request):\n"
        "    if request.body == b'boom':\n"
        "        raise ValueError('bad payload')\n"
        "    text = request.body.decode()[::-1]\n"
        "    return text, 'text/x-reversed;' + (request.custom_attributes or '')\n"
    )
    server = start_serve("--endpoint", "py=python:mypkg.infer:predict", cwd=tmp_path)
    runtime, s3 = server.client("sagemaker-runtime"), server.client("s3")
    ok = runtime.invoke_endpoint_async(EndpointName="py", Body=b"abc", CustomAttributes="k=v")
    assert wait_for_object(s3, ok["OutputLocation"]) == b"cba"
    bucket, key = split_s3(ok["OutputLocation"])
    assert s3.head_object(Bucket=bucket, Key=key)["ContentType"] == "text/x-reversed;k=v"
    bad = runtime.invoke_endpoint_async(EndpointName="py", Body=b"boom")
    assert wait_for_object(s3, bad["FailureLocation"]) == b"ValueError: bad payload"


def test_several_endpoints_each_with_its_model(start_serve, container):
    url, _ = container
    server = start_serve("--endpoint", "a", "--endpoint", f"b={url}", "--endpoint", "c=echo")
    assert set(server.status()) == {"a", "b", "c"}
    assert server.status()["b"]["Model"] == url


def test_python_model_failure_is_logged_with_its_traceback_but_not_the_payload(
    start_serve, tmp_path
):
    package = tmp_path / "logpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "infer.py").write_text(
        "import json\n"
        "\n"
        "def parse(body):\n"
        "    return int(body)\n"
        "\n"
        "def predict(request):\n"
        "    try:\n"
        "        return str(parse(request.body))\n"
        "    except ValueError as exc:\n"
        "        raise RuntimeError('cannot use ' + request.body.decode()) from exc\n"
    )
    server = start_serve("--endpoint", "py=python:logpkg.infer:predict", cwd=tmp_path)
    runtime, s3 = server.client("sagemaker-runtime"), server.client("s3")
    secret_payload = b"card-4111111111111111"
    bad = runtime.invoke_endpoint_async(EndpointName="py", Body=secret_payload, InferenceId="t-1")
    failure = wait_for_object(s3, bad["FailureLocation"])
    assert failure == b"RuntimeError: cannot use card-4111111111111111"  # the client's copy
    log = server.stderr()
    assert "py t-1 python:logpkg.infer:predict raised RuntimeError:" in log
    assert "Traceback (most recent call last):" in log
    assert 'infer.py", line 4, in parse' in log and "return int(body)" in log
    assert 'infer.py", line 10, in predict' in log
    assert "ValueError: (message not logged" in log and "RuntimeError: (message not logged" in log
    assert "4111111111111111" not in log
    assert SECRET_KEY not in log
