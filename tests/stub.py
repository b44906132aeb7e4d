"""A loopback stand-in for the SageMaker Runtime async-invocation API.

It answers like the stub the golden cases were captured against (see
``tests/golden/aws-cli-v2.36.7/README.md``): it checks each request's SigV4 signature, records
the request, and answers by scenario. Use it from tests as ``with StubServer() as stub:`` or run
it as a script::

    python tests/stub.py [--port N] [--scenario ok]

which prints ``http://127.0.0.1:PORT`` as its first line and serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import email.utils
import json
import math
import signal
import socket
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import TCPServer, ThreadingMixIn

if __package__:
    from . import sigv4
else:
    # tests/ is on sys.path both as a script (its own folder) and under pytest's rootdir imports.
    import sigv4

HOST = "127.0.0.1"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "fake-secret-key"
SIGNING_SERVICE = "sagemaker"
INFERENCE_ID_HEADER = "x-amzn-sagemaker-inference-id"

# scenario -> (status, x-amzn-errortype, message); "ok" and "slow:N" are handled separately.
ERROR_SCENARIOS = {
    "validation": (400, "ValidationError", "Endpoint nope of account 123456789012 not found."),
    "model": (424, "ModelError", "Received server error (500) from model"),
    "throttle": (429, "ThrottlingException", "Rate exceeded"),
    "internal": (500, "InternalFailure", "Internal failure"),
    "unavailable": (503, "ServiceUnavailable", "Service is unavailable"),
}
REASONS = {
    202: "Accepted",
    400: "Bad Request",
    404: "Not Found",
    424: "Failed Dependency",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def slow_seconds(scenario: str) -> float | None:
    """N for ``slow:N``, else None."""
    if not scenario.startswith("slow:"):
        return None
    return float(scenario.split(":", 1)[1])


def check_scenario(scenario: str) -> str:
    if scenario == "ok" or scenario in ERROR_SCENARIOS:
        return scenario
    try:
        seconds = slow_seconds(scenario)
    except ValueError:
        seconds = None
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"unknown stub scenario {scenario!r}")
    return scenario


def _json_body(document: dict) -> bytes:
    return json.dumps(document).encode("utf-8")


def ok_response(request_headers: dict[str, str]) -> tuple[int, list[tuple[str, str]], bytes]:
    inference_id = request_headers.get(INFERENCE_ID_HEADER) or str(uuid.uuid4())
    headers = [
        ("x-amzn-requestid", str(uuid.uuid4())),
        ("x-amzn-sagemaker-outputlocation", f"s3://out-bucket/results/{inference_id}.out"),
        ("x-amzn-sagemaker-failurelocation", f"s3://out-bucket/failures/{inference_id}-error.out"),
        ("content-type", "application/json"),
    ]
    return 202, headers, _json_body({"InferenceId": inference_id})


def error_response(scenario: str) -> tuple[int, list[tuple[str, str]], bytes]:
    status, error_type, message = ERROR_SCENARIOS[scenario]
    headers = [("x-amzn-errortype", error_type), ("content-type", "application/json")]
    return status, headers, _json_body({"message": message})


def not_found_response() -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [
        ("x-amzn-errortype", "UnknownOperationException"),
        ("content-type", "application/json"),
    ]
    return 404, headers, _json_body({"message": "Unknown operation"})


def is_invoke_async(method: str, path: str) -> bool:
    parts = path.split("?", 1)[0].split("/")
    # ['', 'endpoints', NAME, 'async-invocations']; NAME may be empty: the AWS CLI sends
    # `--endpoint-name ''` as /endpoints//async-invocations and the service answers it.
    return (
        method == "POST"
        and len(parts) == 4
        and parts[:2] == ["", "endpoints"]
        and parts[3] == "async-invocations"
    )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in one send, but keep small writes from waiting on Nagle anyway.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format, *args):
        pass  # keep test and benchmark output clean

    def do_POST(self):
        self._serve()

    do_GET = do_PUT = do_DELETE = do_PATCH = do_POST

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip(), 16)
            if size == 0:
                break
            chunks.append(self.rfile.read(size))
            self.rfile.readline()  # CRLF after each chunk
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return b"".join(chunks)

    def _record(self, body: bytes) -> dict[str, str]:
        pairs = self.headers.items()
        headers: dict[str, str] = {}
        for name, value in pairs:
            key = name.lower()
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        path, _, query = self.path.partition("?")
        sig_ok, sig_reason = sigv4.verify(
            self.command,
            path,
            query,
            pairs,
            body,
            {ACCESS_KEY: SECRET_KEY},
            SIGNING_SERVICE,
            now=dt.datetime.now(dt.timezone.utc),
        )
        self.server.stub.requests.append(
            {
                "method": self.command,
                "path": self.path,  # the request target as sent, query included
                "headers": headers,
                "body": body,
                "sig_ok": sig_ok,
                "sig_reason": sig_reason,
            }
        )
        return headers

    def _serve(self):
        headers = self._record(self._read_body())
        scenario = self.server.stub.scenario
        if not is_invoke_async(self.command, self.path):
            self._send(*not_found_response())
            return
        delay = slow_seconds(scenario)
        if delay is not None:
            # An Event, not sleep(): closing the stub wakes it and drops the connection.
            if self.server.closing.wait(delay):
                self.close_connection = True
                return
            scenario = "ok"
        if scenario == "ok":
            self._send(*ok_response(headers))
        else:
            self._send(*error_response(scenario))

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes):
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}"]
        lines += [f"{name}: {value}" for name, value in headers]
        lines.append(f"content-length: {len(body)}")
        lines.append(f"date: {email.utils.formatdate(usegmt=True)}")
        if self.close_connection:
            lines.append("connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + body)


class _Server(ThreadingMixIn, HTTPServer):
    # Handler threads are joined on close (block_on_close), so tests leave no threads behind.
    daemon_threads = False
    block_on_close = True

    def __init__(self, address, stub: StubServer):
        self.stub = stub
        self.closing = threading.Event()
        self._live: set[socket.socket] = set()
        self._live_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self):
        # HTTPServer.server_bind would resolve the host name (a DNS query); we know it.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = HOST, self.server_address[1]

    def process_request(self, request, client_address):
        with self._live_lock:
            self._live.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._live_lock:
            self._live.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):
        # Peer hang-ups are normal (a CLI that timed out, a stub closing its connections).
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)

    def drop_connections(self):
        """Wake handler threads blocked on idle keep-alive connections so they can be joined."""
        with self._live_lock:
            live = list(self._live)
        for sock in live:
            with contextlib.suppress(OSError):  # already closed by the peer
                sock.shutdown(socket.SHUT_RDWR)


class StubServer:
    """A threaded HTTP/1.1 stub on 127.0.0.1; use as a context manager."""

    def __init__(self, port: int = 0, scenario: str = "ok"):
        self._port = port
        self._scenario = check_scenario(scenario)
        self.requests: list[dict] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def scenario(self) -> str:
        return self._scenario

    @scenario.setter
    def scenario(self, value: str | None) -> None:
        self._scenario = check_scenario(value or "ok")

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("stub not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def reset(self) -> None:
        """Forget recorded requests and go back to the ``ok`` scenario."""
        self.requests.clear()
        self._scenario = "ok"

    def start(self) -> StubServer:
        self._server = _Server((HOST, self._port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"stub-{self.port}",
        )
        self._thread.start()
        return self

    def close(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.closing.set()
        server.shutdown()
        thread.join()
        server.drop_connections()
        server.server_close()  # joins the handler threads
        self._server = self._thread = None

    def __enter__(self) -> StubServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.close()


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Loopback SageMaker async-invocation stub.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = any free)")
    parser.add_argument("--scenario", default="ok", help="ok, validation, model, throttle, ...")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with StubServer(port=args.port, scenario=args.scenario) as stub:
        print(stub.url, flush=True)
        while not stop.wait(0.5):
            # Nobody reads the records of a long-running script; don't let them pile up.
            stub.requests.clear()
    return 0


if __name__ == "__main__":
    sys.exit(main())
