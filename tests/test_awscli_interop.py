"""A new user's check: the real AWS CLI (v1, from PyPI) against `serve` — `s3 mb`, a multipart
`s3 cp` up and down, `sagemaker-runtime invoke-endpoint-async` — and our CLI against the same
endpoint. The AWS CLI is downloaded into a venv kept beside the benchmarks (shared with
benchmarks/bench_startup.py), so this runs in `make interop`, not in `make check`; only loopback
is contacted by the test itself."""

from __future__ import annotations

import os
import subprocess
import venv
from pathlib import Path

import pytest

from helpers import REPO, clean_env, run_cli
from serving import Serve, wait_until

pytestmark = pytest.mark.interop

AWSCLI_VENV = REPO / "benchmarks" / ".venv-awscli"
BUCKET = "sagemaker-us-east-1-123456789012"
KEY, SECRET = "AKIDINTEROP", "interop-secret"


@pytest.fixture
def awscli(real_home_variables) -> Path:
    """The ``aws`` command, installed on first use with pip as this machine configures it
    (its config is found from the real HOME; its cache goes to the test's own)."""
    aws = AWSCLI_VENV / "bin" / "aws"
    if not aws.exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(AWSCLI_VENV)
        subprocess.run(
            [str(AWSCLI_VENV / "bin" / "python"), "-m", "pip", "install", "-q", "awscli"],
            env={**os.environ, **real_home_variables, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
            stdin=subprocess.DEVNULL,
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
    env = clean_env(
        tmp_path,
        AWS_CONFIG_FILE=str(tmp_path / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
        AWS_ACCESS_KEY_ID=KEY,
        AWS_SECRET_ACCESS_KEY=SECRET,
        AWS_DEFAULT_REGION="us-east-1",
    )
    (tmp_path / "config").write_text("[default]\nregion = us-east-1\n")
    (tmp_path / "credentials").write_text("")
    with Serve(tmp_path / "data", key=KEY, secret=SECRET, env=env) as server:
        yield server, {**env, "AWS_ENDPOINT_URL": server.url}, tmp_path


def test_aws_cli_s3_and_invoke_against_serve(awscli, served):
    server, env, tmp = served

    def aws(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [str(awscli), "--endpoint-url", server.url, *args],
            env=env,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )

    def run(*args: str) -> str:
        result = aws(*args)
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
    invoke = ["sagemaker-runtime", "invoke-endpoint-async", "--endpoint-name", "echo"]
    invoke += ["--input-location", "s3://inputs/small.json"]
    location = run(*invoke, "--query", "OutputLocation", "--output", "text").strip()
    assert location.startswith(f"s3://{BUCKET}/")
    got = wait_until(lambda: aws("s3", "cp", location, "-"), lambda r: r.returncode == 0, 30, 0.2)
    assert got.stdout == b'{"interop": true}', got.stderr

    # Our CLI waits for the same kind of request, on the same endpoint.
    ours = run_cli([*invoke, "--wait"], env, timeout=120)
    assert (ours.returncode, ours.stdout) == (0, b'{"interop": true}'), ours.stderr
