"""invoke-endpoint-async --payload / --wait / --wait-timeout / --download, against serve."""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import subprocess
import time

from helpers import start_cli

from .support import BUCKET, INPUT_BUCKET, INVOKE, error_lines

SMALL = b'{"features": [1, 2, 3]}\n'


def test_small_payload_goes_inline_and_prints_the_invoke_response(sa, serve, tmp_path):
    (tmp_path / "in.json").write_bytes(SMALL)
    result = sa(*INVOKE, "--endpoint-name", "echo", "--payload", str(tmp_path / "in.json"))
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert set(response) == {"InferenceId", "OutputLocation", "FailureLocation"}
    event = _notification(serve, response["InferenceId"])
    assert "inputLocation" not in event["requestParameters"]  # inline Body, no upload


def test_wait_writes_the_result_and_nothing_else_to_stdout(sa, tmp_path):
    payload = bytes(range(256)) * 10  # not text: written back byte for byte
    (tmp_path / "in.bin").write_bytes(payload)
    result = sa(*INVOKE, "--endpoint-name", "echo", "--payload", str(tmp_path / "in.bin"), "--wait")
    assert result.returncode == 0, result.stderr
    assert result.stdout == payload
    assert result.stderr == b""  # no progress when stderr is not a terminal


def test_payload_from_stdin(sa):
    result = sa(*INVOKE, "--endpoint-name", "echo", "--payload", "-", "--wait", input=SMALL)
    assert result.returncode == 0, result.stderr
    assert result.stdout == SMALL


def test_large_payload_without_input_location_is_refused_before_sending(sa, serve, tmp_path):
    (tmp_path / "big.bin").write_bytes(b"x" * 128_001)
    before = serve.status()["echo"]
    result = sa(*INVOKE, "--endpoint-name", "echo", "--payload", str(tmp_path / "big.bin"))
    assert result.returncode == 252
    assert result.stdout == b""
    [line] = error_lines(result.stderr)
    assert "128,001 bytes" in line and "128,000" in line and "--input-location" in line
    assert serve.status()["echo"]["Completed"] == before["Completed"]


def test_exactly_128000_bytes_still_go_inline(sa, tmp_path):
    (tmp_path / "edge.bin").write_bytes(b"y" * 128_000)
    result = sa(
        *INVOKE, "--endpoint-name", "echo", "--payload", str(tmp_path / "edge.bin"), "--wait"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"y" * 128_000


def test_large_payload_is_uploaded_under_a_prefix_with_a_generated_key(sa, serve, tmp_path):
    payload = os.urandom(300_000)
    (tmp_path / "big.bin").write_bytes(payload)
    prefix = f"inputs/{tmp_path.name}/"
    result = sa(
        *INVOKE,
        "--endpoint-name",
        "echo",
        "--payload",
        str(tmp_path / "big.bin"),
        "--input-location",
        f"s3://{INPUT_BUCKET}/{prefix}",
        "--content-type",
        "application/x-test",
        "--wait",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == payload
    [key] = serve.keys(INPUT_BUCKET, prefix)
    assert re.fullmatch(re.escape(prefix) + r"[0-9a-f-]{36}\.bin", key)
    head = serve.s3().head_object(Bucket=INPUT_BUCKET, Key=key)
    assert head["ContentType"] == "application/x-test"


def test_an_input_location_key_is_used_as_given(sa, serve, tmp_path):
    (tmp_path / "in.json").write_bytes(SMALL)
    key = f"exact/{tmp_path.name}/payload.json"
    result = sa(
        *INVOKE,
        "--endpoint-name",
        "echo",
        "--payload",
        str(tmp_path / "in.json"),
        "--input-location",
        f"s3://{INPUT_BUCKET}/{key}",
    )
    assert result.returncode == 0, result.stderr
    assert serve.read(f"s3://{INPUT_BUCKET}/{key}") == SMALL
    event = _notification(serve, json.loads(result.stdout)["InferenceId"])
    assert event["requestParameters"]["inputLocation"] == f"s3://{INPUT_BUCKET}/{key}"


def test_payload_and_body_together_are_refused(sa, tmp_path):
    (tmp_path / "in.json").write_bytes(SMALL)
    for extra in (["--body", "aGk="], ["--cli-input-json", '{"Body": "aGk="}']):
        result = sa(
            *INVOKE, "--endpoint-name", "echo", "--payload", str(tmp_path / "in.json"), *extra
        )
        assert result.returncode == 252
        [line] = error_lines(result.stderr)
        assert "--payload and --body cannot both be given" in line


def test_bad_workflow_values_are_one_line_and_252(sa, tmp_path):
    cases = [
        (["--payload", str(tmp_path / "missing.json")], "No such file"),
        (["--payload", "-", "--wait-timeout", "soon"], "--wait-timeout"),
        (["--payload", "-", "--wait-timeout", "-1"], "--wait-timeout"),
        (["--payload", "-", "--download", str(tmp_path / "no" / "dir" / "out")], "does not exist"),
        (["--payload", "-", "--input-location", "https://x/y"], "s3://bucket/key"),
    ]
    for args, words in cases:
        result = sa(*INVOKE, "--endpoint-name", "echo", *args, input=b"{}")
        assert result.returncode == 252, (args, result.stderr)
        [line] = error_lines(result.stderr)
        assert words in line and "Traceback" not in line


def test_failed_inference_exits_3_with_the_failure_object_on_stderr(sa):
    result = sa(
        *INVOKE,
        "--endpoint-name",
        "echo",
        "--payload",
        "-",
        "--custom-attributes",
        "fail=the model says no",
        "--wait",
        input=SMALL,
    )
    assert result.returncode == 3
    assert result.stdout == b""
    assert "the model says no" in result.stderr.decode()


def test_timeout_exits_4_naming_both_locations(sa):
    result = sa(
        *INVOKE,
        "--endpoint-name",
        "slow",
        "--payload",
        "-",
        "--custom-attributes",
        "sleep=3",
        "--wait-timeout",
        "0.3",
        input=SMALL,
    )
    assert result.returncode == 4
    assert result.stdout == b""
    [line] = error_lines(result.stderr)
    assert re.search(r"Timed out after \d+\.\d s", line)
    assert "async-endpoint-outputs/slow/" in line and "async-endpoint-failures/slow/" in line


def test_download_writes_the_file_and_prints_the_response_with_query(sa, tmp_path):
    (tmp_path / "in.json").write_bytes(SMALL)
    out = tmp_path / "results" / "out.json"
    out.parent.mkdir()
    result = sa(
        *INVOKE,
        "--endpoint-name",
        "echo",
        "--inference-id",
        "download-1",
        "--payload",
        str(tmp_path / "in.json"),
        "--download",
        str(out),
        "--query",
        "InferenceId",
        "--output",
        "text",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"download-1\n"
    assert out.read_bytes() == SMALL
    assert os.listdir(out.parent) == ["out.json"]  # no temporary file left


def test_failed_download_leaves_no_file(sa, tmp_path):
    out = tmp_path / "out.json"
    result = sa(
        *INVOKE,
        "--endpoint-name",
        "echo",
        "--payload",
        "-",
        "--custom-attributes",
        "fail=nope",
        "--download",
        str(out),
        input=SMALL,
    )
    assert result.returncode == 3
    assert json.loads(result.stdout)["OutputLocation"].startswith(f"s3://{BUCKET}/")
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_ctrl_c_while_waiting_exits_130_and_leaves_nothing(aws_home, serve, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "in.json").write_bytes(SMALL)
    slow = ["--endpoint-url", serve.url, *INVOKE, "--endpoint-name", "slow", "--payload"]
    proc = start_cli(
        [*slow, "in.json", "--custom-attributes", "sleep=5", "--download", "out.json"],
        aws_home,
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # the invoke response is printed before waiting
    assert first.startswith(b"{")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert b"Traceback" not in err
    assert sorted(os.listdir(work)) == ["in.json"]


def test_progress_is_drawn_only_on_a_terminal(aws_home, serve, tmp_path):
    """stderr is a pseudo-terminal here: a waiting line is drawn, then cleared."""
    leader, follower = pty.openpty()
    slow = ["--endpoint-url", serve.url, *INVOKE, "--endpoint-name", "slow", "--payload"]
    proc = start_cli(
        [*slow, "-", "--custom-attributes", "sleep=0.6", "--wait"],
        aws_home,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=follower,
    )
    os.close(follower)
    out, _ = proc.communicate(SMALL, timeout=30)
    drawn = _read_all(leader)
    assert proc.returncode == 0
    assert out == SMALL
    assert b"Waiting for s3://" in drawn
    assert drawn.endswith(b"\r\x1b[K")


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO once the other side is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


def _notification(serve, inference_id: str, timeout: float = 10) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for event in serve.notifications():
            if event["inferenceId"] == inference_id:
                return event
        time.sleep(0.05)
    raise AssertionError(f"no notification for {inference_id}")
