"""The HTTP front: one port speaking S3, SageMaker Runtime and a status page.

Routing: a request whose credential scope names ``sagemaker`` (or, unsigned, whose path is
``/endpoints/NAME/async-invocations``) goes to the runtime; ``GET /_status`` (an underscore
cannot start a bucket name) is the status page; everything else is S3, path-style or
``bucket.localhost`` virtual-host. Absolute-form request targets are accepted, so a client
can reach virtual-host buckets through ``serve`` configured as its HTTP proxy.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import resource
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
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
# The service's front door refuses larger requests outright (413, before authentication).
MAX_RUNTIME_BODY = 5246976
SMALL_ANSWER = 64 * 1024
LINGER_SECONDS = 2.0
DRAIN_LIMIT = 8 * 1024 * 1024  # read and dropped (never kept) so a refused client sees the answer
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
    sigv4.BAD_QUERY: ("IncompleteSignatureException", 400, ""),
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
    if err.reason == sigv4.UNSIGNED_HEADERS:
        return InvokeError(
            "InvalidSignatureException",
            f"There were headers present in the request which were not signed: {err.message}",
            403,
        )
    code, status, message = RUNTIME_AUTH_ERRORS.get(
        err.reason, RUNTIME_AUTH_ERRORS[sigv4.MALFORMED]
    )
    return InvokeError(code, message or err.message, status)


class _TooLarge(Exception):
    pass


def _too_large(headers: dict) -> Response:
    """The front door's answer to an oversized request: a bare 413 (no error type)."""
    body = json.dumps({"message": f"HTTP content length exceeded {MAX_RUNTIME_BODY} bytes."})
    headers = {**headers, "Content-Type": "application/json"}
    return Response(413, headers, body.encode(), close=True)


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
        """Check the signature from the headers, then read a bounded body, then invoke.

        An unauthenticated body is never read into memory: the headers are checked first;
        when the signature covers the body (no signed ``x-amz-content-sha256``) the body is
        hashed as it arrives and at most the model's Body limit (+1 byte) of it is kept.
        """
        headers = {"x-amzn-RequestId": req.request_id}
        declared = getattr(req.body, "length", None)
        if declared is not None and declared > MAX_RUNTIME_BODY:
            return _too_large(headers)
        try:
            pending = sigv4.check(
                method=req.method,
                raw_path=req.raw_path,
                raw_query=req.raw_query,
                headers=req.headers,
                credentials=self.credentials,
            )
            signed_hash = pending.payload_hash
            if signed_hash is not None:
                pending.finish(signed_hash)
        except sigv4.AuthError as err:
            return self._runtime_error(runtime_auth_error(err), headers)
        try:
            if pending.service != "sagemaker":
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
            body, body_hash = self._read_runtime_body(req)
            try:
                if signed_hash is None:
                    pending.finish(body_hash)
                elif not hmac.compare_digest(signed_hash, body_hash):
                    raise sigv4.AuthError(sigv4.BAD_SIGNATURE, "payload hash")
            except sigv4.AuthError as err:
                return self._runtime_error(runtime_auth_error(err), headers)
            status, extra, payload = self.runtime.invoke(unquote(match.group(1)), req.headers, body)
            headers.update(extra)
            return Response(status, headers, payload)
        except InvokeError as err:
            return self._runtime_error(err, headers)
        except BodyError as err:
            error = InvokeError("SerializationException", err.message, 400)
            return self._runtime_error(error, headers, close=True)
        except _TooLarge:
            return _too_large(headers)

    def _read_runtime_body(self, req: Request) -> tuple[bytes, str]:
        """``(kept, sha256 hex)``: the whole body is hashed, at most Body's limit + 1 is kept
        (enough for the service's length validation to refuse it)."""
        digest = hashlib.sha256()
        kept = bytearray()
        keep = (self.runtime.body_max or MAX_RUNTIME_BODY) + 1
        total = 0
        while req.body is not None:
            data = req.body.read(1 << 16)
            if not data:
                break
            total += len(data)
            if total > MAX_RUNTIME_BODY:  # a chunked body declares no length up front
                raise _TooLarge
            digest.update(data)
            if len(kept) < keep:
                kept += data[: keep - len(kept)]
        return bytes(kept), digest.hexdigest()

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

    def setup(self) -> None:
        self._expect_continue = False
        super().setup()
        limits: Limits = self.server.limits  # type: ignore[attr-defined]
        self.connection.settimeout(limits.read_timeout)  # bounds every recv and send

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass  # one line per inference is logged by the workers, not one per request

    def handle_one_request(self) -> None:
        # From here until the headers are parsed the connection is idle or sending headers:
        # both end at a deadline (slowloris), and an idle one may be closed to admit another.
        self.server.connections.waiting(self.connection)  # type: ignore[attr-defined]
        self._expect_continue = False
        super().handle_one_request()

    def handle_expect_100(self) -> bool:
        self._expect_continue = True  # answered when the body is first read (bodies.py)
        return True

    def _send_continue(self) -> None:
        if self._expect_continue:
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def do_GET(self):  # noqa: N802
        self.server.connections.busy(self.connection)
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
        limits: Limits = self.server.limits  # type: ignore[attr-defined]
        encoding = (self.headers.get("Transfer-Encoding") or "").lower()
        length = self.headers.get("Content-Length")
        if "chunked" in encoding:
            body = ChunkedReader(self.rfile, self._send_continue, limits.read_timeout)
        elif length is not None:
            if not length.strip().isdigit() or len(length.strip()) > 19:
                raise BodyError("InvalidArgument", "Invalid Content-Length")
            body = LengthReader(self.rfile, int(length), self._send_continue, limits.read_timeout)
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
        linger = req.body is not None and response.close and not req.body.complete
        unread = req.body is not None and not response.close
        if unread and self._expect_continue and not req.body.started:
            response.close = True  # the client waits for 100 Continue: never read the body
            unread = linger = False
        if unread and (response.stream is not None or len(response.body) > SMALL_ANSWER):
            unread = False  # a large answer could block on a client still sending: drain first
            if not self._drain(req):
                response.close = True
        self._write(response)
        # A small answer goes first: a refused client reads it as soon as it has sent its
        # body (which is dropped, never kept), and the connection stays usable.
        if unread and not self.close_connection and not self._drain(req):
            self.close_connection = True
        if linger:
            self._linger()
        connections: Connections = self.server.connections  # type: ignore[attr-defined]
        if self.close_connection:
            connections.remove(self.connection)  # closing: no longer counts against the limit
        else:
            connections.waiting(self.connection)  # idle from now on, until the next request

    def _linger(self) -> None:
        """After refusing a body unread, read and drop what the client still sends for a
        moment before closing, so that it gets to read the answer instead of a reset."""
        end = time.monotonic() + LINGER_SECONDS
        with contextlib.suppress(OSError):
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(LINGER_SECONDS)
            while time.monotonic() < end and self.connection.recv(1 << 16):
                pass

    def _drain(self, req: Request) -> bool:
        try:
            return req.body.drain(DRAIN_LIMIT)
        except (BodyError, OSError):
            return False

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
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True
        finally:
            if response.stream is not None:
                response.stream.close()


@dataclass(frozen=True)
class Limits:
    """Bounds on connections. ``SAGEMAKER_ASYNC_SERVE_LIMITS`` (``name=value,…``) overrides
    the defaults, e.g. ``header_timeout=2,read_timeout=2`` in tests."""

    header_timeout: float = 20.0  # idle keep-alive, or request line + headers (slowloris)
    read_timeout: float = 60.0  # any single read or write of a request in progress
    max_connections: int = 0  # 0: from the fd limit (half of what the reserve leaves)
    fd_reserve: int = 128  # fds kept for workers, the store and the queue

    @classmethod
    def from_env(cls) -> Limits:
        values: dict[str, float] = {}
        names = {f.name: f.type for f in fields(cls)}
        for item in os.environ.get("SAGEMAKER_ASYNC_SERVE_LIMITS", "").split(","):
            name, _, value = item.partition("=")
            name = name.strip()
            if name in names:
                try:
                    values[name] = float(value)
                except ValueError:
                    continue
        return cls(
            header_timeout=values.get("header_timeout", cls.header_timeout),
            read_timeout=values.get("read_timeout", cls.read_timeout),
            max_connections=int(values.get("max_connections", cls.max_connections)),
            fd_reserve=int(values.get("fd_reserve", cls.fd_reserve)),
        )

    def connection_limit(self) -> int:
        if self.max_connections > 0:
            return self.max_connections
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            soft = 4096
        # each connection holds its socket and, while answering, often one open object file
        return max(8, min(1024, (soft - self.fd_reserve) // 2))


_SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)
_REFUSED = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\nRetry-After: 1\r\n"
    b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(_SLOW_DOWN), _SLOW_DOWN)
)


class Connections:
    """Open connections, each idle/sending headers (with a deadline) or busy.

    At the limit, the longest-waiting idle connection is closed to admit a new one (as a
    keep-alive pool would); if every connection is busy, the new one gets 503 SlowDown.
    Deadlines are enforced by :meth:`reap`, called from the accept loop.
    """

    def __init__(self, limit: int, header_timeout: float):
        self.limit = limit
        self.header_timeout = header_timeout
        self._lock = threading.Lock()
        self._deadlines: dict[socket.socket, float | None] = {}  # None: busy

    def __len__(self) -> int:
        return len(self._deadlines)

    def admit(self, sock: socket.socket) -> bool:
        with self._lock:
            if len(self._deadlines) >= self.limit:
                victim = self._idlest()
                if victim is None:
                    return False
                self._deadlines.pop(victim)
                _shut(victim)
            self._deadlines[sock] = time.monotonic() + self.header_timeout
            return True

    def _idlest(self) -> socket.socket | None:
        """The longest-waiting connection with nothing to read (a request already sent, not
        yet parsed, is not idle), or one its client has closed; None if there is none."""
        waiting = sorted((d, id(s), s) for s, d in self._deadlines.items() if d is not None)
        for _deadline, _id, sock in waiting:
            poller = select.poll()
            try:
                poller.register(sock, select.POLLIN)
                events = poller.poll(0)
            except (OSError, ValueError):
                return sock  # already closed
            if not events:
                return sock
            with contextlib.suppress(OSError):
                if sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b"":
                    return sock  # the client closed it
        return None

    def waiting(self, sock: socket.socket) -> None:
        with self._lock:
            if sock in self._deadlines:
                self._deadlines[sock] = time.monotonic() + self.header_timeout

    def busy(self, sock: socket.socket) -> None:
        with self._lock:
            if sock in self._deadlines:
                self._deadlines[sock] = None

    def remove(self, sock: socket.socket) -> None:
        with self._lock:
            self._deadlines.pop(sock, None)

    def reap(self) -> None:
        now = time.monotonic()
        with self._lock:
            late = [s for s, d in self._deadlines.items() if d is not None and d < now]
            for sock in late:
                self._deadlines.pop(sock)
        for sock in late:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    """Wake the thread blocked reading ``sock``: it sees end-of-stream and closes it."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, host: str, port: int, app: App, limits: Limits | None = None):
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.app = app
        self.limits = limits or Limits.from_env()
        self.connections = Connections(self.limits.connection_limit(), self.limits.header_timeout)
        super().__init__((host.strip("[]"), port), Handler)

    def process_request(self, request, client_address):
        if not self.connections.admit(request):
            with contextlib.suppress(OSError):
                request.settimeout(1.0)
                request.sendall(_REFUSED)
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        self.connections.remove(request)
        super().shutdown_request(request)

    def service_actions(self) -> None:
        self.connections.reap()

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
