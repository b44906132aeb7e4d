"""Where S3 calls go: botocore's S3 endpoint configuration, else (for serve only) a loopback
--endpoint-url; never an endpoint made up from a non-loopback --endpoint-url."""

from __future__ import annotations

import os

import pytest

from helpers import closed_port, run_cli
from sagemaker_async.request import client as C
from sagemaker_async.request.settings import Settings

from .support import INVOKE

PAYLOAD = b"where does it go?"
SUBMIT_AND_WAIT = [*INVOKE, "--endpoint-name", "echo", "--payload", "-", "--wait"]


def test_aws_endpoint_url_serves_both_services(aws_home, serve):
    result = run_cli(SUBMIT_AND_WAIT, {**aws_home, "AWS_ENDPOINT_URL": serve.url}, input=PAYLOAD)
    assert result.returncode == 0, result.stderr
    assert result.stdout == PAYLOAD


def test_a_services_section_in_the_config_file(aws_home, serve):
    with open(aws_home["AWS_CONFIG_FILE"], "w") as f:
        f.write(
            "[default]\nregion = us-east-1\nservices = local\n\n"
            f"[services local]\ns3 =\n  endpoint_url = {serve.url}\n"
            f"sagemaker_runtime =\n  endpoint_url = {serve.url}\n"
        )
    result = run_cli(SUBMIT_AND_WAIT, aws_home, input=PAYLOAD)
    assert result.returncode == 0, result.stderr
    assert result.stdout == PAYLOAD


def test_a_configured_s3_endpoint_wins_over_the_loopback_convenience(sa):
    refused = f"http://127.0.0.1:{closed_port()}"
    env = {"AWS_ENDPOINT_URL_S3": refused, "AWS_MAX_ATTEMPTS": "1"}
    result = sa(*SUBMIT_AND_WAIT, input=PAYLOAD, env=env)
    assert result.returncode == 255
    assert refused.encode() in result.stderr  # "Could not connect to the endpoint URL: …"


def test_ignored_configured_endpoints_leave_the_loopback_convenience(sa):
    env = {
        "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{closed_port()}",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
    }
    result = sa(*SUBMIT_AND_WAIT, input=PAYLOAD, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == PAYLOAD


@pytest.fixture
def no_config(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("HOME", str(tmp_path))


def test_a_remote_endpoint_url_is_not_used_for_s3(no_config):
    settings = Settings(endpoint_url="https://runtime.example.com", region="eu-west-1")
    settings.check()
    s3 = C.make_s3_client(settings)  # built only: nothing is sent
    assert "example.com" not in s3.meta.endpoint_url
    assert s3.meta.region_name == "eu-west-1"


def test_a_loopback_endpoint_url_is_used_for_s3_with_path_style(no_config):
    settings = Settings(endpoint_url="http://127.0.0.1:9", region="us-east-1")
    settings.check()
    s3 = C.make_s3_client(settings)
    assert s3.meta.endpoint_url == "http://127.0.0.1:9"
    assert s3.meta.config.s3["addressing_style"] == "path"


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8080", True),
        ("http://127.0.0.2:8080", True),
        ("http://[::1]:8080/", True),
        ("http://localhost:8080", True),
        ("https://10.0.0.1", False),
        ("https://runtime.sagemaker.us-east-1.amazonaws.com", False),
        ("http://localhost.example.com", False),
    ],
)
def test_what_counts_as_loopback(url, loopback):
    assert C.is_loopback(url) is loopback
