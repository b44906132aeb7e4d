"""``serve`` as docs/local-endpoint.md tells a newcomer to start it: in the background from a
real shell, with the URL read by ``$(…)``, and with ``--bucket`` creating buckets."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

from helpers import CHILD_PYTHONPATH, REPO, run_shell
from serving import make_client
from stub import ACCESS_KEY, SECRET_KEY

PAGE = REPO / "docs" / "local-endpoint.md"
BLOCK = re.compile(r"```sh\n(?P<body>url=\$\(sagemaker-async serve .*?)```", re.S)


def wait_until_gone(pid: int, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_the_url_recipe_returns_while_serve_runs_on_in_the_background(aws_home, tmp_path):
    lines = BLOCK.search(PAGE.read_text())["body"].strip().splitlines()
    start, stop = lines[:-1], lines[-1]
    assert stop.startswith("kill ")
    # The recipe up to the kill: before the fix, ``$(…)`` never returned (timeout here).
    try:
        started = run_shell(
            "\n".join([*start, "cat serve-data/serve.lock"]), aws_home, tmp_path, 60
        )
    except subprocess.TimeoutExpired:
        os.kill(int((tmp_path / "serve-data" / "serve.lock").read_text()), signal.SIGTERM)
        raise
    assert started.returncode == 0, started.stderr.decode()
    greeting, pid_text = started.stdout.decode().splitlines()
    url = greeting.removeprefix("serve is listening on ")
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url), greeting
    pid = int(pid_text)
    try:
        # Still serving after the shell that started it has exited.
        with urllib.request.urlopen(url + "/_status", timeout=10) as response:
            assert "echo" in json.load(response)["Endpoints"]
        s3 = make_client("s3", url, ACCESS_KEY, SECRET_KEY, s3={"addressing_style": "path"})
        s3.head_bucket(Bucket="inputs")  # --bucket inputs created it
        assert "buckets created (if missing): inputs" in (tmp_path / "serve.log").read_text()
    finally:
        stopped = run_shell(stop, aws_home, tmp_path, 60)
    assert stopped.returncode == 0, stopped.stderr.decode()
    assert wait_until_gone(pid), "serve did not stop on the recipe's kill"
    assert (tmp_path / "serve.log").read_text().rstrip().endswith("stopped")


def test_a_bad_bucket_name_is_one_line_and_exit_252(aws_home, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sagemaker_async", "serve", "--port", "0", "--bucket", "Bad_Name"],
        env={**aws_home, "PYTHONPATH": CHILD_PYTHONPATH},
        cwd=tmp_path,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert result.returncode == 252
    assert result.stdout == b""
    assert result.stderr.decode().splitlines() == [
        "sagemaker-async serve: error: invalid bucket name 'Bad_Name' in --bucket: 3 to 63 "
        "lowercase letters, digits, hyphens and dots, starting and ending with a letter or digit"
    ]
    assert not (tmp_path / ".sagemaker-async").exists()  # refused before anything was made
