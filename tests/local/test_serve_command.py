"""The ``serve`` command's start-up errors: one line on stderr, a documented exit code."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from conftest import ACCESS_KEY, SECRET_KEY, run_serve, serve_env

CREDS = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}


def one_line(result) -> str:
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in lines[0]
    return lines[0]


def test_non_loopback_bind_is_refused_without_the_flag(tmp_path):
    result = run_serve(tmp_path, "--host", "0.0.0.0", "--port", "0", env=CREDS)
    assert result.returncode == 252
    assert "--allow-remote" in one_line(result)
    assert result.stdout == b""


def test_no_credentials(tmp_path):
    result = run_serve(tmp_path, "--port", "0")
    assert result.returncode == 253
    assert "no credentials" in one_line(result)


def test_credentials_from_options(start_serve):
    server = start_serve(
        "--access-key-id", "AKIDOPT", "--secret-access-key", "s", credentials=False
    )
    from conftest import make_client

    assert "Buckets" in make_client("s3", server.url, key="AKIDOPT", secret="s").list_buckets()


def test_credentials_from_a_profile(start_serve, tmp_path):
    creds = tmp_path / "aws-credentials"
    creds.write_text("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = f\n")
    server = start_serve(credentials=False)
    from conftest import make_client

    assert "Buckets" in make_client("s3", server.url, key="AKIDFILE", secret="f").list_buckets()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--endpoint", "bad_name"], "invalid endpoint name"),
        (["--endpoint", "x=nonsense"], "unknown model"),
        (["--endpoint", "x=http://10.0.0.1:8080"], "loopback"),
        (["--endpoint", "x=python:no_such_module_xyz:f"], "cannot load"),
        (["--endpoint", "x", "--endpoint", "x=echo"], "given twice"),
        (["--access-key-id", "only"], "together"),
        (["--workers", "0"], "--workers"),
        (["--bogus"], "No such option"),
    ],
)
def test_bad_arguments(tmp_path, args, needle):
    result = run_serve(tmp_path, "--port", "0", *args, env=CREDS)
    assert result.returncode == 252
    assert needle in one_line(result)


def test_port_in_use(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_serve(tmp_path, "--port", str(port), env=CREDS)
    assert result.returncode == 255
    assert "cannot listen on 127.0.0.1" in one_line(result)


def test_data_dir_in_use(start_serve, tmp_path):
    start_serve(data_dir=tmp_path / "data")
    result = run_serve(tmp_path, "--port", "0", env=CREDS)
    assert result.returncode == 253
    assert "in use by another serve process" in one_line(result)


def test_help(tmp_path):
    result = run_serve(tmp_path, "--help")
    assert result.returncode == 0
    for option in ("--host", "--port", "--data-dir", "--endpoint", "--workers", "--allow-remote"):
        assert option in result.stdout.decode()


def test_importing_the_command_does_not_import_botocore(tmp_path):
    code = (
        "import sys; import sagemaker_async.local.command as c; "
        "heavy = [m for m in sys.modules if m.startswith(('botocore', 'sqlite3', 'http.server'))]; "
        "print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=serve_env(tmp_path),
        capture_output=True,
        check=True,
    )
    assert result.stdout.strip() == b"[]"
