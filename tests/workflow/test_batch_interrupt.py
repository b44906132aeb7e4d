"""Ctrl-C during ``batch --wait``, as a user presses it: a real SIGINT to a real process,
against a real serve, at moments from "just started" to "waiting for results". Whenever it
comes, the outcome is the same: exit 130, one output line for every request that was
accepted (in this run or an earlier one), the summary, and nothing lost."""

from __future__ import annotations

import base64
import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from helpers import CHILD_PYTHONPATH, run_cli

from .support import BATCH

LINES = 16
# Seconds between the moment the batch has read its requests and the Ctrl-C: 0 lands while
# it builds its clients, the larger ones while it submits and while it waits.
DELAYS = [0.0, 0.0, 0.02, 0.05, 0.1, 0.15, 0.25, 0.4, 0.6, 0.9]


def requests_text(endpoint: str, sleep: float) -> str:
    return "".join(
        json.dumps(
            {
                "EndpointName": endpoint,
                "InferenceId": f"{endpoint}-{n}",
                "CustomAttributes": f"sleep={sleep}",
                "Body": base64.b64encode(b"line %d" % n).decode(),
            }
        )
        + "\n"
        for n in range(1, LINES + 1)
    )


def feed_fifo(path: Path, text: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    """Write ``text`` into the named pipe once the batch opens it to read its requests."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as e:  # ENXIO: no reader yet
            if e.errno != errno.ENXIO or proc.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.005)
    os.set_blocking(fd, True)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def state_lines(path: Path) -> set[int]:
    if not path.exists():
        return set()
    return {json.loads(line)["Line"] for line in path.read_text().splitlines() if line.strip()}


def test_ctrl_c_at_any_moment_ends_with_every_known_result_and_the_summary(
    start_serve, aws_home, tmp_path
):
    server = start_serve("echo", "held")
    env = {**aws_home, "PYTHONPATH": CHILD_PYTHONPATH}
    base = [sys.executable, "-m", "sagemaker_async", "--endpoint-url", server.url, *BATCH]
    fresh_text = requests_text("echo", 0.3)
    # An earlier run accepted every line of this file; its inferences take a minute, so a
    # resumed --wait run is still waiting for them when it is interrupted.
    resumed_text = requests_text("held", 60)
    earlier = tmp_path / "earlier.jsonl"
    earlier.write_text(resumed_text)
    first = run_cli(["--endpoint-url", server.url, *BATCH, "--requests", str(earlier)], aws_home)
    assert first.returncode == 0, first.stderr
    assert state_lines(Path(f"{earlier}.state")) == set(range(1, LINES + 1))

    for run, delay in enumerate(DELAYS):
        folder = tmp_path / f"run-{run}"
        folder.mkdir()
        requests = folder / "requests.jsonl"
        state = folder / "requests.jsonl.state"
        resumed = run % 2 == 1
        if resumed:
            shutil.copy(f"{earlier}.state", state)
        os.mkfifo(requests)  # the batch reads it like a file; the test sees when it does
        with open(folder / "out", "wb") as out, open(folder / "err", "wb") as err:
            proc = subprocess.Popen(
                [*base, "--requests", str(requests), "--wait"],
                env=env,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
            )
            feed_fifo(requests, resumed_text if resumed else fresh_text, proc)
            time.sleep(delay)
            proc.send_signal(signal.SIGINT)
            code = proc.wait(60)
        where = f"run {run} (delay {delay} s, {'resumed' if resumed else 'fresh'})"
        stderr = (folder / "err").read_text()
        assert code == 130, f"{where}: exit {code}\n{stderr}"
        assert "Traceback" not in stderr, where
        summary = re.search(r"batch: interrupted; (\d+) requests not submitted", stderr)
        assert summary, f"{where}: no summary\n{stderr}"
        results = [json.loads(line) for line in (folder / "out").read_text().splitlines()]
        reported = [result["Line"] for result in results]
        assert len(reported) == len(set(reported)), f"{where}: a line reported twice"
        assert state_lines(state) <= set(reported), f"{where}: an accepted line is missing"
        assert len(reported) + int(summary[1]) == LINES, f"{where}: {results}\n{stderr}"
        expected = {"skipped"} if resumed else {"submitted", "completed"}
        assert {result["Status"] for result in results} <= expected, where


def test_a_second_ctrl_c_stops_waiting_for_calls_in_flight_and_says_so(
    start_serve, aws_home, tmp_path
):
    server = start_serve("echo")
    total = 600
    requests = tmp_path / "requests.jsonl"
    requests.write_text(
        "".join(json.dumps({"EndpointName": "echo", "Body": "aGk="}) + "\n" for _ in range(total))
    )
    state = Path(f"{requests}.state")
    cli = [sys.executable, "-m", "sagemaker_async", "--endpoint-url", server.url, *BATCH]
    with open(tmp_path / "out", "wb") as out, open(tmp_path / "err", "wb") as err:
        proc = subprocess.Popen(
            [*cli, "--requests", str(requests), "--wait"],
            env={**aws_home, "PYTHONPATH": CHILD_PYTHONPATH},
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while len(state_lines(state)) < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGINT)
        code = proc.wait(30)
    stderr = (tmp_path / "err").read_text()
    assert code == 130, stderr
    assert "Traceback" not in stderr
    summary = re.search(r"batch: interrupted; (\d+) requests not submitted", stderr)
    assert summary, stderr
    abandoned = re.search(r"(\d+) abandoned in flight", stderr)
    results = [json.loads(line) for line in (tmp_path / "out").read_text().splitlines()]
    reported = {result["Line"] for result in results}
    assert len(reported) == len(results)
    in_flight = int(abandoned[1]) if abandoned else 0
    assert len(reported) + int(summary[1]) + in_flight == total
