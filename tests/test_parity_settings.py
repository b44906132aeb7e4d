"""Settings and error rules found by running the real AWS CLI v2.36.7 side by side
(tests/differential/): empty values, which of two errors is reported first, the error format
and its colour. Each test states the rule, not one captured case."""

from __future__ import annotations

import re

from helpers import run_cli

OP = ["sagemaker-runtime", "invoke-endpoint-async"]
PREFIX = "\nsagemaker-async: [ERROR]: "
PV = PREFIX + "An error occurred (ParamValidation): "
SCOPE = re.compile(r"Credential=[^/]*/\d{8}/([^/]*)/")


def call(stub, env, *args):
    return run_cli([*OP, *args, "--endpoint-url", stub.url], env)


def config(env: dict[str, str], text: str) -> dict[str, str]:
    with open(env["AWS_CONFIG_FILE"], "w") as f:
        f.write(text)
    return env


def credentials(env: dict[str, str], text: str) -> dict[str, str]:
    with open(env["AWS_SHARED_CREDENTIALS_FILE"], "w") as f:
        f.write(text)
    return env


def signed_region(stub) -> str:
    match = SCOPE.search(stub.requests[0]["headers"]["authorization"])
    assert match
    return match.group(1)


def refused(stub, result, code: int, stderr: str) -> None:
    assert result.returncode == code, result.stderr.decode()
    assert result.stderr.decode() == stderr
    assert result.stdout == b""
    assert stub.requests == []


# -- empty values ------------------------------------------------------------------------------
def test_empty_profile_flag_means_the_default_profile(stub, aws_home):
    result = call(stub, aws_home, "--endpoint-name", "ep", "--profile", "")
    assert result.returncode == 0, result.stderr.decode()
    assert signed_region(stub) == "us-east-1"


def test_empty_region_flag_is_a_region_of_its_own(stub, aws_home):
    # Not the profile's us-east-1: the AWS CLI hands "" to botocore, which signs for it.
    result = call(stub, aws_home, "--endpoint-name", "ep", "--region", "")
    assert result.returncode == 0, result.stderr.decode()
    assert signed_region(stub) == ""


def test_empty_aws_region_is_a_region_too(stub, aws_home):
    result = call(stub, {**aws_home, "AWS_REGION": ""}, "--endpoint-name", "ep")
    assert result.returncode == 0, result.stderr.decode()
    assert signed_region(stub) == ""


def test_empty_ca_bundle_is_refused(stub, aws_home):
    result = call(stub, aws_home, "--endpoint-name", "ep", "--ca-bundle", "")
    refused(
        stub,
        result,
        255,
        PREFIX + "Invalid CA bundle: the configured value (ca_bundle, AWS_CA_BUNDLE, "
        "REQUESTS_CA_BUNDLE, or verify) resolved to an empty or whitespace-only string. "
        "Provide a valid path to a CA bundle file.\n",
    )


# -- which error comes first -------------------------------------------------------------------
def test_malformed_config_is_reported_before_argument_errors(stub, aws_home):
    env = config(aws_home, "[default\nregion = us-east-1\n")
    result = call(stub, env, "--output", "xml")
    path = env["AWS_CONFIG_FILE"]
    refused(stub, result, 255, PREFIX + f"Unable to parse config file: {path}\n")


def test_malformed_credentials_are_reported_before_argument_errors(stub, aws_home):
    env = credentials(aws_home, "[default\naws_access_key_id = X\n")
    result = call(stub, env, "--endpoint-name", "ep", "--request-ttl-seconds", "abc")
    path = env["AWS_SHARED_CREDENTIALS_FILE"]
    refused(stub, result, 255, PREFIX + f"Unable to parse config file: {path}\n")


def test_malformed_config_fails_even_version(aws_home):
    env = config(aws_home, "[default\n")
    result = run_cli(["--version"], env)
    assert result.returncode == 255
    assert "Unable to parse config file" in result.stderr.decode()


def test_partial_credentials_before_missing_region(stub, aws_home):
    env = config({**aws_home, "AWS_ACCESS_KEY_ID": "AKIDONLY"}, "[default]\n")
    result = call(stub, env, "--endpoint-name", "ep")
    refused(
        stub,
        result,
        255,
        PREFIX + "Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY\n",
    )


def test_region_format_before_missing_profile_from_the_environment(stub, aws_home):
    env = {**aws_home, "AWS_REGION": "us east 1", "AWS_PROFILE": ""}
    result = call(stub, env, "--endpoint-name", "ep")
    refused(
        stub,
        result,
        255,
        PREFIX + "Provided region_name 'us east 1' doesn't match a supported format.\n",
    )


def test_empty_profile_flag_is_no_profile_for_the_error_and_binary_formats(stub, aws_home):
    env = config(aws_home, "[default]\nregion = us-east-1\ncli_binary_format = hex\n")
    refused(stub, call(stub, env, "--profile", ""), 255, PREFIX + "'hex'\n")


def test_region_format_before_missing_profile(stub, aws_home):
    result = call(stub, aws_home, "--endpoint-name", "ep", "--region", "a/b", "--profile", "nosuch")
    refused(
        stub, result, 255, PREFIX + "Provided region_name 'a/b' doesn't match a supported format.\n"
    )


def test_max_attempts_before_retry_mode(stub, aws_home):
    env = {**aws_home, "AWS_MAX_ATTEMPTS": "abc", "AWS_RETRY_MODE": "bogus"}
    result = call(stub, env, "--endpoint-name", "ep")
    refused(stub, result, 255, PREFIX + "invalid literal for int() with base 10: 'abc'\n")


def test_max_attempts_below_one(stub, aws_home):
    result = call(stub, {**aws_home, "AWS_MAX_ATTEMPTS": "0"}, "--endpoint-name", "ep")
    refused(
        stub,
        result,
        255,
        PREFIX + 'Value provided to "max_attempts": 0 must be an integer greater than or equal '
        "to one.\n",
    )


def test_legacy_retry_mode_is_unknown(stub, aws_home):
    result = call(stub, {**aws_home, "AWS_RETRY_MODE": "legacy"}, "--endpoint-name", "ep")
    refused(
        stub,
        result,
        255,
        PREFIX + 'Invalid value provided to "mode": "legacy" must be one of: "standard" or '
        '"adaptive"\n',
    )


def test_bracketed_ipv4_endpoint_is_reported_before_missing_arguments(stub, aws_home):
    result = run_cli([*OP, "--endpoint-url", "http://[127.0.0.1]:9"], aws_home)
    refused(stub, result, 255, PREFIX + "An IPv4 address cannot be in brackets\n")


def test_invalid_cli_binary_format_in_config_fails_every_command(stub, aws_home):
    env = config(aws_home, "[default]\nregion = us-east-1\ncli_binary_format = hex\n")
    refused(stub, call(stub, env, "--endpoint-name", "ep"), 255, PREFIX + "'hex'\n")
    # ... unless the profile it lives in is not the one used (a missing one means base64).
    result = call(stub, env, "--profile", "nosuch")
    assert "the following arguments are required: --endpoint-name" in result.stderr.decode()


# -- the error format -------------------------------------------------------------------------
VALIDATION_JSON = (
    '{\n    "Message": "Endpoint nope of account 123456789012 not found.",\n'
    '    "Code": "ValidationError"\n}\n'
)


def test_error_format_from_environment_ignores_case(stub, aws_home):
    stub.scenario = "validation"
    result = call(stub, {**aws_home, "AWS_CLI_ERROR_FORMAT": "JSON"}, "--endpoint-name", "ep")
    assert result.returncode == 254
    assert result.stderr.decode() == VALIDATION_JSON


def test_invalid_error_format_warns_only_before_global_options_are_accepted(stub, aws_home):
    env = {**aws_home, "AWS_CLI_ERROR_FORMAT": "Bogus"}
    early = call(stub, env, "--endpoint-name", "ep", "--output", "xml")
    assert early.stderr.decode().startswith(
        "Invalid cli_error_format: 'bogus'. Using 'enhanced' format.\n\nsagemaker-async: [ERROR]: "
        "An error occurred (ParamValidation): argument --output: Found invalid choice 'xml'\n"
    )
    late = call(stub, env, "--endpoint-name", "ep", "--request-ttl-seconds", "5")
    assert late.stderr.decode() == (
        PV + "Parameter validation failed:\nInvalid value for parameter RequestTTLSeconds, "
        "value: 5, valid min value: 60\n"
    )


def test_a_missing_profile_means_the_legacy_error_text(stub, aws_home):
    result = call(stub, aws_home, "--profile", "nosuch")
    assert result.returncode == 252
    assert result.stderr.decode().startswith(
        PREFIX + "the following arguments are required: --endpoint-name\n"
    )


def test_before_global_options_only_aws_profile_names_the_profile(stub, aws_home):
    # A bad --query fails while the global options are read: --profile is not in use yet.
    flag = call(stub, aws_home, "--endpoint-name", "ep", "--profile", "nosuch", "--query", "x[")
    assert flag.stderr.decode().startswith(PV + "Bad value for --query x[")
    env = {**aws_home, "AWS_PROFILE": "nosuch"}
    variable = call(stub, env, "--endpoint-name", "ep", "--query", "x[")
    assert variable.stderr.decode().startswith(PREFIX + "Bad value for --query x[")


def test_error_table_is_coloured_with_color_on(stub, aws_home):
    stub.scenario = "validation"
    result = call(
        stub, aws_home, "--endpoint-name", "ep", "--cli-error-format", "table", "--color", "on"
    )
    lines = result.stderr.decode().splitlines()
    assert lines[5] == (
        "|  \x1b[1m\x1b[34mValidationError\x1b[0m |  \x1b[1m\x1b[34mEndpoint nope of account "
        "123456789012 not found.\x1b[0m  |"
    )
    assert not lines[0].endswith("\x1b[0m")  # no reset after every write on stderr


# -- stdout in Python's stdout encoding ---------------------------------------------------------
def test_stdout_follows_pythonioencoding(stub, aws_home):
    result = call(stub, {**aws_home, "PYTHONIOENCODING": "utf-16"}, "--endpoint-name", "ep")
    assert result.returncode == 0
    assert result.stdout.startswith("{\n".encode("utf-16-le"))  # no byte order mark
    assert '"InferenceId"' in result.stdout.decode("utf-16-le")


def test_stdout_stops_before_a_string_it_cannot_encode(stub, aws_home):
    env = {**aws_home, "PYTHONIOENCODING": "ascii"}
    result = call(stub, env, "--endpoint-name", "ep", "--inference-id", "\u00fc-id")
    assert result.returncode == 255
    assert result.stdout == b'{\n    "OutputLocation": '
    assert result.stderr.decode().startswith(PREFIX + "'ascii' codec can't encode characters")
