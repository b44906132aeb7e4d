"""The shell recipes in docs/ run as written (against the loopback stub)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from helpers import REPO, run_shell

DOCS = REPO / "docs"
FENCE = re.compile(r"^## (?P<title>[^\n]+)\n(?:(?!^## ).)*?```sh\n(?P<body>.*?)```", re.M | re.S)


def shell_blocks(page: str) -> dict[str, str]:
    text = (DOCS / page).read_text()
    return {m["title"]: m["body"] for m in FENCE.finditer(text)}


@pytest.mark.parametrize("title", ["With jq", "With Python only (no jq on the machine)"])
def test_templating_recipes(stub, aws_home, tmp_path, title):
    if "jq" in title and shutil.which("jq") is None:
        pytest.skip("jq is not installed; the Python recipe covers the same steps")
    script = shell_blocks("templating.md")[title]
    result = run_shell(script, {**aws_home, "AWS_ENDPOINT_URL": stub.url}, tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert len(stub.requests) == 1
    request = stub.requests[0]
    assert request["path"] == "/endpoints/my-endpoint/async-invocations"
    assert request["headers"]["x-amzn-sagemaker-inputlocation"] == "s3://my-bucket/input.json"
    assert not any(
        request["headers"].get(h) == "" for h in request["headers"] if h.startswith("x-amzn")
    )


def test_the_unfiltered_skeleton_fails_as_the_page_says(stub, aws_home, tmp_path):
    script = """
    sagemaker-async sagemaker-runtime invoke-endpoint-async --cli-input-json "$(
      sagemaker-async sagemaker-runtime invoke-endpoint-async --generate-cli-skeleton input |
      python3 -c 'import json,sys; d=json.load(sys.stdin); d["EndpointName"]="my-endpoint"; print(json.dumps(d))')"
    """
    result = run_shell(script, {**aws_home, "AWS_ENDPOINT_URL": stub.url}, tmp_path)
    assert result.returncode == 252
    assert (
        b"Invalid length for parameter InferenceId, value: 0, valid min length: 1" in result.stderr
    )
    assert stub.requests == []


def test_cli_reference_matches_the_live_help():
    result = subprocess.run(
        [sys.executable, str(DOCS / "cli_reference.py"), "--check"],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, "docs/cli-reference.md is stale: run `make docs`"
