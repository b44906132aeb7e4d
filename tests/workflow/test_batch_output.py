"""``batch`` honours the global --output and --query for its per-request records, reads its
requests from stdin with ``--requests -``, and a --download that cannot be written fails
before anything is sent."""

from __future__ import annotations

import base64
import json
import os
import pty
import subprocess
import sys

import pytest
import yaml

from helpers import CHILD_PYTHONPATH, run_cli

from .support import BATCH, INVOKE, error_lines

LINES = 3


@pytest.fixture
def requests_file(tmp_path):
    path = tmp_path / "requests.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {
                    "EndpointName": "echo",
                    "InferenceId": f"out-{n}",
                    "Body": base64.b64encode(b"%d" % n).decode(),
                }
            )
            + "\n"
            for n in range(1, LINES + 1)
        )
    )
    return path


def test_query_and_text_output_give_one_line_per_request(sa, requests_file):
    result = sa(
        *BATCH, "--requests", str(requests_file), "--query", "[Line, Status]", "--output", "text"
    )
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.decode().splitlines()) == [
        f"{n}\tsubmitted" for n in range(1, LINES + 1)
    ]
    assert "batch: 3 requests: 3 submitted" in result.stderr.decode()


def test_query_with_json_output_keeps_json_lines(sa, requests_file):
    result = sa(*BATCH, "--requests", str(requests_file), "--wait", "--query", "InferenceId")
    assert result.returncode == 0, result.stderr
    ids = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert sorted(ids) == [f"out-{n}" for n in range(1, LINES + 1)]


def test_yaml_output_is_one_yaml_list(sa, requests_file):
    result = sa(*BATCH, "--requests", str(requests_file), "--output", "yaml")
    assert result.returncode == 0, result.stderr
    records = yaml.safe_load(result.stdout)
    assert sorted(record["Line"] for record in records) == [1, 2, 3]
    assert {record["Status"] for record in records} == {"submitted"}


def test_output_off_leaves_only_the_summary(sa, requests_file):
    result = sa(*BATCH, "--requests", str(requests_file), "--output", "off")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""
    assert "3 submitted" in result.stderr.decode()


def test_requests_from_stdin(sa, requests_file, tmp_path):
    state = tmp_path / "stdin.state"
    text = requests_file.read_bytes()
    first = sa(*BATCH, "--requests", "-", "--state", str(state), input=text)
    assert first.returncode == 0, first.stderr
    assert sorted(json.loads(line)["Line"] for line in first.stdout.splitlines()) == [1, 2, 3]
    again = sa(*BATCH, "--requests", "-", "--state", str(state), input=text)
    assert "0 submitted, 3 skipped" in again.stderr.decode()  # resumable like a file


def test_requests_from_stdin_needs_a_state_file(stub, aws_home, requests_file):
    result = run_cli(
        ["--endpoint-url", stub.url, *BATCH, "--requests", "-"],
        aws_home,
        input=requests_file.read_bytes(),
    )
    assert result.returncode == 252
    assert error_lines(result.stderr) == [
        "sagemaker-async: [ERROR]: An error occurred (ParamValidation): --requests - (stdin) "
        "needs --state PATH: the file that records accepted lines, so that running the "
        "command again submits none of them twice."
    ]
    assert stub.requests == []


@pytest.mark.parametrize(
    "download, message",
    [
        ("missing/result.json", "directory {tmp}/missing does not exist"),
        ("missing/", "expected a file name, not a folder"),
        ("in.json/result.json", "{tmp}/in.json is not a directory"),
    ],
)
def test_a_download_that_cannot_be_written_fails_before_sending(
    stub, aws_home, tmp_path, monkeypatch, download, message
):
    (tmp_path / "in.json").write_bytes(b"{}")
    monkeypatch.chdir(tmp_path)
    args = ["--payload", str(tmp_path / "in.json"), "--wait", "--download", download]
    result = run_cli(
        ["--endpoint-url", stub.url, *INVOKE, "--endpoint-name", "echo", *args], aws_home
    )
    assert result.returncode == 252, result.stderr
    expected = f"--download {download}: " + message.format(tmp=tmp_path)
    assert error_lines(result.stderr) == [
        f"sagemaker-async: [ERROR]: An error occurred (ParamValidation): {expected}"
    ]
    assert stub.requests == []


def test_requests_from_a_terminal_are_refused_instead_of_waiting_for_ctrl_d(
    stub, aws_home, tmp_path
):
    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "sagemaker_async", "--endpoint-url", stub.url, *BATCH]
            + ["--requests", "-", "--state", str(tmp_path / "state")],
            env={**aws_home, "PYTHONPATH": CHILD_PYTHONPATH},
            stdin=follower,
            capture_output=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert result.returncode == 252
    assert error_lines(result.stderr) == [
        "sagemaker-async: [ERROR]: An error occurred (ParamValidation): --requests -: stdin is "
        "a terminal; pipe the requests in, or give a file."
    ]
    assert stub.requests == []


def test_wait_with_a_download_folder_that_is_missing_fails_before_polling(stub, aws_home, tmp_path):
    result = run_cli(
        ["--endpoint-url", stub.url, "sagemaker-runtime", "wait"]
        + ["--output-location", "s3://bucket/out.json", "--download", f"{tmp_path}/missing/"],
        aws_home,
    )
    assert result.returncode == 252
    assert error_lines(result.stderr) == [
        "sagemaker-async: [ERROR]: An error occurred (ParamValidation): --download "
        f"{tmp_path}/missing/: expected a file name, not a folder"
    ]
    assert stub.requests == []
