"""A new user's check: the real AWS CLI (v1, from PyPI) against `serve` — `s3 mb`, a multipart
`s3 cp` up and down, `sagemaker-runtime invoke-endpoint-async` — and our CLI against the same
endpoint. The AWS CLI is installed into a throw-away venv (shared with
benchmarks/bench_startup.py); only loopback is contacted."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest

from helpers import REPO, SRC

AWSCLI_VENV = REPO / "benchmarks" / ".venv-awscli"
BUCKET = "sagemaker-us-east-1-123456789012"


def awscli() -> Path:
    aws = AWSCLI_VENV / "bin" / "aws"
    if not aws.exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(AWSCLI_VENV)
        subprocess.run(
            [str(AWSCLI_VENV / "bin" / "python"), "-m", "pip", "install", "-q", "awscli"],
            check=False,
            capture_output=True,
            timeout=600,
        )
    if not aws.exists():
        if os.environ.get("CI"):
            pytest.fail("could not install awscli from PyPI")
        pytest.skip("awscli could not be installed (no registry?)")
    return aws


@pytest.fixture
def served(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(SRC),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_ACCESS_KEY_ID": "AKIDINTEROP",
        "AWS_SECRET_ACCESS_KEY": "interop-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    (tmp_path / "config").write_text("[default]\nregion = us-east-1\n")
    (tmp_path / "credentials").write_text("")
    process = subprocess.Popen(
        [sys.executable, "-m", "sagemaker_async", "serve", "--port", "0"]
        + ["--data-dir", str(tmp_path / "data")],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    url = process.stdout.readline().decode().strip()
    assert url.startswith("http://127.0.0.1:")
    yield url, {**env, "AWS_ENDPOINT_URL": url}, tmp_path
    process.terminate()
    process.wait(timeout=30)
    process.stdout.close()


def test_aws_cli_s3_and_invoke_against_serve(served):
    url, env, tmp = served
    aws = str(awscli())

    def run(*args):
        result = subprocess.run(
            [aws, "--endpoint-url", url, *args], env=env, capture_output=True, timeout=120
        )
        assert result.returncode == 0, result.stderr.decode()
        return result.stdout.decode()

    payload = tmp / "payload.bin"
    payload.write_bytes(os.urandom(20 * 1024 * 1024))  # above the 8 MB multipart threshold
    run("s3", "mb", "s3://inputs")
    run("s3", "cp", str(payload), "s3://inputs/payload.bin")
    run("s3", "cp", "s3://inputs/payload.bin", str(tmp / "back.bin"))
    assert (tmp / "back.bin").read_bytes() == payload.read_bytes()

    small = tmp / "small.json"
    small.write_text('{"interop": true}')
    run("s3", "cp", str(small), "s3://inputs/small.json")
    location = run(
        "sagemaker-runtime",
        "invoke-endpoint-async",
        "--endpoint-name",
        "echo",
        "--input-location",
        "s3://inputs/small.json",
        "--query",
        "OutputLocation",
        "--output",
        "text",
    ).strip()
    assert location.startswith(f"s3://{BUCKET}/")
    deadline = time.monotonic() + 30
    while True:
        got = subprocess.run(
            [aws, "--endpoint-url", url, "s3", "cp", location, "-"],
            env=env,
            capture_output=True,
            timeout=60,
        )
        if got.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert got.stdout == b'{"interop": true}'

    # Our CLI waits for the same kind of request, on the same endpoint.
    ours = subprocess.run(
        [
            sys.executable,
            "-m",
            "sagemaker_async",
            "sagemaker-runtime",
            "invoke-endpoint-async",
            "--endpoint-name",
            "echo",
            "--input-location",
            "s3://inputs/small.json",
            "--wait",
        ],
        env=env,
        capture_output=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert (ours.returncode, ours.stdout) == (0, b'{"interop": true}'), ours.stderr
