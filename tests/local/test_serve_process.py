"""The one way serve is started (``sagemaker_async.local.process``): a server that cannot start
is reported with its stderr, one that never answers is stopped at the deadline."""

from __future__ import annotations

import pytest

from conftest import CREDENTIALS, serve_env
from helpers import closed_port
from sagemaker_async.local.process import ServeProcess, ServeStartError


def test_a_server_that_cannot_start_is_reported_with_its_stderr(tmp_path):
    with pytest.raises(ServeStartError) as info:
        ServeProcess(
            ["--data-dir", str(tmp_path / "d"), "--endpoint", "bad_name"],
            env=serve_env(tmp_path, CREDENTIALS),
        )
    assert "did not print its URL (exit 252)" in str(info.value)
    assert "invalid endpoint name" in str(info.value)


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("echo http://127.0.0.1:{port}; exec sleep 60", "did not answer /_status"),
        ("exec sleep 60", "did not print its URL"),
    ],
    ids=["no-status", "silent"],
)
def test_a_server_that_never_answers_is_killed_at_the_deadline(tmp_path, script, reason):
    fake = tmp_path / "fake-python"
    fake.write_text("#!/bin/sh\n" + script.format(port=closed_port()) + "\n")
    fake.chmod(0o755)
    with pytest.raises(ServeStartError) as info:
        ServeProcess(python=str(fake), env=serve_env(tmp_path), timeout=1)
    assert reason in str(info.value) and "(exit -9)" in str(info.value)


def test_stop_answers_the_exit_code_and_keeps_a_given_log(tmp_path):
    log = tmp_path / "serve.log"
    server = ServeProcess(
        ["--data-dir", str(tmp_path / "d")], env=serve_env(tmp_path, CREDENTIALS), log_path=log
    )
    assert server.url.startswith("http://127.0.0.1:")
    assert server.stop() == 0
    assert server.stderr().rstrip().endswith("stopped") and log.exists()
