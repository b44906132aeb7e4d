"""README's main job (`make demo`) works on this machine: serve, the CLI, a real payload."""

from __future__ import annotations

import os
import subprocess
import sys

from helpers import SRC


def test_demo_runs_the_whole_job(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(SRC),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    result = subprocess.run(
        [sys.executable, "-m", "sagemaker_async.local.demo"],
        env=env,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    out = result.stdout.decode()
    assert result.returncode == 0, out + result.stderr.decode()
    assert '{"hello": "world"}\n(exit 0)' in out  # the payload came back through echo
    assert "200,012 bytes" in out  # the uploaded payload's result was downloaded
    assert "(exit 3)" in out and b"model exploded" in result.stderr
