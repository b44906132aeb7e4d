"""``sagemaker-async serve`` for the tests: the package's own :class:`ServeProcess` (the one way
serve is started, by the demo and the benchmarks too) plus what tests look at — botocore
clients signed with the server's keys, its ``/_status``, its notifications."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import botocore.session
from botocore.config import Config

from helpers import clean_env
from sagemaker_async.local.process import ServeProcess

REGION = "us-east-1"


def make_client(service: str, url: str, key: str, secret: str, **config: Any) -> Any:
    """A botocore client for ``url`` that tries each call once."""
    return botocore.session.Session().create_client(
        service,
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}, **config),
    )


class Serve(ServeProcess):
    """One serve process with its own ``data_dir``; its stderr log lies beside it.

    ``key``/``secret`` are what :meth:`client` signs with (serve's keys come from ``args`` or
    ``env``); ``env`` defaults to :func:`helpers.clean_env` with HOME the data dir's parent.
    """

    def __init__(
        self,
        data_dir: Path,
        args: Sequence[str] = (),
        *,
        key: str,
        secret: str,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        **popen: Any,
    ):
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self.key, self.secret = key, secret
        # A new log per start: a test may restart serve on the same data directory.
        log_path = data_dir.parent / f"{data_dir.name}-stderr-{time.monotonic_ns()}.log"
        super().__init__(
            ["--data-dir", str(data_dir), *args],
            env=clean_env(data_dir.parent) if env is None else env,
            cwd=cwd or data_dir.parent,
            log_path=log_path,
            **popen,
        )

    def client(self, service: str, **config: Any) -> Any:
        return make_client(service, self.url, self.key, self.secret, **config)

    def s3(self) -> Any:
        """A path-style S3 client, for looking at what the CLI did."""
        return self.client("s3", s3={"addressing_style": "path"})

    def create_bucket(self, name: str) -> None:
        self.s3().create_bucket(Bucket=name)

    def read(self, uri: str) -> bytes:
        bucket, key = split_s3(uri)
        return self.s3().get_object(Bucket=bucket, Key=key)["Body"].read()

    def keys(self, bucket: str, prefix: str) -> list[str]:
        listing = self.s3().list_objects_v2(Bucket=bucket, Prefix=prefix)
        return [item["Key"] for item in listing.get("Contents", [])]

    def status(self) -> dict:
        """``/_status``'s ``Endpoints``: name → backlog and counts."""
        with urllib.request.urlopen(self.url + "/_status", timeout=5) as response:
            return json.load(response)["Endpoints"]

    def wait_idle(self, endpoint: str = "echo", timeout: float = 20.0) -> dict:
        """Wait until the endpoint's backlog is empty; its status entry (as it is then)."""
        return wait_until(
            lambda: self.status()[endpoint],
            lambda entry: entry["ApproximateBacklogSize"] == 0,
            timeout,
        )

    def notifications(self) -> list[dict]:
        path = self.data_dir / "notifications.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def wait_until(read: Any, done: Any, timeout: float = 20.0, interval: float = 0.02) -> Any:
    """Call ``read()`` until ``done(value)`` or the deadline; the last value either way (the
    caller's assertion then says what was wrong)."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key
