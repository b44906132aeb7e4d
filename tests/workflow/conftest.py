"""Workflow tests run the real CLI against ``sagemaker-async serve``, started as a real process
on 127.0.0.1 (port 0) with its own data directory; nothing leaves the machine.

``serve`` (session-wide) serves ``echo`` and ``slow`` (both the echo model; ``slow`` takes the
``sleep=`` requests so they never hold up ``echo``'s workers). Tests that count what reached
the server start their own with ``start_serve``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import run_cli

from .support import Serve


@pytest.fixture(scope="session")
def serve(tmp_path_factory) -> Iterator[Serve]:
    server = Serve(tmp_path_factory.mktemp("workflow-serve") / "data", ["echo", "slow"])
    yield server
    server.stop()


@pytest.fixture
def start_serve(tmp_path: Path) -> Iterator:
    """``start_serve(*endpoints)`` → a :class:`Serve` of this test's own (stopped after it)."""
    started: list[Serve] = []

    def start(*endpoints: str, workers: int = 4) -> Serve:
        server = Serve(tmp_path / f"serve-{len(started)}", list(endpoints or ["echo"]), workers)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def sa(aws_home, serve, tmp_path):
    """``sa(*args, input=None, env=None, url=serve.url)``: the CLI against serve, in tmp_path."""

    def run(*args: str, input: bytes | str | None = None, env=None, url=None, timeout=60):
        full_env = {**aws_home, **(env or {})}
        return run_cli(
            ["--endpoint-url", url or serve.url, *args], full_env, input=input, timeout=timeout
        )

    return run
