"""README's main job (`make demo`) works on this machine: serve, the CLI, a real payload; and it
tells the truth at the end: it names no file that is gone once it has ended."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from helpers import clean_env

PATH = re.compile(r"(?<![\w:/])/[\w.@%+=:,/-]+")


def test_demo_runs_the_whole_job_and_names_no_file_it_removed(tmp_path):
    temp = tmp_path / "tmp"  # where the demo makes (and removes) its temporary folder
    temp.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "sagemaker_async.local.demo"],
        env=clean_env(tmp_path / "home", TMPDIR=str(temp)),
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    out = result.stdout.decode()
    assert result.returncode == 0, out + result.stderr.decode()
    assert '{"hello": "world"}\n(exit 0)' in out  # the payload came back through echo
    assert "200,012 bytes" in out  # the uploaded payload's result was downloaded
    assert "identical to the payload" in out
    assert "(exit 3)" in out and b"model exploded" in result.stderr
    # Commands ("$ …") show the paths they used; every other line must name only paths that
    # still exist, so a reader can go and look.
    told = [line for line in out.splitlines() if not line.startswith("$ ")]
    named = [path for line in told for path in PATH.findall(line)]
    assert [path for path in named if not os.path.exists(path)] == []
    assert os.listdir(temp) == []  # and it did clean up
    assert out.rstrip().endswith("is now removed.")
