"""``sagemaker-async serve`` as a child process: the one way the demo, the tests and the
benchmarks start it.

:class:`ServeProcess` runs ``python -m sagemaker_async serve --port 0 ARGS``, reads the URL
the server prints once it is listening, waits until ``/_status`` answers, and stops it with
SIGTERM (then SIGKILL). stderr goes to a log file, which a failed start reports.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0
STATUS_PATH = "/_status"


class ServeStartError(RuntimeError):
    """serve did not start; the message ends with what it wrote to stderr."""


class ServeProcess:
    """One running ``serve``: its ``url``, its ``proc`` and the ``log_path`` of its stderr.

    ``env`` is the child's whole environment (None: this process's); ``log_path`` None means a
    temporary log, removed by :meth:`stop`; ``popen`` goes to :class:`subprocess.Popen`.
    """

    def __init__(
        self,
        args: Sequence[str] = (),
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        log_path: str | os.PathLike[str] | None = None,
        python: str = sys.executable,
        timeout: float = START_TIMEOUT,
        **popen: Any,
    ):
        self._own_log = log_path is None
        if log_path is None:
            handle, log_path = tempfile.mkstemp(prefix="sagemaker-async-serve-", suffix=".log")
            os.close(handle)
        self.log_path = Path(log_path)
        command = [python, "-m", "sagemaker_async", "serve", "--port", "0", *args]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                env=None if env is None else dict(env),
                cwd=cwd,
                **popen,
            )
        try:
            deadline = time.monotonic() + timeout
            self.url = self._read_url(deadline)
            self._wait_for_status(deadline)
        except ServeStartError:
            self.stop(signal.SIGKILL)
            raise

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def stderr(self) -> str:
        """Everything serve has written to stderr so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        """Send ``sig`` (SIGKILL if it has not exited within ``timeout``); the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        if self._own_log:
            self.log_path.unlink(missing_ok=True)
        return code

    def _failed(self, why: str) -> ServeStartError:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        return ServeStartError(f"serve {why} (exit {self.proc.returncode}):\n{self.stderr()}")

    def _read_url(self, deadline: float) -> str:
        # A thread, so that a server that never prints cannot block past the deadline.
        assert self.proc.stdout is not None
        stdout = self.proc.stdout
        line: list[bytes] = []
        reader = threading.Thread(target=lambda: line.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(max(0.0, deadline - time.monotonic()))
        url = line[0].decode(errors="replace").strip() if line else ""
        if not url.startswith("http://"):
            raise self._failed("did not print its URL")
        return url

    def _wait_for_status(self, deadline: float) -> None:
        parts = urllib.parse.urlsplit(self.url)
        while True:
            # http.client, not urllib: no proxy settings apply to this loopback request.
            connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
            try:
                connection.request("GET", STATUS_PATH)
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            finally:
                connection.close()
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise self._failed(f"did not answer {STATUS_PATH}")
            time.sleep(0.05)
