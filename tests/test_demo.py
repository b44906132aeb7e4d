"""README's main job (`make demo`) works on this machine: serve, the CLI, a real payload."""

from __future__ import annotations

import subprocess
import sys

from helpers import clean_env


def test_demo_runs_the_whole_job(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sagemaker_async.local.demo"],
        env=clean_env(tmp_path),
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
