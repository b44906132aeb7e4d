"""Every global option and environment variable, through the real entry point and the stub."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from helpers import CHILD_PYTHONPATH, SRC, run_cli, start_cli

INVOKE = ["sagemaker-runtime", "invoke-endpoint-async", "--endpoint-name", "my-endpoint"]
LOCATION = ["--input-location", "s3://in-bucket/input.json", "--inference-id", "inf-0001"]


def invoke(stub, env, *extra, endpoint=True, **kw):
    args = [*INVOKE, *LOCATION, *extra]
    if endpoint:
        args += ["--endpoint-url", stub.url]
    return run_cli(args, env, **kw)


def scope_region(request) -> str:
    # Credential=AKID/date/REGION/service/aws4_request
    return request["headers"]["authorization"].split("Credential=")[1].split("/")[2]


def test_success_prints_the_three_locations(stub, aws_home):
    result = invoke(stub, aws_home)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["InferenceId"] == "inf-0001"
    assert len(stub.requests) == 1 and stub.requests[0]["sig_ok"]


# -- region, profile -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("variables", "flag", "expected"),
    [
        ({}, [], "us-east-1"),
        ({}, ["--region", "eu-west-1"], "eu-west-1"),
        ({"AWS_REGION": "ap-south-1"}, [], "ap-south-1"),
        ({"AWS_DEFAULT_REGION": "eu-north-1"}, [], "eu-north-1"),
        ({"AWS_REGION": "ap-south-1", "AWS_DEFAULT_REGION": "eu-north-1"}, [], "ap-south-1"),
        ({"AWS_REGION": "ap-south-1"}, ["--region", "sa-east-1"], "sa-east-1"),
    ],
)
def test_region_precedence(stub, aws_home, variables, flag, expected):
    result = invoke(stub, {**aws_home, **variables}, *flag)
    assert result.returncode == 0, result.stderr
    assert scope_region(stub.requests[0]) == expected


def _add_profile(env, name, body):
    with open(env["AWS_CONFIG_FILE"], "a") as f:
        f.write(f"\n[profile {name}]\n{body}\n")


def test_profile_flag_and_env(stub, aws_home):
    _add_profile(aws_home, "other", "region = ca-central-1")
    with open(aws_home["AWS_SHARED_CREDENTIALS_FILE"], "a") as f:
        f.write(
            "\n[other]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = fake-secret-key\n"
        )
    assert invoke(stub, aws_home, "--profile", "other").returncode == 0
    assert scope_region(stub.requests[-1]) == "ca-central-1"
    assert invoke(stub, {**aws_home, "AWS_PROFILE": "other"}).returncode == 0
    assert scope_region(stub.requests[-1]) == "ca-central-1"
    missing = invoke(stub, {**aws_home, "AWS_PROFILE": "nope"})
    assert missing.returncode == 255
    assert (
        missing.stderr
        == b"\nsagemaker-async: [ERROR]: The config profile (nope) could not be found\n"
    )


def test_no_region_anywhere_is_253(stub, aws_home, tmp_path):
    config = tmp_path / "empty-config"
    config.write_text("[default]\n")
    result = invoke(stub, {**aws_home, "AWS_CONFIG_FILE": str(config)})
    assert result.returncode == 253
    assert b"An error occurred (NoRegion)" in result.stderr
    assert stub.requests == []


# -- credentials chain -------------------------------------------------------------------------
def test_credentials_from_environment(stub, aws_home, tmp_path):
    empty = tmp_path / "no-credentials"
    empty.write_text("")
    env = {
        **aws_home,
        "AWS_SHARED_CREDENTIALS_FILE": str(empty),
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "fake-secret-key",
    }
    assert invoke(stub, env).returncode == 0
    assert stub.requests[0]["sig_ok"]


def test_credentials_from_credential_process(stub, aws_home, tmp_path):
    empty = tmp_path / "no-credentials"
    empty.write_text("")
    script = tmp_path / "creds.py"
    script.write_text(
        "import json\nprint(json.dumps({'Version': 1, 'AccessKeyId': 'AKIDEXAMPLE',"
        " 'SecretAccessKey': 'fake-secret-key'}))\n"
    )
    config = tmp_path / "config"
    config.write_text(
        f"[default]\nregion = us-east-1\ncredential_process = {sys.executable} {script}\n"
    )
    env = {**aws_home, "AWS_SHARED_CREDENTIALS_FILE": str(empty), "AWS_CONFIG_FILE": str(config)}
    result = invoke(stub, env)
    assert result.returncode == 0, result.stderr
    assert stub.requests[0]["sig_ok"]


class _ContainerCredentials(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's naming
        body = json.dumps(
            {
                "AccessKeyId": "AKIDEXAMPLE",
                "SecretAccessKey": "fake-secret-key",
                "Token": "container-session-token",
                "Expiration": "2099-01-01T00:00:00Z",
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_credentials_from_container_endpoint(stub, aws_home, tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ContainerCredentials)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        empty = tmp_path / "no-credentials"
        empty.write_text("")
        env = {
            **aws_home,
            "AWS_SHARED_CREDENTIALS_FILE": str(empty),
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"http://127.0.0.1:{server.server_port}/creds",
        }
        result = invoke(stub, env)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert result.returncode == 0, result.stderr
    assert stub.requests[0]["headers"]["x-amz-security-token"] == "container-session-token"
    assert stub.requests[0]["sig_ok"]


def test_no_sign_request_sends_no_authorization(stub, aws_home, tmp_path):
    empty = tmp_path / "no-credentials"
    empty.write_text("")
    env = {**aws_home, "AWS_SHARED_CREDENTIALS_FILE": str(empty)}
    assert invoke(stub, env).returncode == 253  # no credentials: refused before sending
    result = invoke(stub, env, "--no-sign-request")
    assert result.returncode == 0, result.stderr
    assert "authorization" not in stub.requests[0]["headers"]


# -- endpoint ----------------------------------------------------------------------------------
def test_endpoint_url_from_environment_and_config(stub, aws_home, tmp_path):
    for variables in (
        {"AWS_ENDPOINT_URL": stub.url},
        {"AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": stub.url},
    ):
        stub.reset()
        result = invoke(stub, {**aws_home, **variables}, endpoint=False)
        assert result.returncode == 0, result.stderr
        assert len(stub.requests) == 1
    config = tmp_path / "config-services"
    config.write_text(
        "[default]\nregion = us-east-1\nservices = local\n\n"
        f"[services local]\nsagemaker_runtime =\n  endpoint_url = {stub.url}\n"
    )
    stub.reset()
    result = invoke(stub, {**aws_home, "AWS_CONFIG_FILE": str(config)}, endpoint=False)
    assert result.returncode == 0, result.stderr
    assert len(stub.requests) == 1
    profile_level = tmp_path / "config-endpoint"
    profile_level.write_text(f"[default]\nregion = us-east-1\nendpoint_url = {stub.url}\n")
    stub.reset()
    result = invoke(stub, {**aws_home, "AWS_CONFIG_FILE": str(profile_level)}, endpoint=False)
    assert result.returncode == 0, result.stderr
    assert len(stub.requests) == 1


def test_fips_and_dualstack_ignored_with_explicit_endpoint(stub, aws_home):
    env = {**aws_home, "AWS_USE_FIPS_ENDPOINT": "true", "AWS_USE_DUALSTACK_ENDPOINT": "true"}
    assert invoke(stub, env).returncode == 0
    assert len(stub.requests) == 1


@pytest.mark.parametrize("flag", [["--no-verify-ssl"], ["--ca-bundle", "/nonexistent.pem"]])
def test_tls_options_do_not_affect_http(stub, aws_home, flag):
    assert invoke(stub, aws_home, *flag).returncode == 0


def test_ca_bundle_environment_does_not_affect_http(stub, aws_home):
    assert invoke(stub, {**aws_home, "AWS_CA_BUNDLE": "/nonexistent.pem"}).returncode == 0


def test_no_paginate_is_accepted(stub, aws_home):
    assert invoke(stub, aws_home, "--no-paginate").returncode == 0


# -- output ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("variables", "config_output", "flag", "starts"),
    [
        ({"AWS_DEFAULT_OUTPUT": "text"}, None, [], b"s3://out-bucket/failures"),
        ({}, "yaml", [], b"FailureLocation: "),
        ({"AWS_DEFAULT_OUTPUT": "text"}, "yaml", [], b"s3://out-bucket/failures"),
        ({"AWS_DEFAULT_OUTPUT": "text"}, None, ["--output", "json"], b"{"),
        ({}, None, ["--output", "table"], b"-----"),
        ({}, None, ["--output", "yaml-stream"], b"- FailureLocation"),
    ],
)
def test_output_precedence(stub, aws_home, tmp_path, variables, config_output, flag, starts):
    env = {**aws_home, **variables}
    if config_output:
        config = tmp_path / "config-output"
        config.write_text(f"[default]\nregion = us-east-1\noutput = {config_output}\n")
        env["AWS_CONFIG_FILE"] = str(config)
    result = invoke(stub, env, *flag)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(starts)


def test_output_off_prints_nothing_but_sends(stub, aws_home):
    result = invoke(stub, aws_home, "--output", "off")
    assert (result.returncode, result.stdout) == (0, b"")
    assert len(stub.requests) == 1


def test_color_off_and_auto_are_plain_when_piped(stub, aws_home):
    for value in ("off", "auto"):
        result = invoke(stub, aws_home, "--output", "table", "--color", value)
        assert b"\x1b[" not in result.stdout


def test_query_applies_to_every_format(stub, aws_home):
    expected = {
        "json": b'"inf-0001"\n',
        "text": b"inf-0001\n",
        "yaml": b'"inf-0001"\n',
        "yaml-stream": b"- inf-0001\n",
    }
    for fmt, out in expected.items():
        result = invoke(stub, aws_home, "--query", "InferenceId", "--output", fmt)
        assert result.stdout == out, fmt


# -- timeouts, retries -------------------------------------------------------------------------
@pytest.mark.slow
def test_read_timeout_is_255_after_three_attempts(stub, aws_home):
    stub.scenario = "slow:3"
    result = invoke(stub, aws_home, "--cli-read-timeout", "1")
    assert result.returncode == 255
    assert result.stderr.startswith(b"\nsagemaker-async: [ERROR]: Read timeout on endpoint URL: ")
    assert len(stub.requests) == 3


def test_connect_timeout_must_be_an_integer(stub, aws_home):
    result = invoke(stub, aws_home, "--cli-connect-timeout", "soon")
    assert result.returncode == 255
    assert result.stderr == (
        b"\nsagemaker-async: [ERROR]: invalid literal for int() with base 10: 'soon'\n"
    )
    assert stub.requests == []


def test_zero_timeouts_mean_no_timeout(stub, aws_home):
    result = invoke(stub, aws_home, "--cli-read-timeout", "0", "--cli-connect-timeout", "0")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("variables", "attempts", "code"),
    [
        ({"AWS_MAX_ATTEMPTS": "1"}, 1, 254),
        ({"AWS_MAX_ATTEMPTS": "2", "AWS_RETRY_MODE": "adaptive"}, 2, 254),
        ({"AWS_RETRY_MODE": "legacy"}, 0, 255),
    ],
)
def test_retry_settings(stub, aws_home, variables, attempts, code):
    stub.scenario = "unavailable"
    result = invoke(stub, {**aws_home, **variables})
    assert result.returncode == code, result.stderr
    assert len(stub.requests) == attempts
    if code == 254:
        assert f"(reached max retries: {attempts - 1})".encode() in result.stderr


# -- binary format -----------------------------------------------------------------------------
def test_binary_format_raw_sends_the_string(stub, aws_home, tmp_path):
    args = [*INVOKE, "--body", "hello world", "--endpoint-url", stub.url]
    assert run_cli(args, aws_home).returncode == 255  # not base64
    result = run_cli([*args, "--cli-binary-format", "raw-in-base64-out"], aws_home)
    assert result.returncode == 0, result.stderr
    assert stub.requests[-1]["body"] == b"hello world"
    config = tmp_path / "config-raw"
    config.write_text("[default]\nregion = us-east-1\ncli_binary_format = raw-in-base64-out\n")
    result = run_cli(args, {**aws_home, "AWS_CONFIG_FILE": str(config)})
    assert result.returncode == 0, result.stderr
    assert stub.requests[-1]["body"] == b"hello world"


# -- error format ------------------------------------------------------------------------------
def test_error_format_from_config_file(stub, aws_home, tmp_path):
    stub.scenario = "validation"
    config = tmp_path / "config-errors"
    config.write_text("[default]\nregion = us-east-1\ncli_error_format = json\n")
    result = invoke(stub, {**aws_home, "AWS_CONFIG_FILE": str(config)})
    assert result.returncode == 254
    assert json.loads(result.stderr) == {
        "Message": "Endpoint nope of account 123456789012 not found.",
        "Code": "ValidationError",
    }
    # The flag wins over the environment, which wins over the config file.
    result = invoke(
        stub, {**aws_home, "AWS_CONFIG_FILE": str(config), "AWS_CLI_ERROR_FORMAT": "text"}
    )
    assert result.stderr == b"ValidationError\tEndpoint nope of account 123456789012 not found.\n"
    result = invoke(
        stub,
        {**aws_home, "AWS_CLI_ERROR_FORMAT": "text"},
        "--cli-error-format",
        "legacy",
    )
    assert result.stderr.startswith(
        b"\nsagemaker-async: [ERROR]: An error occurred (ValidationError)"
    )


# -- auto-prompt ---------------------------------------------------------------------------------
def test_no_cli_auto_prompt_is_accepted(stub, aws_home):
    assert invoke(stub, aws_home, "--no-cli-auto-prompt").returncode == 0


# -- version, help -----------------------------------------------------------------------------
def test_version(aws_home):
    result = run_cli(["--version"], aws_home)
    assert result.returncode == 0
    assert result.stdout.startswith(b"sagemaker-async/")
    assert b" Python/" in result.stdout and b" botocore/" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["help"],
        ["--help"],
        ["sagemaker-runtime", "help"],
        ["sagemaker-runtime", "invoke-endpoint-async", "help"],
        ["sagemaker-runtime", "invoke-endpoint-async", "--help"],
    ],
)
def test_help_at_every_level(aws_home, args):
    result = run_cli(args, aws_home)
    assert result.returncode == 0, result.stderr
    assert result.stdout


def test_operation_help_lists_every_option_with_its_documentation(aws_home):
    page = run_cli(["sagemaker-runtime", "invoke-endpoint-async", "help"], aws_home).stdout.decode()
    for option in (
        "--endpoint-name",
        "--body",
        "--input-location",
        "--request-ttl-seconds",
        "--cli-input-json",
        "--generate-cli-skeleton",
        "--cli-error-format",
    ):
        assert option in page
    assert "Maximum age in seconds a request can be in the queue" in page
    assert "<p>" not in page


# -- debug: logs like AWS, but never secrets -------------------------------------------------------
def test_debug_never_prints_secrets(stub, aws_home):
    env = {**aws_home, "AWS_SESSION_TOKEN": "session-token-that-is-secret"}
    env["AWS_ACCESS_KEY_ID"] = "AKIDEXAMPLE"
    env["AWS_SECRET_ACCESS_KEY"] = "fake-secret-key"
    args = [
        *INVOKE,
        "--body",
        "c2Vuc2l0aXZlLXBheWxvYWQtYnl0ZXM=",  # base64 of sensitive-payload-bytes
        "--custom-attributes",
        "customer-ssn=123-45-6789",
        "--endpoint-url",
        stub.url,
        "--debug",
    ]
    result = run_cli(args, env)
    assert result.returncode == 0, result.stderr
    log = result.stderr.decode()
    assert " - botocore" in log and "DEBUG" in log  # it is a real debug log
    assert json.loads(result.stdout)["InferenceId"]  # stdout unchanged
    signature = stub.requests[0]["headers"]["authorization"].split("Signature=")[1]
    for secret in (
        "fake-secret-key",
        "session-token-that-is-secret",
        "sensitive-payload-bytes",
        "c2Vuc2l0aXZlLXBheWxvYWQtYnl0ZXM=",
        "customer-ssn=123-45-6789",
        "123-45-6789",
        signature,
    ):
        assert secret not in log, secret


# -- pager: only on a terminal -----------------------------------------------------------------------
def _run_in_pty(args, env):
    """Run the CLI with stdout on a pseudo-terminal; returns (exit code, output)."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "sagemaker_async", *args],
        env={**env, "PYTHONPATH": CHILD_PYTHONPATH},
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
    )
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            break
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    process.wait(timeout=30)
    process.stderr.close()
    return process.returncode, b"".join(chunks).replace(b"\r\n", b"\n")


def test_pager_used_only_on_a_terminal(stub, aws_home):
    env = {**aws_home, "AWS_PAGER": "sed s/^/PAGED:/"}
    code, output = _run_in_pty([*INVOKE, *LOCATION, "--endpoint-url", stub.url], env)
    assert code == 0
    assert output.startswith(b"PAGED:{")
    piped = invoke(stub, env)
    assert piped.stdout.startswith(b"{")
    code, output = _run_in_pty(
        [*INVOKE, *LOCATION, "--endpoint-url", stub.url, "--no-cli-pager"], env
    )
    assert output.startswith(b"{")
    code, output = _run_in_pty(
        [*INVOKE, *LOCATION, "--endpoint-url", stub.url], {**aws_home, "AWS_PAGER": ""}
    )
    assert output.startswith(b"{")


def test_missing_pager_is_253(stub, aws_home):
    env = {**aws_home, "AWS_PAGER": "nonexistent-pager-xyz"}
    master, slave = pty.openpty()
    process = subprocess.run(
        [sys.executable, "-m", "sagemaker_async", *INVOKE, *LOCATION, "--endpoint-url", stub.url],
        env={**env, "PYTHONPATH": CHILD_PYTHONPATH},
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
        timeout=60,
        check=False,
    )
    os.close(slave)
    os.close(master)
    assert process.returncode == 253
    assert b"An error occurred (Pager): Unable to redirect output to pager." in process.stderr


# -- Ctrl-C ------------------------------------------------------------------------------------------
def test_ctrl_c_exits_130_with_a_newline_on_stdout(stub, aws_home):
    stub.scenario = "slow:10"
    process = subprocess.Popen(
        [sys.executable, "-m", "sagemaker_async", *INVOKE, *LOCATION, "--endpoint-url", stub.url],
        env={**aws_home, "PYTHONPATH": CHILD_PYTHONPATH},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while not stub.requests and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert (process.returncode, stdout, stderr) == (130, b"\n", b"")


# -- issue 12: our own commands next to the AWS ones ------------------------------------------
@pytest.mark.parametrize(
    "args",
    [["serve", "help"], ["serve", "-h"], ["serve", "--help"], ["help", "serve"]],
)
def test_serve_help_everywhere(aws_home, args):
    result = run_cli(args, aws_home)
    assert result.returncode == 0, result.stderr
    assert "Usage: sagemaker-async serve [OPTIONS]" in result.stdout.decode()
    assert "--data-dir" in result.stdout.decode()


@pytest.mark.parametrize("args", [["completion", "-h"], ["completion", "help"]])
def test_completion_help(aws_home, args):
    result = run_cli(args, aws_home)
    assert result.returncode == 0, result.stderr
    assert "Usage: sagemaker-async completion [OPTIONS] {bash|zsh|fish}" in result.stdout.decode()


def test_command_lists_say_what_each_command_does(aws_home):
    page = run_cli(["help"], aws_home).stdout.decode()
    assert "o serve              Run a local asynchronous inference endpoint" in page
    service = run_cli(["sagemaker-runtime", "help"], aws_home).stdout.decode()
    assert "o wait                   Wait for an asynchronous inference" in service


@pytest.mark.parametrize("command", ["wait", "batch"])
def test_workflow_help_names_no_repository_path(aws_home, command):
    page = run_cli(["sagemaker-runtime", command, "help"], aws_home).stdout.decode()
    assert "docs/" not in page and ".md" not in page
    assert "the sagemaker-async documentation" in " ".join(page.split())


def test_a_global_option_serve_cannot_use_is_refused(aws_home, tmp_path):
    result = run_cli(["--output", "json", "serve", "--data-dir", str(tmp_path / "d")], aws_home)
    assert result.returncode == 252
    assert result.stderr.decode() == (
        "sagemaker-async serve: error: the global option --output does not apply to serve "
        "(only --debug and --profile may come before it)\n"
    )


def test_serve_signs_with_the_global_profiles_keys(aws_home, tmp_path):
    """``sagemaker-async --profile dev serve``: serve checks signatures with dev's keys."""
    with open(aws_home["AWS_SHARED_CREDENTIALS_FILE"], "a") as credentials:
        credentials.write("[dev]\naws_access_key_id = AKIDDEVPROFILE\naws_secret_access_key = s\n")
    log = tmp_path / "serve.log"
    with log.open("wb") as stderr:
        process = start_cli(
            ["--profile", "dev", "serve", "--port", "0", "--data-dir", str(tmp_path / "d")],
            aws_home,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
    try:
        ready, _, _ = select.select([process.stdout], [], [], 60)
        assert ready, log.read_text()
        assert process.stdout.readline().startswith(b"http://127.0.0.1:"), log.read_text()
    finally:
        process.terminate()
        process.wait(timeout=60)
        process.stdout.close()
    assert "key AKIDDEVPROFILE" in log.read_text()


def test_serve_takes_its_credentials_from_the_global_profile(aws_home, tmp_path):
    """--profile before serve is used: a profile that does not exist stops it at once."""
    result = run_cli(
        ["--profile", "nosuch", "serve", "--port", "0", "--data-dir", str(tmp_path / "d")],
        aws_home,
        timeout=60,
    )
    assert result.returncode == 253
    assert "cannot load credentials" in result.stderr.decode()
    assert "nosuch" in result.stderr.decode()


@pytest.mark.parametrize(
    ("args", "suggestion"),
    [
        (["s3", "ls"], "  * s3\n"),
        (["configure"], "argument command: Found invalid choice 'configure'\n"),
        (["sagemaker-runtime", "invoke-endpoint"], "  * invoke-endpoint\n"),
    ],
)
def test_aws_commands_we_do_not_implement_say_so(aws_home, args, suggestion):
    stderr = run_cli(args, aws_home).stderr.decode()
    assert suggestion in stderr  # AWS's text is kept
    assert (
        "sagemaker-async implements only `sagemaker-runtime invoke-endpoint-async` of the AWS "
        "CLI, plus its own commands" in stderr
    )


def test_a_typo_gets_aws_text_only(aws_home):
    stderr = run_cli(["sagemaker-runtim"], aws_home).stderr.decode()
    assert "* sagemaker-runtime" in stderr and "implements only" not in stderr


# -- one declaration of the global options, and imports that run one way ---------------------
def test_settings_carry_exactly_the_declared_global_options():
    from sagemaker_async.request.options import global_options
    from sagemaker_async.request.settings import GLOBAL_DEFAULTS, Settings

    declared = [spec.dest for spec in global_options()]
    assert list(GLOBAL_DEFAULTS) == declared
    typed = [name for name in Settings.__annotations__ if not name.startswith("_")]
    assert typed == declared  # the annotations are only the typed view of the declarations


def test_request_render_and_workflow_never_import_the_cli():
    import ast

    package = SRC / "sagemaker_async"
    offenders = []
    for folder in ("request", "render", "workflow"):
        for path in (package / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                offenders += [
                    f"{path.name}: {n}" for n in names if n.startswith("sagemaker_async.cli")
                ]
    assert offenders == []
