"""Helpers of the workflow tests: a ``sagemaker-async serve`` process, shell recipes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

from helpers import SRC, run_shell  # noqa: F401 - re-exported for the workflow tests
from stub import ACCESS_KEY, SECRET_KEY

BUCKET = "sagemaker-us-east-1-123456789012"  # created by serve for outputs and failures
INPUT_BUCKET = "my-bucket"  # created by the fixtures, for uploads
START_TIMEOUT = 20.0


class Serve:
    """One ``python -m sagemaker_async serve`` process."""

    def __init__(self, data_dir: Path, endpoints: list[str], workers: int = 4):
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self.log_path = data_dir.parent / f"{data_dir.name}.log"
        env = {
            "PATH": os.environ.get("PATH", os.defpath),
            "HOME": str(data_dir.parent),
            "PYTHONPATH": str(SRC),
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
        args = [sys.executable, "-m", "sagemaker_async", "serve", "--port", "0"]
        args += ["--data-dir", str(data_dir), "--workers", str(workers)]
        args += ["--access-key-id", ACCESS_KEY, "--secret-access-key", SECRET_KEY]
        for endpoint in endpoints:
            args += ["--endpoint", endpoint]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                args, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, env=env
            )
        self.url = self._read_url()
        self.create_bucket(INPUT_BUCKET)

    def _read_url(self) -> str:
        line: list[bytes] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()))
        reader.daemon = True
        reader.start()
        reader.join(START_TIMEOUT)
        if not line or not line[0].startswith(b"http://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"serve did not start: {self.log_path.read_text()}")
        return line[0].decode().strip()

    def s3(self):
        """A botocore S3 client for looking at what the CLI did."""
        import botocore.session
        from botocore.config import Config

        return botocore.session.Session().create_client(
            "s3",
            region_name="us-east-1",
            endpoint_url=self.url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
        )

    def create_bucket(self, name: str) -> None:
        self.s3().create_bucket(Bucket=name)

    def read(self, uri: str) -> bytes:
        bucket, _, key = uri[len("s3://") :].partition("/")
        return self.s3().get_object(Bucket=bucket, Key=key)["Body"].read()

    def keys(self, bucket: str, prefix: str) -> list[str]:
        listing = self.s3().list_objects_v2(Bucket=bucket, Prefix=prefix)
        return [item["Key"] for item in listing.get("Contents", [])]

    def status(self) -> dict:
        with urllib.request.urlopen(self.url + "/_status", timeout=5) as response:
            return json.load(response)["Endpoints"]

    def notifications(self) -> list[dict]:
        path = self.data_dir / "notifications.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


INVOKE = ("sagemaker-runtime", "invoke-endpoint-async")
WAIT = ("sagemaker-runtime", "wait")
BATCH = ("sagemaker-runtime", "batch")


def error_lines(stderr: bytes) -> list[str]:
    """The non-empty lines of an error report."""
    return [line for line in stderr.decode().splitlines() if line.strip()]
