"""`make demo` tells the truth at the end: it names no file that is gone once it has ended."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from helpers import SRC

PATH = re.compile(r"(?<![\w:/])/[\w.@%+=:,/-]+")


def test_the_demo_names_no_file_it_has_removed(tmp_path):
    temp = tmp_path / "tmp"  # where the demo makes (and removes) its temporary folder
    temp.mkdir()
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(tmp_path),
        "TMPDIR": str(temp),
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
    # Commands ("$ …") show the paths they used; every other line must name only paths that
    # still exist, so a reader can go and look.
    told = [line for line in out.splitlines() if not line.startswith("$ ")]
    named = [path for line in told for path in PATH.findall(line)]
    assert [path for path in named if not os.path.exists(path)] == []
    assert os.listdir(temp) == []  # and it did clean up
    assert "identical to the payload" in out
    assert out.rstrip().endswith("is now removed.")
