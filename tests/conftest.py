"""Shared fixtures: a clean AWS environment, a loopback stub, and a throw-away AWS home."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from stub import ACCESS_KEY, SECRET_KEY, StubServer

# Proxy variables would route even loopback requests of in-process clients elsewhere.
PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy"}


def pytest_configure(config: pytest.Config) -> None:
    # Registered here because filterwarnings=error turns an unknown mark into a failure.
    config.addinivalue_line(
        "markers",
        "slow: waits on retries with backoff, refused connections or read timeouts "
        "(deselect with -m 'not slow')",
    )
    config.addinivalue_line(
        "markers", "browser: drives a real headless Chromium (select with -m browser)"
    )


@pytest.fixture(autouse=True)
def clean_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's AWS settings or reaches the instance metadata service."""
    for name in list(os.environ):
        if name.startswith("AWS_") or name.lower() in PROXY_VARIABLES:
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def stub_server() -> Iterator[StubServer]:
    """One stub for the whole session; use the ``stub`` fixture, which resets it per test."""
    with StubServer() as server:
        yield server


@pytest.fixture
def stub(stub_server: StubServer) -> StubServer:
    """The session's stub with no recorded requests and the ``ok`` scenario."""
    stub_server.reset()
    return stub_server


def write_aws_home(home: Path) -> tuple[Path, Path]:
    """Config (region us-east-1) and credentials (the stub's key pair) under ``home/.aws``."""
    aws_dir = home / ".aws"
    aws_dir.mkdir(parents=True, exist_ok=True)
    config = aws_dir / "config"
    credentials = aws_dir / "credentials"
    config.write_text("[default]\nregion = us-east-1\n")
    credentials.write_text(
        f"[default]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
    )
    return config, credentials


@pytest.fixture
def aws_home(tmp_path: Path) -> dict[str, str]:
    """An environment for CLI subprocesses: a temp HOME with config and credentials, no other
    AWS_* variable, and the metadata service disabled."""
    home = tmp_path / "home"
    config, credentials = write_aws_home(home)
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
