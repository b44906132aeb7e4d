"""``sagemaker-runtime batch``: many requests from one process, resumable, against serve."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from helpers import CHILD_PYTHONPATH, run_cli

from .support import BATCH, INPUT_BUCKET, error_lines

LINES = 1200
FAIL_EVERY = 40  # these lines ask the echo model to fail
BAD_JSON_LINE = 600
UNKNOWN_ENDPOINT_LINE = 900
BLANK_LINE = 700


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def write_requests(path: Path) -> dict[int, str]:
    """LINES lines (one blank, one not JSON, one for an unknown endpoint); {line: expected}."""
    expected: dict[int, str] = {}
    with path.open("w") as f:
        for n in range(1, LINES + 1):
            if n == BLANK_LINE:
                f.write("\n")
                continue
            if n == BAD_JSON_LINE:
                f.write("{not json\n")
                expected[n] = "error"
                continue
            doc = {"EndpointName": "echo", "InferenceId": f"line-{n}", "Body": b64(b"n=%d" % n)}
            if n == UNKNOWN_ENDPOINT_LINE:
                doc["EndpointName"] = "nope"
                expected[n] = "error"
            elif n % FAIL_EVERY == 0:
                doc["CustomAttributes"] = f"fail=line {n} failed"
                expected[n] = "failed"
            else:
                expected[n] = "completed"
            f.write(json.dumps(doc) + "\n")
    return expected


def output_lines(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode().splitlines()]


def test_a_large_batch_interrupted_then_resumed_submits_each_line_once(
    start_serve, aws_home, tmp_path
):
    server = start_serve("echo")
    requests = tmp_path / "requests.jsonl"
    expected = write_requests(requests)
    state = Path(str(requests) + ".state")
    cli = [sys.executable, "-m", "sagemaker_async", "--endpoint-url", server.url, *BATCH]
    env = {**aws_home, "PYTHONPATH": CHILD_PYTHONPATH}

    # Run 1: interrupted once some lines are in the state file.
    with open(tmp_path / "run1.out", "wb") as out, open(tmp_path / "run1.err", "wb") as err:
        proc = subprocess.Popen(
            [*cli, "--requests", str(requests), "--concurrency", "2"],
            env=env,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while _count_lines(state) < 150 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 130, "the batch ended before it could be interrupted"
    run1 = output_lines((tmp_path / "run1.out").read_bytes())
    summary1 = (tmp_path / "run1.err").read_text()
    accepted1 = [line for line in run1 if line["Status"] == "submitted"]
    assert len(accepted1) == _count_lines(state)
    assert 150 <= len(accepted1) < LINES - 10
    assert "interrupted" in summary1 and "Run the same command again" in summary1
    assert "Traceback" not in summary1

    # Run 2: the same command with --wait submits the rest and collects everything.
    result = run_cli(
        ["--endpoint-url", server.url, *BATCH, "--requests", str(requests), "--wait"],
        aws_home,
        timeout=120,
    )
    assert result.returncode == 254, result.stderr  # the worst: the unknown endpoint
    run2 = output_lines(result.stdout)
    assert Counter(line["Line"] for line in run2) == Counter(list(expected))  # each line once
    statuses = {line["Line"]: line["Status"] for line in run2}
    assert statuses == expected
    skipped = [line for line in run2 if line.get("Skipped")]
    assert sorted(line["Line"] for line in skipped) == sorted(line["Line"] for line in accepted1)
    failed = next(line for line in run2 if line["Line"] == FAIL_EVERY)
    assert failed["Error"] == f"line {FAIL_EVERY} failed"
    summary2 = result.stderr.decode()
    assert f"{len(skipped)} skipped" in summary2
    n_failed = sum(1 for s in expected.values() if s == "failed")
    n_completed = sum(1 for s in expected.values() if s == "completed")
    assert f"{n_completed} completed, {n_failed} failed, 0 timed out" in summary2

    # What reached the server: every valid line exactly once.
    valid = {f"line-{n}" for n, s in expected.items() if s != "error"}
    events = _notifications(server, len(valid))
    ids = Counter(event["inferenceId"] for event in events)
    assert set(ids) == valid
    assert max(ids.values()) == 1
    status = server.status()["echo"]
    assert status["Completed"] + status["Failed"] == len(valid)


def test_payload_lines_inline_and_uploaded(sa, serve, tmp_path):
    folder = tmp_path / "job"
    folder.mkdir()
    (folder / "small.json").write_bytes(b'{"small": true}')
    big = os.urandom(200_000)
    (folder / "big.bin").write_bytes(big)
    prefix = f"batch/{tmp_path.name}/"
    lines = [
        {"EndpointName": "echo", "Payload": "small.json"},  # relative to the file's folder
        {
            "EndpointName": "echo",
            "Payload": "big.bin",
            "InputLocation": f"s3://{INPUT_BUCKET}/{prefix}",
        },
        {"EndpointName": "echo", "Payload": "big.bin"},  # too large to send inline
        {"EndpointName": "echo", "Payload": "small.json", "Body": b64(b"x")},
        {"EndpointName": "echo", "Payload": "missing.json"},
        ["not", "an", "object"],
    ]
    requests = folder / "requests.jsonl"
    requests.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = sa(*BATCH, "--requests", str(requests), "--wait")
    assert result.returncode == 252, result.stderr
    by_line = {line["Line"]: line for line in output_lines(result.stdout)}
    assert [by_line[n]["Status"] for n in range(1, 7)] == ["completed", "completed"] + ["error"] * 4
    assert serve.read(by_line[1]["OutputLocation"]) == b'{"small": true}'
    assert serve.read(by_line[2]["OutputLocation"]) == big
    assert len(serve.keys(INPUT_BUCKET, prefix)) == 1
    assert "128,000" in by_line[3]["Error"]
    assert "Payload and Body cannot both be given" in by_line[4]["Error"]
    assert "missing.json" in by_line[5]["Error"]
    assert "JSON object" in by_line[6]["Error"]


def test_without_wait_each_line_is_submitted_and_summarised(sa, tmp_path):
    requests = tmp_path / "r.jsonl"
    requests.write_text(
        "".join(
            json.dumps({"EndpointName": "echo", "Body": b64(b"%d" % n)}) + "\n" for n in range(5)
        )
    )
    result = sa(*BATCH, "--requests", str(requests), "--concurrency", "3")
    assert result.returncode == 0, result.stderr
    lines = output_lines(result.stdout)
    assert sorted(line["Line"] for line in lines) == [1, 2, 3, 4, 5]
    assert {line["Status"] for line in lines} == {"submitted"}
    assert all(line["OutputLocation"].startswith("s3://") for line in lines)
    [summary] = error_lines(result.stderr)
    assert (
        summary.startswith("batch: 5 requests: 5 submitted (") and "0 skipped, 0 errors" in summary
    )


def test_a_changed_line_is_submitted_again_and_a_torn_state_line_is_ignored(sa, tmp_path):
    requests = tmp_path / "r.jsonl"
    docs = [{"EndpointName": "echo", "Body": b64(b"%d" % n)} for n in range(3)]
    requests.write_text("".join(json.dumps(d) + "\n" for d in docs))
    assert sa(*BATCH, "--requests", str(requests)).returncode == 0
    docs[1]["Body"] = b64(b"changed")
    requests.write_text("".join(json.dumps(d) + "\n" for d in docs))
    with open(str(requests) + ".state", "a") as state:
        state.write('{"Line": 3, "Sha2')  # a crash in the middle of a write
    result = sa(*BATCH, "--requests", str(requests))
    assert result.returncode == 0, result.stderr
    statuses = {line["Line"]: line["Status"] for line in output_lines(result.stdout)}
    assert statuses == {1: "skipped", 2: "submitted", 3: "skipped"}
    assert "2 skipped (accepted in an earlier run" in result.stderr.decode()


def test_timed_out_requests_exit_4(sa, tmp_path):
    requests = tmp_path / "r.jsonl"
    requests.write_text(
        json.dumps({"EndpointName": "echo", "Body": b64(b"quick")})
        + "\n"
        + json.dumps({"EndpointName": "slow", "Body": b64(b"late"), "CustomAttributes": "sleep=3"})
        + "\n"
    )
    result = sa(
        *BATCH, "--requests", str(requests), "--wait-timeout", "0.5", "--state", str(tmp_path / "s")
    )
    assert result.returncode == 4, result.stderr
    statuses = {line["Line"]: line["Status"] for line in output_lines(result.stdout)}
    assert statuses == {1: "completed", 2: "timed-out"}
    assert (tmp_path / "s").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--requests", "r.jsonl", "--concurrency", "0"], "--concurrency"),
        (["--requests", "r.jsonl", "--concurrency", "many"], "--concurrency"),
        (["--requests", "r.jsonl", "--wait-timeout", "x"], "--wait-timeout"),
        (["--requests", "missing.jsonl"], "missing.jsonl"),
        ([], "the following arguments are required: --requests"),
    ],
)
def test_bad_options_are_252(sa, tmp_path, monkeypatch, args, words):
    (tmp_path / "r.jsonl").write_text("{}\n")
    args = [str(tmp_path / a) if a.endswith(".jsonl") else a for a in args]
    result = sa(*BATCH, *args)
    assert result.returncode == 252
    assert words in result.stderr.decode()
    assert b"Traceback" not in result.stderr


def test_throttled_calls_are_retried_with_the_configured_attempts(stub, aws_home, tmp_path):
    stub.scenario = "throttle"
    requests = tmp_path / "r.jsonl"
    requests.write_text(
        "".join(json.dumps({"EndpointName": "e", "Body": b64(b"%d" % n)}) + "\n" for n in range(2))
    )
    result = run_cli(
        ["--endpoint-url", stub.url, *BATCH, "--requests", str(requests)],
        {**aws_home, "AWS_MAX_ATTEMPTS": "2"},
    )
    assert result.returncode == 254
    lines = output_lines(result.stdout)
    assert {line["Status"] for line in lines} == {"error"}
    assert all("ThrottlingException" in line["Error"] for line in lines)
    assert len(stub.requests) == 4  # two lines, two attempts each, one connection pool


def _count_lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _notifications(server, expected: int, timeout: float = 20) -> list[dict]:
    """Notifications follow the objects by a moment: wait until all are there."""
    end = time.monotonic() + timeout
    while True:
        events = server.notifications()
        if len(events) >= expected or time.monotonic() > end:
            return events
        time.sleep(0.05)
