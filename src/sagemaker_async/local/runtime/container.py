"""Model servers ``serve`` runs itself, the way SageMaker runs a container.

``command:CMD`` starts ``CMD`` (shell-split, in the current directory) with
``SAGEMAKER_BIND_TO_PORT`` set to a free loopback port; ``docker:IMAGE`` runs
``docker run --rm -p 127.0.0.1:PORT:8080 IMAGE serve``. Either way ``serve`` waits for
``GET /ping`` to answer 200, then forwards invocations with the ``http://`` model's code.

A supervisor thread watches the process. When it exits, the invocations it was answering fail
with the exit status as their reason, the process is started again after a back-off (1 s,
doubling up to 30 s; back to 1 s once a process stayed up for 60 s), and invocations that
arrive meanwhile wait for it instead of failing. Its stdout and stderr go to the serve log, one
line at a time, prefixed with the endpoint name.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque

from sagemaker_async.local.runtime.models import (
    ConnectionLost,
    HttpModel,
    InferenceRequest,
    InferenceResponse,
    Interrupted,
    ModelError,
    ModelSpecError,
    ModelUnreachable,
    StartContext,
)

FIRST_BACKOFF = 1.0
MAX_BACKOFF = 30.0
STABLE_AFTER = 60.0  # seconds up before the back-off starts again from FIRST_BACKOFF
PING_TIMEOUT = 2.0  # SageMaker's /ping timeout
PING_INTERVAL = 0.1
STDERR_TAIL = 20  # lines quoted when the server never gets healthy
PORT_RANGE_BASE = 20000  # SAGEMAKER_SAFE_PORT_RANGE: 1000 ports per endpoint from here

# Supervisor states, shown on /_status and the dashboard.
STARTING = "Starting"
HEALTHY = "Healthy"
RESTARTING = "Restarting"
STOPPED = "Stopped"


# Runs first in the child: on Linux, ask for SIGTERM when serve dies (even by SIGKILL, which
# serve cannot catch), then become the model server (exec keeps the request). A launcher rather
# than preexec_fn, which is unsafe in a process with threads.
LAUNCHER = """
import os, signal, sys
if sys.platform.startswith("linux"):
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() != int(sys.argv[1]):
            os._exit(1)  # serve died before prctl
    except Exception:
        pass
try:
    os.execvp(sys.argv[2], sys.argv[2:])
except OSError as exc:
    sys.stderr.write(f"cannot run {sys.argv[2]}: {exc}\\n")
    os._exit(127)
"""


class ContainerStartError(Exception):
    """The model server exited or never answered /ping within the start-up timeout."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class ContainerModel:
    """A model server process per the SageMaker container contract, restarted when it dies."""

    def __init__(self, spec: str, argv: list[str], docker: bool):
        self.spec = spec
        self.argv = argv
        self.docker = docker
        self.context: StartContext | None = None
        self.state = STOPPED
        self.pid: int | None = None
        self.port: int | None = None
        self.restarts = 0
        self.last_exit: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._http: HttpModel | None = None
        self._generation = 0
        self._changed = threading.Condition()
        self._stderr_tail: deque[str] = deque(maxlen=STDERR_TAIL)
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None

    @classmethod
    def from_spec(cls, spec: str) -> ContainerModel:
        kind, _, rest = spec.partition(":")
        rest = rest.strip()
        if kind == "docker":
            if not rest or any(c.isspace() for c in rest):
                raise ModelSpecError(f"docker model must be docker:IMAGE, not {spec!r}")
            if shutil.which("docker") is None:
                raise ModelSpecError("docker is not on PATH")
            return cls(spec, [rest], docker=True)
        try:
            argv = shlex.split(rest)
        except ValueError as exc:
            raise ModelSpecError(f"cannot split command {rest!r}: {exc}") from None
        if not argv:
            raise ModelSpecError("command model must be command:CMD with a command")
        if shutil.which(argv[0]) is None:
            hint = ""
            if "=" in argv[0]:
                hint = " (CMD is not run by a shell: set variables with `env NAME=VALUE CMD`)"
            raise ModelSpecError(f"command not found: {argv[0]}{hint}")
        return cls(spec, argv, docker=False)

    # -- what the endpoint status shows ----------------------------------------------------
    def status(self) -> dict:
        return {
            "State": self.state,
            "Pid": self.pid,
            "Port": self.port,
            "Restarts": self.restarts,
            "LastExit": self.last_exit,
        }

    # -- life cycle ------------------------------------------------------------------------
    def start(self, context: StartContext) -> None:
        """Start the server and wait until it is healthy; raise ContainerStartError if not."""
        self.context = context
        self.state = STARTING
        try:
            self._launch()
            self._await_healthy(context.startup_timeout)
        except ContainerStartError:
            self._terminate(grace=2.0)
            self.state = STOPPED
            raise
        self._supervisor = threading.Thread(
            target=self._supervise, name=f"supervisor-{context.endpoint}", daemon=True
        )
        self._supervisor.start()

    def stop(self, grace: float) -> None:
        """SIGTERM, then SIGKILL after ``grace`` seconds; no restart afterwards."""
        self._stopping.set()
        with self._changed:
            self._changed.notify_all()
        self._terminate(grace)
        if self._supervisor is not None:
            self._supervisor.join(5.0)
            self._terminate(grace)  # one it may have launched while we were stopping it
        self.state = STOPPED

    def _command(self, port: int) -> list[str]:
        if self.docker:
            return ["docker", "run", "--rm", "-p", f"127.0.0.1:{port}:8080", self.argv[0], "serve"]
        return list(self.argv)

    def _launch(self) -> None:
        assert self.context is not None
        port = free_port()
        low = PORT_RANGE_BASE + 1000 * self.context.index
        env = dict(os.environ)
        env["SAGEMAKER_BIND_TO_PORT"] = str(port)
        env["SAGEMAKER_SAFE_PORT_RANGE"] = f"{low}-{low + 999}"
        command = self._command(port)
        try:
            proc = subprocess.Popen(
                [sys.executable, "-c", LAUNCHER, str(os.getpid()), *command],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=True,  # its own process group: signals reach its children
            )
        except OSError as exc:
            raise ContainerStartError(f"cannot start {shlex.join(command)}: {exc}") from None
        self._stderr_tail.clear()
        for stream, name in ((proc.stdout, "stdout"), (proc.stderr, "stderr")):
            threading.Thread(
                target=self._copy_output,
                args=(stream, name),
                name=f"{self.context.endpoint}-{name}",
                daemon=True,
            ).start()
        with self._changed:
            self._proc = proc
            self.pid = proc.pid
            self.port = port
            self._http = HttpModel(f"http://127.0.0.1:{port}")
        self.context.log.write(
            f"endpoint {self.context.endpoint}: started {shlex.join(command)} "
            f"(pid {proc.pid}, SAGEMAKER_BIND_TO_PORT={port})"
        )

    def _copy_output(self, stream, name: str) -> None:
        assert self.context is not None
        prefix = f"[{self.context.endpoint} {name}] "
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if name == "stderr":
                self._stderr_tail.append(line)
            self.context.log.write(prefix + line)
        stream.close()

    def _await_healthy(self, timeout: float) -> None:
        assert self.context is not None and self._proc is not None and self._http is not None
        end = time.monotonic() + timeout
        while True:
            code = self._proc.poll()
            if code is not None:
                raise ContainerStartError(
                    f"the model server exited ({describe_exit(code)}) before answering "
                    f"GET /ping{self._tail()}"
                )
            if self._http.ping(PING_TIMEOUT):
                break
            if time.monotonic() >= end:
                where = "port 8080 in the container" if self.docker else "SAGEMAKER_BIND_TO_PORT"
                raise ContainerStartError(
                    f"the model server did not answer GET /ping with 200 within "
                    f"{timeout:g} s (--startup-timeout; does it listen on {where}?){self._tail()}"
                )
            if self.context.stop.wait(PING_INTERVAL) or self._stopping.is_set():
                raise ContainerStartError("serve is stopping")
        with self._changed:
            self.state = HEALTHY
            self._generation += 1
            self._changed.notify_all()
        self.context.log.write(
            f"endpoint {self.context.endpoint}: model server healthy on port {self.port}"
        )

    def _tail(self) -> str:
        time.sleep(0.1)  # let the output threads catch the last lines
        lines = list(self._stderr_tail)
        if not lines:
            return "; it wrote nothing on stderr"
        return "; its last stderr lines:\n" + "\n".join("  " + line for line in lines)

    def _supervise(self) -> None:
        assert self.context is not None
        backoff = FIRST_BACKOFF
        while not self._stopping.is_set():
            proc = self._proc
            assert proc is not None
            started = time.monotonic()
            code = proc.wait()
            if self._stopping.is_set():
                return
            with self._changed:
                self.state = RESTARTING
                self.last_exit = describe_exit(code)
                self._changed.notify_all()
            if time.monotonic() - started >= STABLE_AFTER:
                backoff = FIRST_BACKOFF
            self.context.log.write(
                f"ERROR endpoint {self.context.endpoint}: model server (pid {proc.pid}) "
                f"stopped ({self.last_exit}); restarting in {backoff:g} s"
            )
            while not self._stopping.is_set():
                if self._stopping.wait(backoff):
                    return
                backoff = min(backoff * 2, MAX_BACKOFF)
                self.restarts += 1
                try:
                    self._launch()
                    self._await_healthy(self.context.startup_timeout)
                    break
                except ContainerStartError as exc:
                    self._terminate(grace=2.0)
                    if self._stopping.is_set() or self.context.stop.is_set():
                        return  # serve is stopping: no more restarts
                    self.context.log.write(
                        f"ERROR endpoint {self.context.endpoint}: restart failed: {exc}; "
                        f"retrying in {backoff:g} s"
                    )

    def _terminate(self, grace: float) -> None:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    # -- one invocation --------------------------------------------------------------------
    def _ready(self, stop: threading.Event) -> tuple[HttpModel, int, float]:
        """Wait until the server is healthy: (its client, its generation, seconds waited)."""
        began = time.monotonic()
        with self._changed:
            while self.state != HEALTHY:
                if stop.is_set() or self._stopping.is_set():
                    raise Interrupted()
                self._changed.wait(0.5)
            assert self._http is not None
            return self._http, self._generation, time.monotonic() - began

    def __call__(
        self, request: InferenceRequest, deadline: float, stop: threading.Event
    ) -> InferenceResponse:
        waited_total = 0.0
        while True:
            # Waiting for a (re)starting server does not count against the invocation timeout:
            # the request is still waiting for capacity, as in SageMaker's queue.
            http, generation, waited = self._ready(stop)
            waited_total += waited
            try:
                return http(request, deadline + waited_total, stop)
            except ModelUnreachable:
                # Nothing was sent: wait for the restarted server and try again.
                if not self._died(generation):
                    raise
            except ConnectionLost:
                if stop.is_set() or self._stopping.is_set():
                    raise Interrupted() from None
                if self._died(generation):
                    assert self.context is not None
                    reason = (
                        f"the model server of endpoint {self.context.endpoint} "
                        f"stopped ({self.last_exit}) during the invocation; it is being restarted"
                    )
                    raise ModelError(502, reason.encode()) from None
                raise

    def _died(self, generation: int, wait: float = 2.0) -> bool:
        """Whether the process answering ``generation`` has exited (giving it ``wait`` s)."""
        end = time.monotonic() + wait
        with self._changed:
            while self._generation == generation and self.state == HEALTHY:
                remaining = end - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return True
