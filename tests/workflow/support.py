"""Helpers of the workflow tests: a ``sagemaker-async serve`` process, shell recipes."""

from __future__ import annotations

from pathlib import Path

import serving
from helpers import SRC, run_shell  # noqa: F401 - re-exported for the workflow tests
from stub import ACCESS_KEY, SECRET_KEY

BUCKET = "sagemaker-us-east-1-123456789012"  # created by serve for outputs and failures
INPUT_BUCKET = "my-bucket"  # created by the fixtures, for uploads


class Serve(serving.Serve):
    """One serve process for the workflow tests: the stub's keys (those ``aws_home`` signs
    with), the given endpoints, and the input bucket ready."""

    def __init__(self, data_dir: Path, endpoints: list[str], workers: int = 4):
        args = ["--workers", str(workers)]
        args += ["--access-key-id", ACCESS_KEY, "--secret-access-key", SECRET_KEY]
        for endpoint in endpoints:
            args += ["--endpoint", endpoint]
        super().__init__(data_dir, args, key=ACCESS_KEY, secret=SECRET_KEY)
        try:
            self.create_bucket(INPUT_BUCKET)
        except BaseException:
            self.stop()
            raise


INVOKE = ("sagemaker-runtime", "invoke-endpoint-async")
WAIT = ("sagemaker-runtime", "wait")
BATCH = ("sagemaker-runtime", "batch")


def error_lines(stderr: bytes) -> list[str]:
    """The non-empty lines of an error report."""
    return [line for line in stderr.decode().splitlines() if line.strip()]
