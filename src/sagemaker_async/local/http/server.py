"""The HTTP front: one port speaking S3, SageMaker Runtime and a status page.

Routing: a request whose credential scope names ``sagemaker`` (or, unsigned, whose path is
``/endpoints/NAME/async-invocations``) goes to the runtime; ``GET /_status`` (an underscore
cannot start a bucket name) is the status page; everything else is S3, path-style or
``bucket.localhost`` virtual-host. Absolute-form request targets are accepted, so a client
can reach virtual-host buckets through ``serve`` configured as its HTTP proxy.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import cast
from urllib.parse import unquote, urlsplit

from sagemaker_async.local.http import sigv4
from sagemaker_async.local.http.bodies import BodyError, ChunkedReader, LengthReader
from sagemaker_async.local.http.wire import Request, Response
from sagemaker_async.local.runtime.api import InvokeError, RuntimeApi
from sagemaker_async.local.s3.api import S3Api

STATUS_PATH = "/_status"
PAGE_PATHS = ("/_dashboard", "/_sns/")  # answered by App.pages (local/http/dashboard.py)
MAX_RUNTIME_BODY = 16 * 1024 * 1024  # read (to verify the signature) then refuse over 128000
DRAIN_LIMIT = 1024 * 1024
_RUNTIME_PATH = re.compile(r"^/endpoints/([^/]+)/async-invocations$")
_SYNC_PATH = re.compile(r"^/endpoints/([^/]+)/invocations(-response-stream)?$")

RUNTIME_AUTH_ERRORS = {
    sigv4.MISSING: ("MissingAuthenticationTokenException", 403, "Missing Authentication Token"),
    sigv4.UNKNOWN_KEY: (
        "UnrecognizedClientException",
        403,
        "The security token included in the request is invalid.",
    ),
    sigv4.BAD_TOKEN: (
        "UnrecognizedClientException",
        403,
        "The security token included in the request is invalid.",
    ),
    sigv4.BAD_SIGNATURE: (
        "InvalidSignatureException",
        403,
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. Consult the service "
        "documentation for details.",
    ),
    sigv4.MALFORMED: ("IncompleteSignatureException", 400, ""),
    sigv4.EXPIRED: ("InvalidSignatureException", 403, "Signature expired"),
}


def _amz(ts: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(ts))


def runtime_auth_error(err: sigv4.AuthError) -> InvokeError:
    if err.reason == sigv4.SKEWED:
        now = time.time()
        request_time = sigv4.parse_amz_date(err.message)
        if request_time < now:
            message = (
                f"Signature expired: {err.message} is now earlier than "
                f"{_amz(now - sigv4.MAX_SKEW_SECONDS)} ({_amz(now)} - 15 min.)"
            )
        else:
            message = (
                f"Signature not yet current: {err.message} is still later than "
                f"{_amz(now + sigv4.MAX_SKEW_SECONDS)} ({_amz(now)} + 15 min.)"
            )
        return InvokeError("InvalidSignatureException", message, 403)
    code, status, message = RUNTIME_AUTH_ERRORS.get(err.reason, RUNTIME_AUTH_ERRORS["malformed"])
    return InvokeError(code, message or err.message, status)


class App:
    """Everything a request handler needs; built by :func:`sagemaker_async.local.app.run`."""

    def __init__(
        self, *, s3: S3Api, runtime: RuntimeApi, credentials: sigv4.Credentials, status
    ) -> None:
        self.s3 = s3
        self.runtime = runtime
        self.credentials = credentials
        self.status = status  # () -> dict
        self.pages: Callable[[Request], Response] | None = None  # for PAGE_PATHS
        self.accepting = True
        self._inflight = 0
        self._idle = threading.Condition()

    def enter(self) -> bool:
        with self._idle:
            if not self.accepting:
                return False
            self._inflight += 1
            return True

    def leave(self) -> None:
        with self._idle:
            self._inflight -= 1
            if self._inflight == 0:
                self._idle.notify_all()

    def drain(self, timeout: float) -> None:
        """Refuse new requests and wait for the ones in progress."""
        end = time.monotonic() + timeout
        with self._idle:
            self.accepting = False
            while self._inflight and time.monotonic() < end:
                self._idle.wait(end - time.monotonic())

    def route(self, req: Request) -> Response:
        path = req.raw_path
        if req.host_bucket is None and path.rstrip("/") == STATUS_PATH:
            return self.status_page(req)
        if req.host_bucket is None and self.pages and path.startswith(PAGE_PATHS):
            return self.pages(req)
        service = sigv4.scope_service(req.headers, req.raw_query)
        if service == "sagemaker" or (
            service is None and req.host_bucket is None and _RUNTIME_PATH.match(path)
        ):
            return self.runtime_call(req)
        return self.s3.handle(req)

    def status_page(self, req: Request) -> Response:
        if req.method not in ("GET", "HEAD"):
            return Response(405, {"Allow": "GET, HEAD"})
        body = json.dumps(self.status(), indent=2).encode() + b"\n"
        headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}
        if req.method == "HEAD":
            headers["Content-Length"] = str(len(body))
            return Response(200, headers)
        return Response(200, headers, body)

    def runtime_call(self, req: Request) -> Response:
        headers = {"x-amzn-RequestId": req.request_id}
        try:
            body = b""
            if req.body is not None:
                body = req.body.read(MAX_RUNTIME_BODY + 1)
                if len(body) > MAX_RUNTIME_BODY:
                    error = InvokeError("ValidationError", "Request body is too large.", 413)
                    return self._runtime_error(error, headers, close=True)
            try:
                signed = sigv4.verify(
                    method=req.method,
                    raw_path=req.raw_path,
                    raw_query=req.raw_query,
                    headers=req.headers,
                    credentials=self.credentials,
                    body_hash=hashlib.sha256(body).hexdigest(),
                )
            except sigv4.AuthError as err:
                return self._runtime_error(runtime_auth_error(err), headers)
            if signed.service != "sagemaker":
                raise InvokeError(
                    "InvalidSignatureException",
                    "Credential should be scoped to correct service: 'sagemaker'.",
                    403,
                )
            match = _RUNTIME_PATH.match(req.raw_path)
            if req.method != "POST" or not match:
                if _SYNC_PATH.match(req.raw_path):
                    raise InvokeError(
                        "ValidationError",
                        "Endpoints served by sagemaker-async "
                        "serve accept only asynchronous invocations "
                        "(InvokeEndpointAsync).",
                    )
                raise InvokeError("UnknownOperationException", "Unknown operation", 404)
            status, extra, payload = self.runtime.invoke(unquote(match.group(1)), req.headers, body)
            headers.update(extra)
            return Response(status, headers, payload)
        except InvokeError as err:
            return self._runtime_error(err, headers)
        except BodyError as err:
            error = InvokeError("SerializationException", err.message, 400)
            return self._runtime_error(error, headers, close=True)

    @staticmethod
    def _runtime_error(err: InvokeError, headers: dict, close: bool = False) -> Response:
        headers = dict(headers)
        headers["x-amzn-ErrorType"] = err.code
        headers["Content-Type"] = "application/json"
        body = json.dumps({"message": err.message}).encode()
        return Response(err.status, headers, body, close=close)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sagemaker-async-serve"
    sys_version = ""
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass  # one line per inference is logged by the workers, not one per request

    def do_GET(self):  # noqa: N802
        self._handle()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_GET  # noqa: N815

    def _request(self) -> Request:
        target = self.path
        if target.startswith(("http://", "https://")):
            parts = urlsplit(target)
            target = parts.path or "/"
            if parts.query:
                target += "?" + parts.query
        raw_path, _, raw_query = target.partition("?")
        host = (self.headers.get("Host") or "").lower()
        if host.startswith("["):
            hostname = host.split("]", 1)[0] + "]"
        else:
            hostname = host.rsplit(":", 1)[0] if ":" in host else host
        host_bucket = None
        if hostname.endswith(".localhost") and hostname != "s3.localhost":
            host_bucket = hostname[: -len(".localhost")]
            if host_bucket.endswith(".s3"):
                host_bucket = host_bucket[:-3]
        body: ChunkedReader | LengthReader | None = None
        encoding = (self.headers.get("Transfer-Encoding") or "").lower()
        length = self.headers.get("Content-Length")
        if "chunked" in encoding:
            body = ChunkedReader(self.rfile)
        elif length is not None:
            if not length.strip().isdigit():
                raise BodyError("InvalidArgument", "Invalid Content-Length")
            body = LengthReader(self.rfile, int(length))
        return Request(self.command, raw_path or "/", raw_query, self.headers, body, host_bucket)

    def _handle(self) -> None:
        app: App = self.server.app  # type: ignore[attr-defined]
        try:
            req = self._request()
        except BodyError as err:
            self.send_error(400, err.message)
            return
        if not app.enter():
            self._write(
                Response(
                    503,
                    {"Content-Type": "text/plain", "Retry-After": "1"},
                    b"sagemaker-async serve is stopping\n",
                    close=True,
                )
            )
            return
        try:
            response = app.route(req)
        except Exception as exc:  # a bug: answer 500 rather than drop the connection
            import traceback

            traceback.print_exc()
            response = Response(
                500,
                {"Content-Type": "text/plain"},
                f"InternalFailure: {exc}\n".encode(),
                close=True,
            )
        finally:
            app.leave()
        if not response.close and req.body is not None:
            try:
                if not req.body.drain(DRAIN_LIMIT):
                    response.close = True
            except (BodyError, OSError):
                response.close = True
        self._write(response)

    def _write(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if "Content-Length" not in response.headers:
                length = response.stream_length if response.stream else len(response.body)
                self.send_header("Content-Length", str(length))
            if response.close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command == "HEAD" or response.status in (204, 304):
                return
            if response.stream is not None:
                remaining = response.stream_length
                while remaining > 0:
                    chunk = response.stream.read(min(remaining, 1 << 20))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    remaining -= len(chunk)
            elif response.body:
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            if response.stream is not None:
                response.stream.close()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, host: str, port: int, app: App):
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.app = app
        super().__init__((host.strip("[]"), port), Handler)

    def handle_error(self, request, client_address):  # quiet on client disconnects
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    @property
    def url(self) -> str:
        # getsockname() of an AF_INET/AF_INET6 socket: the host is a str
        host, port = cast("tuple[str, int]", self.server_address[:2])
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port}"
