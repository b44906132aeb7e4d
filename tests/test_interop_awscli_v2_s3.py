"""The real AWS CLI v2 (installed by /work/shared/tools/install-aws-cli-v2.sh at
/tmp/awscli2) against ``serve``: ``aws s3 cp`` of 20 MB up, S3 to S3 (a managed copy made of
UploadPartCopy parts) and down, and ``aws s3 presign``. Runs in ``make interop``; skipped when the CLI or the shared
tools are missing. Only loopback is contacted."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.interop

AWS = Path("/tmp/awscli2/bin/aws")
REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
# ../shared/tools beside the main checkout (or beside the worktrees' parent)
SHARED_TOOLS = [REPO.parent / "shared" / "tools", REPO.parent.parent / "shared" / "tools"]
KEY, SECRET = "AKIDINTEROPV2", "interop-v2-secret"
MIB = 1024 * 1024


def environment(tmp: Path) -> dict[str, str]:
    (tmp / "config").write_text("[default]\nregion = us-east-1\n")
    (tmp / "credentials").write_text("")
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(tmp),
        "PYTHONPATH": str(SRC),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "credentials"),
        "AWS_ACCESS_KEY_ID": KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_PAGER": "",
    }


@pytest.fixture
def served(tmp_path):
    if not AWS.exists() or not any(path.is_dir() for path in SHARED_TOOLS):
        pytest.skip("needs the AWS CLI v2 at /tmp/awscli2 and ../shared/tools")
    env = environment(tmp_path)
    with open(tmp_path / "serve.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "sagemaker_async.local", "--port", "0"]
            + ["--data-dir", str(tmp_path / "data")],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
        )
    assert process.stdout is not None
    url = process.stdout.readline().decode().strip()
    assert url.startswith("http://"), (tmp_path / "serve.log").read_text()
    yield url, env
    process.terminate()
    process.wait(20)
    process.stdout.close()


def aws(url: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(AWS), "--endpoint-url", url, *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


def test_s3_cp_of_20_mb_up_across_and_down(served, tmp_path):
    url, env = served
    data = hashlib.sha256(b"v2").digest() * (20 * MIB // 32)
    (tmp_path / "big.bin").write_bytes(data)
    aws(url, env, "s3", "mb", "s3://interop-v2")
    aws(url, env, "s3", "cp", str(tmp_path / "big.bin"), "s3://interop-v2/big.bin")
    aws(url, env, "s3", "cp", "s3://interop-v2/big.bin", "s3://interop-v2/copy.bin")
    aws(url, env, "s3", "cp", "s3://interop-v2/copy.bin", str(tmp_path / "back.bin"))
    assert (tmp_path / "back.bin").read_bytes() == data
    listing = aws(url, env, "s3", "ls", "s3://interop-v2/")
    assert "copy.bin" in listing and str(len(data)) in listing
    presigned = aws(url, env, "s3", "presign", "s3://interop-v2/copy.bin").strip()
    request = urllib.request.Request(presigned, headers={"Range": "bytes=0-99"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.read() == data[:100]
