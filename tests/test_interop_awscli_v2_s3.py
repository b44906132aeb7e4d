"""The real AWS CLI v2 (installed by ../shared/tools/install-aws-cli-v2.sh, into the
installer's own venv, as ``make differential`` does) against ``serve``: ``aws s3 cp`` of 20 MB up, S3 to S3 (a managed copy made of
UploadPartCopy parts) and down, and ``aws s3 presign``. Runs in ``make interop``; skipped when the shared tools are missing. Only loopback is contacted."""

from __future__ import annotations

import hashlib
import os
import subprocess
import urllib.request
from pathlib import Path

import pytest

from helpers import CHILD_PYTHONPATH
from sagemaker_async.local.process import ServeProcess

pytestmark = pytest.mark.interop

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
# ../shared/tools beside the checkout (or beside a worktree's parent)
INSTALLERS = [
    base / "shared" / "tools" / "install-aws-cli-v2.sh"
    for base in (REPO.parent, REPO.parent.parent)
]
KEY, SECRET = "AKIDINTEROPV2", "interop-v2-secret"
MIB = 1024 * 1024


def environment(tmp: Path) -> dict[str, str]:
    (tmp / "config").write_text("[default]\nregion = us-east-1\n")
    (tmp / "credentials").write_text("")
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(tmp),
        "PYTHONPATH": CHILD_PYTHONPATH,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "credentials"),
        "AWS_ACCESS_KEY_ID": KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_PAGER": "",
    }


@pytest.fixture(scope="module")
def aws_cli() -> str:
    installer = next((path for path in INSTALLERS if path.exists()), None)
    if installer is None:
        pytest.skip("needs ../shared/tools/install-aws-cli-v2.sh (the real AWS CLI v2)")
    done = subprocess.run(["bash", str(installer)], capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture
def served(tmp_path, aws_cli):
    env = environment(tmp_path)
    with ServeProcess(["--data-dir", str(tmp_path / "data")], env=env) as server:
        yield server.url, {**env, "AWS_CLI_V2": aws_cli}


def aws(url: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [env["AWS_CLI_V2"], "--endpoint-url", url, *args],
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
