"""Input rules found by running the real AWS CLI v2.36.7 side by side (tests/differential/):
lenient base64, paramfile decoding, --cli-input-yaml as ruamel.yaml reads it, skeletons that
still load --cli-input-*, and ``--``. Each test states the rule, not one captured case."""

from __future__ import annotations

import base64
import json

import pytest

from helpers import run_cli

OP = ["sagemaker-runtime", "invoke-endpoint-async"]
PREFIX = "\nsagemaker-async: [ERROR]: "
PV = PREFIX + "An error occurred (ParamValidation): "


def call(stub, env, *args):
    return run_cli([*OP, *args, "--endpoint-url", stub.url], env)


def sent_body(stub, result) -> bytes:
    assert result.returncode == 0, result.stderr.decode()
    assert len(stub.requests) == 1
    return stub.requests[0]["body"]


def refused(stub, result, code: int, stderr: str) -> None:
    assert result.returncode == code, result.stderr.decode()
    assert result.stderr.decode() == stderr
    assert stub.requests == []


# -- base64: characters outside the alphabet are dropped, padding still counts -------------
WRAPPED = base64.encodebytes(b"x" * 100).decode()  # 76 columns and a trailing newline


@pytest.mark.parametrize(
    "given, body",
    [
        (WRAPPED, b"x" * 100),
        ("aGVs bG8=", b"hello"),
        ("aGVs\r\nbG8=\n", b"hello"),
        ("  aGk=\t", b"hi"),
        ("!!!!", b""),
        ("aGk=x", b"hi"),  # data after the padding is ignored
    ],
)
def test_body_base64_is_decoded_leniently(stub, aws_home, given, body):
    assert sent_body(stub, call(stub, aws_home, "--endpoint-name", "ep", "--body", given)) == body


def test_body_base64_from_a_file_with_a_trailing_newline(stub, aws_home, tmp_path):
    (tmp_path / "b64.txt").write_text(base64.b64encode(b"from a file").decode() + "\n")
    result = call(stub, aws_home, "--endpoint-name", "ep", "--body", f"file://{tmp_path}/b64.txt")
    assert sent_body(stub, result) == b"from a file"


def test_body_base64_in_cli_input_json_is_lenient_too(stub, aws_home):
    document = json.dumps({"EndpointName": "e", "Body": "aGVs\nbG8="})
    assert sent_body(stub, call(stub, aws_home, "--cli-input-json", document)) == b"hello"


def test_body_base64_missing_padding_is_refused(stub, aws_home):
    result = call(stub, aws_home, "--endpoint-name", "ep", "--body", "aGk")
    refused(stub, result, 255, PREFIX + 'Invalid base64: "aGk"\n')


def test_body_that_is_not_ascii_cannot_be_base64(stub, aws_home):
    result = call(stub, aws_home, "--endpoint-name", "ep", "--body", "café")
    refused(stub, result, 255, PREFIX + "string argument should contain only ASCII characters\n")


# -- file:// text: the locale's encoding or AWS_CLI_FILE_ENCODING -----------------------------
def test_text_paramfile_that_does_not_decode_names_fileb(stub, aws_home, tmp_path):
    path = tmp_path / "binary.bin"
    path.write_bytes(bytes(range(256)))
    result = call(stub, aws_home, "--endpoint-name", "ep", "--body", f"file://{path}")
    refused(
        stub,
        result,
        252,
        PV + f"Error parsing parameter '--body': Unable to load paramfile ({path}), text "
        "contents could not be decoded.  If this is a binary file, please use the fileb:// "
        "prefix instead of the file:// prefix.\n",
    )


def test_aws_cli_file_encoding_decides_how_text_files_read(stub, aws_home, tmp_path):
    path = tmp_path / "name.txt"
    path.write_bytes("épée".encode("latin-1"))
    env = {**aws_home, "AWS_CLI_FILE_ENCODING": "latin-1"}
    result = call(stub, env, "--endpoint-name", f"file://{path}", "--input-location", "s3://b/k")
    assert result.returncode == 0, result.stderr.decode()
    assert stub.requests[0]["path"] == "/endpoints/%C3%A9p%C3%A9e/async-invocations"


def test_unknown_aws_cli_file_encoding_is_reported(stub, aws_home, tmp_path):
    (tmp_path / "loc.txt").write_text("s3://b/k")
    env = {**aws_home, "AWS_CLI_FILE_ENCODING": "no-such-codec"}
    result = call(
        stub, env, "--endpoint-name", "ep", "--input-location", f"file://{tmp_path}/loc.txt"
    )
    refused(stub, result, 255, PREFIX + "unknown encoding: no-such-codec\n")


# -- --cli-input-yaml: YAML 1.2 unless a %YAML 1.1 directive says otherwise ------------------
@pytest.mark.parametrize(
    "scalar, ttl",
    [
        ("1_000", 1000),
        ("0b1111111", 127),
        ("+0x1F0", 496),
        ("0o177", 127),
        ("0600", 600),  # a leading zero is not octal in 1.2
        ("+60", 60),
    ],
)
def test_yaml_12_integers(stub, aws_home, scalar, ttl):
    document = f"EndpointName: ep\nInputLocation: s3://b/k\nRequestTTLSeconds: {scalar}\n"
    result = call(stub, aws_home, "--cli-input-yaml", document)
    assert result.returncode == 0, result.stderr.decode()
    assert stub.requests[0]["headers"]["x-amzn-sagemaker-requestttlseconds"] == str(ttl)


def test_yaml_11_directive_switches_to_the_old_rules(stub, aws_home):
    # 1.1: 0600 is octal (384) and "yes" a boolean; in 1.2 they are 600 and a string.
    document = (
        "%YAML 1.1\n---\nEndpointName: ep\nInputLocation: s3://b/k\nRequestTTLSeconds: 0600\n"
    )
    result = call(stub, aws_home, "--cli-input-yaml", document)
    assert result.returncode == 0, result.stderr.decode()
    assert stub.requests[0]["headers"]["x-amzn-sagemaker-requestttlseconds"] == "384"


def test_yaml_12_yes_is_a_string(stub, aws_home):
    result = call(stub, aws_home, "--cli-input-yaml", "EndpointName: yes\nInputLocation: s3://b/k")
    assert result.returncode == 0, result.stderr.decode()
    assert stub.requests[0]["path"] == "/endpoints/yes/async-invocations"


@pytest.mark.parametrize(
    "document", ["EndpointName: a\nEndpointName: b\n", "EndpointName: {x: 1, x: 2}\n"]
)
def test_yaml_duplicate_keys_are_invalid(stub, aws_home, document):
    result = call(stub, aws_home, "--cli-input-yaml", document)
    refused(
        stub, result, 252, PV + "Error parsing parameter 'cli-input-yaml': Invalid YAML received.\n"
    )


# -- skeletons still load --cli-input-* -------------------------------------------------------
@pytest.mark.parametrize("skeleton", ["input", "yaml-input"])
def test_skeleton_still_loads_cli_input_file(stub, aws_home, tmp_path, skeleton):
    missing = tmp_path / "nope.json"
    result = call(
        stub, aws_home, "--generate-cli-skeleton", skeleton, "--cli-input-json", f"file://{missing}"
    )
    refused(
        stub,
        result,
        252,
        PV + f"Error parsing parameter '--cli-input-json': Unable to load paramfile "
        f"file://{missing}: [Errno 2] No such file or directory: '{missing}'\n",
    )


def test_skeleton_still_parses_cli_input(stub, aws_home):
    result = call(stub, aws_home, "--generate-cli-skeleton", "input", "--cli-input-json", "{")
    refused(
        stub, result, 252, PV + "Error parsing parameter 'cli-input-json': Invalid JSON received.\n"
    )


# -- "--": the operation parser's optional positional takes it -------------------------------
def test_trailing_double_dash_is_accepted(stub, aws_home):
    result = run_cli([*OP, "--endpoint-name", "ep", "--endpoint-url", stub.url, "--"], aws_home)
    assert result.returncode == 0, result.stderr.decode()
    assert len(stub.requests) == 1


def test_after_double_dash_nothing_is_an_option(stub, aws_home):
    result = run_cli([*OP, "--endpoint-name", "ep", "--", "--endpoint-url", stub.url], aws_home)
    assert result.returncode == 252
    # As the AWS CLI: the first value after "--" is taken by the optional positional and
    # listed last.
    assert result.stderr.decode().endswith(f"Unknown options: {stub.url}, --endpoint-url\n")
    assert stub.requests == []


def test_double_dash_is_not_an_option_value(stub, aws_home):
    result = run_cli([*OP, "--endpoint-name", "--", "ep", "--endpoint-url", stub.url], aws_home)
    assert result.returncode == 252
    assert "argument --endpoint-name: expected one argument" in result.stderr.decode()
    assert stub.requests == []


@pytest.mark.parametrize(
    "line",
    [
        ["sagemaker-runtime", "invoke-endpoint-async", "--", "--endpoint-name", "ep"],
        ["sagemaker-runtime", "--", "invoke-endpoint-async", "--endpoint-name", "ep"],
        ["--", "sagemaker-runtime", "invoke-endpoint-async", "--endpoint-name", "ep"],
    ],
)
def test_double_dash_next_to_a_command_name_is_taken_with_it(stub, aws_home, line):
    # argparse's positional takes "--" around its word: options after it still count.
    result = run_cli(["--endpoint-url", stub.url, *line], aws_home)
    assert result.returncode == 0, result.stderr.decode()
    assert stub.requests[0]["path"] == "/endpoints/ep/async-invocations"
