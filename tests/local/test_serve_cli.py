"""Our own CLI (``python -m sagemaker_async``) against ``serve``: the main job, offline."""

from __future__ import annotations

import base64
import json
import subprocess

import helpers
from conftest import CREDENTIALS, serve_env, wait_for_object

INVOKE = ("sagemaker-runtime", "invoke-endpoint-async")


def run_cli(tmp_path, url: str, *args: str) -> subprocess.CompletedProcess:
    env = serve_env(tmp_path, {**CREDENTIALS, "AWS_DEFAULT_REGION": "us-east-1"})
    return helpers.run_cli(["--endpoint-url", url, *args], env)


def test_invoke_endpoint_async_with_our_cli(shared_serve, tmp_path):
    payload = b'{"features": [1, 2, 3]}'
    result = run_cli(
        tmp_path,
        shared_serve.url,
        *INVOKE,
        "--endpoint-name",
        "echo",
        "--content-type",
        "application/json",
        "--body",
        base64.b64encode(payload).decode(),
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == {"InferenceId", "OutputLocation", "FailureLocation"}
    assert wait_for_object(shared_serve.client("s3"), answer["OutputLocation"]) == payload


def test_our_cli_reports_the_validation_error(shared_serve, tmp_path):
    result = run_cli(
        tmp_path,
        shared_serve.url,
        *INVOKE,
        "--endpoint-name",
        "missing",
        "--body",
        "eA==",
    )
    assert result.returncode == 254
    assert b"Endpoint missing of account 123456789012 not found." in result.stderr
