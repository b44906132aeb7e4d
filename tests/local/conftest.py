"""Fixtures that run ``sagemaker-async serve`` as a real process on 127.0.0.1 (port 0), each
with its own data directory and a clean AWS environment, plus botocore clients pointed at it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import botocore.session
import pytest
from botocore.config import Config

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

ACCESS_KEY = "AKIDSERVETEST"
SECRET_KEY = "serve-test-secret"
REGION = "us-east-1"
BUCKET = f"sagemaker-{REGION}-123456789012"
START_TIMEOUT = 15.0


def serve_env(tmp: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A minimal environment: no AWS_* from the developer, IMDS off, empty config files."""
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(tmp),
        "PYTHONPATH": str(SRC),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "aws-credentials"),
    }
    env.update(extra or {})
    return env


class Serve:
    """One ``serve`` process: its URL, its stderr log, clients, and ways to stop it."""

    def __init__(self, data_dir: Path, args: list[str], env: dict[str, str], cwd: Path):
        self.data_dir = data_dir
        self.log_path = data_dir.parent / f"{data_dir.name}-stderr-{time.monotonic_ns()}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sagemaker_async.local",
                "--port",
                "0",
                "--data-dir",
                str(data_dir),
                *args,
            ],
            stdout=subprocess.PIPE,
            stderr=self._log,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
        )
        self.url = self._read_url()

    def _read_url(self) -> str:
        line: list[bytes] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()))
        reader.daemon = True
        reader.start()
        reader.join(START_TIMEOUT)
        if not line or not line[0].startswith(b"http://"):
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"serve did not start: {self.stderr()}")
        return line[0].decode().strip()

    def stderr(self) -> str:
        return self.log_path.read_text(errors="replace")

    def status(self) -> dict:
        with urllib.request.urlopen(self.url + "/_status", timeout=5) as response:
            return json.load(response)["Endpoints"]

    def wait_idle(self, endpoint: str = "echo", timeout: float = 20.0) -> dict:
        """Wait until the endpoint's backlog is empty; returns its status entry."""
        end = time.monotonic() + timeout
        while True:
            entry = self.status()[endpoint]
            if entry["ApproximateBacklogSize"] == 0 or time.monotonic() > end:
                return entry
            time.sleep(0.05)

    def client(self, service: str, **config):
        return make_client(service, self.url, **config)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        if not self._log.closed:
            self.proc.stdout.close()
            self._log.close()
        return code


def make_client(service: str, url: str, key: str = ACCESS_KEY, secret: str = SECRET_KEY, **config):
    session = botocore.session.Session()
    return session.create_client(
        service,
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}, **config),
    )


@pytest.fixture(autouse=True)
def _fake_aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory) -> None:
    """In-process botocore clients see fake credentials and no config files."""
    home = tmp_path_factory.getbasetemp() / "aws-home"
    home.mkdir(exist_ok=True)
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "credentials"))


@pytest.fixture
def start_serve(tmp_path: Path) -> Iterator:
    """``start_serve(*args, data_dir=None, env=None, cwd=None)`` → a running :class:`Serve`."""
    started: list[Serve] = []

    def start(
        *args: str,
        data_dir: Path | None = None,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        credentials: bool = True,
    ) -> Serve:
        extra = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
        full_env = serve_env(tmp_path, {**(extra if credentials else {}), **(env or {})})
        server = Serve(data_dir or tmp_path / "data", list(args), full_env, cwd or tmp_path)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop(signal.SIGKILL if server.proc.poll() is None else signal.SIGTERM)


@pytest.fixture(scope="module")
def shared_serve(tmp_path_factory) -> Iterator[Serve]:
    """One server for a module's tests that do not depend on each other's counts."""
    tmp = tmp_path_factory.mktemp("shared-serve")
    env = serve_env(tmp, {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY})
    server = Serve(tmp / "data", ["--endpoint", "echo", "--endpoint", "other"], env, tmp)
    yield server
    server.stop()


def split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key


def wait_for_object(s3, uri: str, timeout: float = 10.0) -> bytes | None:
    """Poll GetObject until the object exists (the documented client pattern)."""
    bucket, key = split_s3(uri)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            time.sleep(0.02)
    return None


def object_exists(s3, uri: str) -> bool:
    bucket, key = split_s3(uri)
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except s3.exceptions.ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey"):
            return False
        raise
