"""Fixtures that run ``sagemaker-async serve`` as a real process on 127.0.0.1 (port 0), each
with its own data directory and a clean AWS environment, plus botocore clients pointed at it."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

import serving
from helpers import clean_env
from serving import REGION, split_s3, wait_until

ACCESS_KEY = "AKIDSERVETEST"
SECRET_KEY = "serve-test-secret"
BUCKET = f"sagemaker-{REGION}-123456789012"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}

__all__ = ["BUCKET", "REGION", "split_s3"]  # re-exported for the tests here


class Serve(serving.Serve):
    """One serve process whose clients sign with this folder's keys."""

    def __init__(
        self, data_dir: Path, args: Sequence[str], env: dict[str, str], cwd: Path, **popen: Any
    ):
        super().__init__(
            data_dir, args, key=ACCESS_KEY, secret=SECRET_KEY, env=env, cwd=cwd, **popen
        )


def serve_env(tmp: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A minimal environment: no AWS_* from the developer, IMDS off, config files (absent
    unless a test writes them) ``tmp/aws-config`` and ``tmp/aws-credentials``."""
    return clean_env(
        tmp,
        AWS_CONFIG_FILE=str(tmp / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp / "aws-credentials"),
        **(extra or {}),
    )


def run_serve(
    folder: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    """``python -m sagemaker_async.local --data-dir folder/data ARGS`` run to its end (for
    start-ups that must fail), in ``folder``, with :func:`serve_env` plus ``env``."""
    return subprocess.run(
        [sys.executable, "-m", "sagemaker_async.local", "--data-dir", str(folder / "data"), *args],
        env=serve_env(folder, env),
        cwd=folder,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )


def make_client(service: str, url: str, key: str = ACCESS_KEY, secret: str = SECRET_KEY, **config):
    return serving.make_client(service, url, key, secret, **config)


def error_of(call, **kwargs) -> tuple[int, str, str]:
    """(HTTP status, error code, message) of a call that must fail."""
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    response = info.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"].get("Message", ""),
    )


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
        full_env = serve_env(tmp_path, {**(CREDENTIALS if credentials else {}), **(env or {})})
        server = Serve(data_dir or tmp_path / "data", args, full_env, cwd or tmp_path)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop(signal.SIGKILL if server.proc.poll() is None else signal.SIGTERM)


@pytest.fixture(scope="module")
def shared_serve(tmp_path_factory) -> Iterator[Serve]:
    """One server for a module's tests that do not depend on each other's counts."""
    tmp = tmp_path_factory.mktemp("shared-serve")
    server = Serve(
        tmp / "data",
        ["--endpoint", "echo", "--endpoint", "other"],
        serve_env(tmp, CREDENTIALS),
        tmp,
    )
    yield server
    server.stop()


def wait_for_object(s3, uri: str, timeout: float = 10.0) -> bytes | None:
    """Poll GetObject until the object exists (the documented client pattern)."""
    bucket, key = split_s3(uri)

    def read() -> bytes | None:
        try:
            return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            return None

    return wait_until(read, lambda body: body is not None, timeout)


def object_exists(s3, uri: str) -> bool:
    bucket, key = split_s3(uri)
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except s3.exceptions.ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey"):
            return False
        raise
