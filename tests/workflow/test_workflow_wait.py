"""``sagemaker-runtime wait``: collect a result later, from locations or the invoke's JSON."""

from __future__ import annotations

import json
import re
import uuid

from .support import BUCKET, INVOKE, WAIT, error_lines, run_shell

PAYLOAD = b'{"rows": [[1, 2], [3, 4]]}'


def submit(sa, *extra: str) -> dict:
    result = sa(*INVOKE, "--endpoint-name", "echo", "--payload", "-", *extra, input=PAYLOAD)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_fed_from_invoke_through_a_real_shell_pipe(aws_home, serve, tmp_path):
    script = f"""
    sagemaker-async --endpoint-url {serve.url} sagemaker-runtime invoke-endpoint-async \\
        --endpoint-name echo --payload - < payload.json |
      sagemaker-async sagemaker-runtime wait --endpoint-url {serve.url} > result.json
    """
    (tmp_path / "payload.json").write_bytes(PAYLOAD)
    result = run_shell(script, aws_home, tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "result.json").read_bytes() == PAYLOAD
    assert result.stderr == b""


def test_locations_given_as_options_and_download(sa, tmp_path):
    response = submit(sa)
    out = tmp_path / "result.json"
    result = sa(
        *WAIT,
        "--output-location",
        response["OutputLocation"],
        "--failure-location",
        response["FailureLocation"],
        "--download",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""
    assert out.read_bytes() == PAYLOAD


def test_failed_inference_exits_3(sa):
    response = submit(sa, "--custom-attributes", "fail=out of memory")
    result = sa(*WAIT, input=json.dumps(response))
    assert result.returncode == 3
    assert result.stdout == b""
    assert "out of memory" in result.stderr.decode()


def test_timeout_exits_4_and_names_both_locations(sa):
    missing = f"s3://{BUCKET}/never/{uuid.uuid4()}"
    result = sa(
        *WAIT,
        "--output-location",
        missing + ".out",
        "--failure-location",
        missing + "-error.out",
        "--wait-timeout",
        "0.2",
    )
    assert result.returncode == 4
    [line] = error_lines(result.stderr)
    assert missing + ".out" in line and missing + "-error.out" in line
    assert re.search(r"Timed out after \d+\.\d s", line)


def test_zero_timeout_looks_once(sa):
    response = submit(sa)
    result = sa(*WAIT, "--output-location", response["OutputLocation"], "--wait-timeout", "0")
    # Either the echo was already written or not: both are answers, never a hang.
    assert result.returncode in (0, 4)


def test_bad_input_is_one_line_and_252(sa):
    cases = [
        ((), b"", "Expected JSON on stdin"),
        ((), b"not json", "Expected JSON on stdin"),
        ((), b'{"InferenceId": "x"}', "No OutputLocation or FailureLocation"),
        (("--output-location", "s3://bucket-only"), None, "--output-location must be"),
        (("--output-location", f"s3://{BUCKET}/prefix/"), None, "must name an object"),
        (("--failure-location", "/tmp/x"), None, "--failure-location must be"),
    ]
    for args, stdin, words in cases:
        result = sa(*WAIT, *args, input=stdin)
        assert result.returncode == 252, (args, result.stderr)
        [line] = error_lines(result.stderr)
        assert words in line


def test_an_unknown_bucket_fails_fast_instead_of_waiting(sa):
    result = sa(*WAIT, "--output-location", "s3://no-such-bucket/x.out", "--wait-timeout", "60")
    assert result.returncode == 254
    assert b"NoSuchBucket" in result.stderr


def test_help(sa):
    result = sa(*WAIT, "help")
    assert result.returncode == 0
    text = result.stdout.decode()
    assert "--output-location" in text and "--failure-location" in text
