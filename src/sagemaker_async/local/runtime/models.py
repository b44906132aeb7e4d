"""Models an endpoint can serve: ``echo``, ``python:pkg.mod:func``, ``http://127.0.0.1:PORT``,
and model servers ``serve`` runs itself (``command:CMD``, ``docker:IMAGE``, in ``container.py``).

Every model is a callable ``(InferenceRequest, deadline, stop) -> InferenceResponse`` that raises
:class:`ModelError` for a failed inference, :class:`InvocationTimeout` past the deadline and
:class:`Interrupted` when the server is stopping and the request should be re-queued. A model may
also have ``start(context)`` (called once before serving) and ``stop(grace)``.
"""

from __future__ import annotations

import http.client
import importlib
import ipaddress
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit


class ModelSpecError(ValueError):
    """A ``--endpoint NAME=MODEL`` whose MODEL cannot be used."""


class ModelError(Exception):
    """The model answered with an error: ``status`` and ``body`` go to the failure object."""

    def __init__(self, status: int, body: bytes, content_type: str = "text/plain"):
        super().__init__(f"model returned {status}")
        self.status = status
        self.body = body
        self.content_type = content_type


class ConnectionLost(ModelError):
    """The model server closed the connection after the request was sent."""


class ModelUnreachable(ModelError):
    """No connection could be made: the request never reached the model server."""


class InvocationTimeout(Exception):
    pass


class Interrupted(Exception):
    """The server is stopping; the request goes back to the queue."""


@dataclass
class InferenceRequest:
    body: bytes
    content_type: str | None
    accept: str | None
    custom_attributes: str | None
    inference_id: str


@dataclass
class InferenceResponse:
    body: bytes
    content_type: str


@dataclass
class StartContext:
    """What a model learns when ``serve`` starts it: its endpoint and where to log."""

    endpoint: str
    log: Any  # has write(message: str); sagemaker_async.local.runtime.workers.Log
    stop: threading.Event  # set when serve is stopping
    startup_timeout: float = 600.0
    index: int = 0  # the endpoint's position, to give each its own port range


# What an endpoint serves: echo, a PythonModel or an HttpModel.
Model = Callable[[InferenceRequest, float, threading.Event], InferenceResponse]


def _wait(seconds: float, deadline: float, stop: threading.Event) -> None:
    """Sleep ``seconds``, but not past the deadline and not after a stop request."""
    end = time.monotonic() + seconds
    while True:
        now = time.monotonic()
        if now >= deadline and end > deadline:
            raise InvocationTimeout()
        if now >= end:
            return
        if stop.wait(min(end, deadline) - now):
            raise Interrupted()


# -- echo ------------------------------------------------------------------------------------
_DIRECTIVE = re.compile(r"^\s*(sleep|fail|status)\s*=\s*(.*?)\s*$")


def parse_directives(custom_attributes: str | None) -> dict[str, str]:
    """``sleep=SECONDS``, ``fail=MESSAGE``, ``status=CODE`` separated by ``;`` or ``,``."""
    out: dict[str, str] = {}
    for item in re.split(r"[;,]", custom_attributes or ""):
        match = _DIRECTIVE.match(item)
        if match:
            out[match.group(1)] = match.group(2)
    return out


def echo(request: InferenceRequest, deadline: float, stop: threading.Event) -> InferenceResponse:
    directives = parse_directives(request.custom_attributes)
    try:
        sleep = float(directives.get("sleep", "0"))
    except ValueError:
        sleep = 0.0
    if sleep > 0:
        _wait(sleep, deadline, stop)
    content_type = request.accept if request.accept and "*" not in request.accept else None
    content_type = content_type or request.content_type or "application/octet-stream"
    if "fail" in directives:
        raise ModelError(500, directives["fail"].encode("utf-8"))
    status = directives.get("status", "200")
    code = int(status) if status.isdigit() else 200
    if code >= 400:
        raise ModelError(code, request.body, content_type)
    return InferenceResponse(request.body, content_type)


# -- python:package.module:function ----------------------------------------------------------
class PythonModel:
    """Calls ``function(request)``; it returns bytes, str or ``(bytes_or_str, content_type)``.

    The call runs in its own thread so the invocation timeout can be enforced; a timed-out call
    is abandoned (Python threads cannot be killed) and its result discarded.
    """

    def __init__(self, spec: str):
        module_name, _, func_name = spec.partition(":")
        if not module_name or not func_name:
            raise ModelSpecError(
                f"python model must be python:package.module:function, not {spec!r}"
            )
        if "" not in sys.path and "." not in sys.path:
            sys.path.insert(0, "")  # the current directory, as `python -m` would
        try:
            module = importlib.import_module(module_name)
            func = getattr(module, func_name)
        except Exception as exc:  # any import-time failure is a configuration error
            raise ModelSpecError(
                f"cannot load python:{spec}: {type(exc).__name__}: {exc}"
            ) from None
        if not callable(func):
            raise ModelSpecError(f"python:{spec} is not callable")
        self.func = func
        self.spec = spec
        self.context: StartContext | None = None

    def start(self, context: StartContext) -> None:
        self.context = context

    def __call__(
        self, request: InferenceRequest, deadline: float, stop: threading.Event
    ) -> InferenceResponse:
        result: dict[str, object] = {}
        done = threading.Event()

        def run() -> None:
            try:
                result["value"] = self.func(request)
            except BaseException as exc:  # reported as a model error
                result["error"] = exc
            done.set()

        threading.Thread(target=run, name="python-model", daemon=True).start()
        if not done.wait(max(0.0, deadline - time.monotonic())):
            raise InvocationTimeout()
        if "error" in result:
            exc = result["error"]
            assert isinstance(exc, BaseException)
            self._log_failure(request, exc)
            raise ModelError(500, f"{type(exc).__name__}: {exc}".encode())
        return _to_response(result["value"], request)

    def _log_failure(self, request: InferenceRequest, exc: BaseException) -> None:
        if self.context is None:
            return
        self.context.log.write(
            f"{self.context.endpoint} {request.inference_id} python:{self.spec} raised "
            f"{type(exc).__qualname__}:\n{format_traceback(exc)}"
        )


def format_traceback(exc: BaseException) -> str:
    """The traceback as Python prints it (chained exceptions first), without the messages.

    Messages are left out because they often quote the payload (``int(b'...')``,
    ``KeyError('...')``); the failure object, which only signed clients can read, has it.
    """
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        if current.__cause__ is not None:
            current = current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            current = current.__context__
        else:
            current = None
    blocks = []
    for item in reversed(chain):
        frames = traceback.extract_tb(_skip_own_frames(item.__traceback__))
        lines = ["Traceback (most recent call last):"]
        lines += [line.rstrip("\n") for line in traceback.format_list(frames)]
        lines.append(f"{type(item).__qualname__}: (message not logged: it may quote the payload)")
        blocks.append("\n".join(lines))
    return "\n\nthen:\n".join(blocks)


def _skip_own_frames(tb: TracebackType | None) -> TracebackType | None:
    """Drop this module's frames (the thread that called the function)."""
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return tb


def _to_response(value: object, request: InferenceRequest) -> InferenceResponse:
    content_type = request.accept or request.content_type or "application/octet-stream"
    if isinstance(value, tuple) and len(value) == 2:
        value, content_type = value
    if isinstance(value, str):
        value = value.encode("utf-8")
    if not isinstance(value, (bytes, bytearray)):
        raise ModelError(500, b"python model returned neither bytes nor str")
    return InferenceResponse(bytes(value), str(content_type))


# -- http://127.0.0.1:PORT (SageMaker container contract) ------------------------------------
class HttpModel:
    """POSTs the payload to ``/invocations`` of a loopback server; one connection per worker."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname or parts.port is None:
            raise ModelSpecError(f"http model must be http://127.0.0.1:PORT, not {url!r}")
        if not is_loopback(parts.hostname):
            raise ModelSpecError(f"http model must be on a loopback address, not {parts.hostname}")
        self.host = parts.hostname
        self.port = parts.port
        self.url = url
        self._local = threading.local()

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
            self._local.conn = conn
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def ping(self, timeout: float = 2.0) -> bool:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request("GET", "/ping")
            return conn.getresponse().status == 200
        except OSError:
            return False
        finally:
            conn.close()

    def __call__(
        self, request: InferenceRequest, deadline: float, stop: threading.Event
    ) -> InferenceResponse:
        headers = {"X-Amzn-SageMaker-Inference-Id": request.inference_id}
        if request.content_type:
            headers["Content-Type"] = request.content_type
        if request.accept:
            headers["Accept"] = request.accept
        if request.custom_attributes:
            headers["X-Amzn-SageMaker-Custom-Attributes"] = request.custom_attributes
        for attempt in (1, 2):  # a kept-alive connection may have been closed by the server
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise InvocationTimeout()
            conn = self._connection(remaining)
            try:
                conn.request("POST", "/invocations", body=request.body, headers=headers)
                response = conn.getresponse()
                body = response.read()
                break
            except TimeoutError:
                self._drop()
                raise InvocationTimeout() from None
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self._drop()
                if attempt == 2:
                    raise ConnectionLost(502, b"model server closed the connection") from None
            except OSError as exc:
                self._drop()
                message = f"cannot reach model at {self.url}: {exc}".encode()
                if isinstance(exc, ConnectionRefusedError):
                    if attempt == 2:  # it closed the first connection and is gone now
                        raise ConnectionLost(502, b"model server closed the connection") from None
                    raise ModelUnreachable(502, message) from None
                raise ModelError(502, message) from None
        content_type = response.getheader("Content-Type") or "application/octet-stream"
        if response.getheader("Connection", "").lower() == "close":
            self._drop()
        if response.status >= 400:
            raise ModelError(response.status, body, content_type)
        return InferenceResponse(body, content_type)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_model(spec: str) -> Model:
    """Turn a MODEL string into a model callable, or raise ModelSpecError."""
    if spec == "echo":
        return echo
    if spec.startswith("python:"):
        return PythonModel(spec[len("python:") :])
    if spec.startswith("http://") or spec.startswith("https://"):
        return HttpModel(spec)
    if spec.startswith(("command:", "docker:")):
        from sagemaker_async.local.runtime.container import ContainerModel

        return ContainerModel.from_spec(spec)
    raise ModelSpecError(
        f"unknown model {spec!r}: use echo, python:package.module:function, "
        "http://127.0.0.1:PORT, command:CMD or docker:IMAGE"
    )
