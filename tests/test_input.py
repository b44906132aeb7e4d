"""The input side, as AWS CLI v2.36 behaves (texts from shared/reference/aws-cli-v2-behaviour.md):
option parsing, integers, paramfiles, --body, --cli-input-json/yaml, skeletons.

Every error case also checks that nothing was sent and no traceback was printed.
"""

from __future__ import annotations

import base64
import json

import pytest

from helpers import clean_env, run_cli

OP = ["sagemaker-runtime", "invoke-endpoint-async"]
USAGE = (
    "usage: sagemaker-async [options] <command> <subcommand> [<subcommand> ...] [parameters]\n"
    "To see help text, you can run:\n\n"
    "  sagemaker-async help\n"
    "  sagemaker-async <command> help\n"
    "  sagemaker-async <command> <subcommand> help\n"
)
PREFIX = "\nsagemaker-async: [ERROR]: "
PV = PREFIX + "An error occurred (ParamValidation): "


def call(stub, env, *args, input=None):
    return run_cli([*OP, *args, "--endpoint-url", stub.url], env, input=input)


def assert_refused(result, stub, code, stderr):
    assert result.returncode == code, result.stderr.decode()
    assert result.stderr.decode() == stderr
    assert result.stdout == b""
    assert stub.requests == [], "nothing may be sent for bad input"


def sent(stub):
    assert len(stub.requests) == 1
    return stub.requests[0]


# -- option parsing ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ["--endpoint-name=my-endpoint"],
        ["--endpoint-n", "my-endpoint"],
        ["--endpoint-name", "other", "--endpoint-name", "my-endpoint"],
        ["--endpoint-nam=my-endpoint"],
    ],
)
def test_option_spellings(stub, aws_home, args):
    assert call(stub, aws_home, *args).returncode == 0
    assert sent(stub)["path"] == "/endpoints/my-endpoint/async-invocations"


def test_global_options_before_between_and_after(stub, aws_home):
    result = run_cli(
        [
            "--output",
            "text",
            *OP,
            "--query",
            "InferenceId",
            "--inference-id",
            "x-1",
            "--endpoint-name",
            "e",
            "--endpoint-url",
            stub.url,
        ],
        aws_home,
    )
    assert (result.returncode, result.stdout) == (0, b"x-1\n")


def test_value_starting_with_dash_is_not_taken(stub, aws_home):
    result = call(stub, aws_home, "--endpoint-name", "e", "--inference-id", "-abc")
    assert_refused(
        result, stub, 252, PV + "argument --inference-id: expected one argument\n\n" + USAGE
    )


def test_value_with_dash_via_equals_or_with_a_space(stub, aws_home):
    assert call(stub, aws_home, "--endpoint-name", "e", "--inference-id=-abc").returncode == 0
    assert sent(stub)["headers"]["x-amzn-sagemaker-inference-id"] == "-abc"
    stub.reset()
    assert (
        call(stub, aws_home, "--endpoint-name", "e", "--custom-attributes", "-a b").returncode == 0
    )
    assert sent(stub)["headers"]["x-amzn-sagemaker-custom-attributes"] == "-a b"


def test_negative_number_is_a_value_and_fails_validation(stub, aws_home):
    result = call(stub, aws_home, "--endpoint-name", "e", "--request-ttl-seconds", "-5")
    assert_refused(
        result,
        stub,
        252,
        PV + "Parameter validation failed:\nInvalid value for parameter RequestTTLSeconds, "
        "value: -5, valid min value: 60\n",
    )


def test_ambiguous_prefix(stub, aws_home):
    result = call(stub, aws_home, "--endpoint-name", "e", "--in", "x")
    assert_refused(
        result,
        stub,
        252,
        PV + "ambiguous option: --in could match --inference-id, --input-location, "
        "--invocation-timeout-seconds\n\n" + USAGE,
    )


def test_unknown_options_listed_with_their_values(stub, aws_home):
    # As AWS CLI 2.36.7 lists them: the first plain word is its operation parser's optional
    # "help" positional, reported last.
    result = call(stub, aws_home, "--endpoint-name", "e", "--foo", "bar", "--baz")
    assert_refused(
        result, stub, 252, "\n" + USAGE + "\n" + PREFIX + "Unknown options: --foo, --baz, bar\n"
    )
    result = call(stub, aws_home, "--endpoint-name", "e", "y", "--body", "b", "x")
    assert_refused(result, stub, 252, "\n" + USAGE + "\n" + PREFIX + "Unknown options: x, y\n")


def test_dashdash_as_the_aws_cli_reads_it(stub, aws_home):
    """The operation's "help" positional takes the first "--" (and one word with it)."""
    line = [*OP, "--endpoint-url", stub.url, "--endpoint-name", "e", "--"]
    result = run_cli([*line, "--endpoint-url", "x"], aws_home)
    assert_refused(
        result, stub, 252, "\n" + USAGE + "\n" + PREFIX + "Unknown options: x, --endpoint-url\n"
    )
    result = run_cli([*line, "x"], aws_home)
    assert_refused(result, stub, 252, "\n" + USAGE + "\n" + PREFIX + "Unknown options: x\n")


def test_help_as_the_first_plain_word_shows_the_operation_help(aws_home):
    result = run_cli([*OP, "--endpoint-name", "e", "help"], aws_home)
    assert result.returncode == 0
    assert result.stdout.decode().startswith("NAME\n      invoke-endpoint-async")


def test_missing_value_at_the_end(stub, aws_home):
    result = run_cli([*OP, "--endpoint-url", stub.url, "--endpoint-name"], aws_home)
    assert_refused(
        result, stub, 252, PV + "argument --endpoint-name: expected one argument\n\n" + USAGE
    )


def test_missing_operation_and_command(stub, aws_home):
    result = run_cli(["sagemaker-runtime"], aws_home)
    assert_refused(
        result, stub, 252, PV + "the following arguments are required: operation\n\n" + USAGE
    )


def test_flag_with_explicit_value(stub, aws_home):
    result = call(stub, aws_home, "--endpoint-name", "e", "--debug=yes")
    assert_refused(
        result, stub, 252, PV + "argument --debug: ignored explicit argument 'yes'\n\n" + USAGE
    )


def test_invalid_choice_with_a_suggestion(stub, aws_home):
    result = call(stub, aws_home, "--endpoint-name", "e", "--output", "jsonn")
    assert_refused(
        result,
        stub,
        252,
        PV
        + "argument --output: Found invalid choice 'jsonn'\n\nMaybe you meant:\n\n  * json\n\n"
        + USAGE,
    )


# -- integers ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("option", "value", "stderr"),
    [
        ("--request-ttl-seconds", "abc", "invalid literal for int() with base 10: 'abc'\n"),
        ("--invocation-timeout-seconds", "1.5", "invalid literal for int() with base 10: '1.5'\n"),
    ],
)
def test_non_integer_is_255(stub, aws_home, option, value, stderr):
    result = call(stub, aws_home, "--endpoint-name", "e", option, value)
    assert_refused(result, stub, 255, PREFIX + stderr)


def test_integer_max_is_not_checked_client_side(stub, aws_home):
    assert (
        call(stub, aws_home, "--endpoint-name", "e", "--request-ttl-seconds", "99999").returncode
        == 0
    )
    assert sent(stub)["headers"]["x-amzn-sagemaker-requestttlseconds"] == "99999"


def test_inference_id_of_65_characters_is_sent(stub, aws_home):
    assert call(stub, aws_home, "--endpoint-name", "e", "--inference-id", "x" * 65).returncode == 0
    assert sent(stub)["headers"]["x-amzn-sagemaker-inference-id"] == "x" * 65


# -- paramfiles --------------------------------------------------------------------------------
def test_file_and_fileb_values(stub, aws_home, tmp_path):
    (tmp_path / "id.txt").write_text("from-a-file")
    (tmp_path / "ttl.txt").write_text("120\n")
    result = call(
        stub,
        aws_home,
        "--endpoint-name",
        "e",
        "--inference-id",
        f"file://{tmp_path / 'id.txt'}",
        "--request-ttl-seconds",
        f"file://{tmp_path / 'ttl.txt'}",
    )
    assert result.returncode == 0, result.stderr
    headers = sent(stub)["headers"]
    assert headers["x-amzn-sagemaker-inference-id"] == "from-a-file"
    assert headers["x-amzn-sagemaker-requestttlseconds"] == "120"


def test_missing_paramfile(stub, aws_home, tmp_path):
    missing = tmp_path / "nope.txt"
    result = call(stub, aws_home, "--endpoint-name", "e", "--input-location", f"file://{missing}")
    assert_refused(
        result,
        stub,
        252,
        PV + f"Error parsing parameter '--input-location': Unable to load paramfile "
        f"file://{missing}: [Errno 2] No such file or directory: '{missing}'\n",
    )


# -- --body ------------------------------------------------------------------------------------
def test_body_bytes_on_the_wire_are_exact(stub, aws_home, tmp_path):
    payload = bytes(range(256)) * 3
    (tmp_path / "payload.bin").write_bytes(payload)
    assert (
        call(
            stub, aws_home, "--endpoint-name", "e", "--body", f"fileb://{tmp_path / 'payload.bin'}"
        ).returncode
        == 0
    )
    assert sent(stub)["body"] == payload
    stub.reset()
    encoded = base64.b64encode(payload).decode()
    assert call(stub, aws_home, "--endpoint-name", "e", "--body", encoded).returncode == 0
    assert sent(stub)["body"] == payload
    assert "content-type" not in sent(stub)["headers"]


def test_invalid_base64_body(stub, aws_home):
    result = call(stub, aws_home, "--endpoint-name", "e", "--body", "not base64!")
    assert_refused(result, stub, 255, PREFIX + 'Invalid base64: "not base64!"\n')


# -- --cli-input-json / --cli-input-yaml ------------------------------------------------------------
def test_cli_input_json_command_line_wins(stub, aws_home):
    document = json.dumps({"EndpointName": "json-ep", "InferenceId": "json-id"})
    assert (
        call(stub, aws_home, "--cli-input-json", document, "--inference-id", "cli-id").returncode
        == 0
    )
    request = sent(stub)
    assert request["path"] == "/endpoints/json-ep/async-invocations"
    assert request["headers"]["x-amzn-sagemaker-inference-id"] == "cli-id"


def test_cli_input_yaml_from_file_with_yaml_12_scalars(stub, aws_home, tmp_path):
    document = tmp_path / "in.yaml"
    document.write_text("EndpointName: yaml-ep\nInferenceId: on\nRequestTTLSeconds: 0120\n")
    assert call(stub, aws_home, "--cli-input-yaml", f"file://{document}").returncode == 0
    headers = sent(stub)["headers"]
    assert headers["x-amzn-sagemaker-inference-id"] == "on"  # a string in YAML 1.2
    assert headers["x-amzn-sagemaker-requestttlseconds"] == "120"


def test_cli_input_json_body_is_base64_decoded(stub, aws_home):
    document = json.dumps({"EndpointName": "e", "Body": "aGk="})
    assert call(stub, aws_home, "--cli-input-json", document).returncode == 0
    assert sent(stub)["body"] == b"hi"


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (
            ["--cli-input-json", '{"EndpointName": "e", "Bogus": 1}'],
            'Parameter validation failed:\nUnknown parameter in input: "Bogus", must be one of: '
            "EndpointName, ContentType, Accept, CustomAttributes, InferenceId, InputLocation, "
            "S3OutputPathExtension, Filename, RequestTTLSeconds, InvocationTimeoutSeconds, Body\n",
        ),
        (
            ["--cli-input-json", '"just a string"'],
            "Error parsing parameter '--cli-input-json': Invalid type: expecting map, "
            "received <class 'str'>\n",
        ),
        (
            ["--cli-input-yaml", "- 1\n- 2\n"],
            "Error parsing parameter '--cli-input-yaml': Invalid type: expecting map, "
            "received <class 'list'>\n",
        ),
        (
            ["--cli-input-yaml", "a: [unclosed\n"],
            "Error parsing parameter 'cli-input-yaml': Invalid YAML received.\n",
        ),
        (
            ["--cli-input-json", "{}"],
            'Parameter validation failed:\nMissing required parameter in input: "EndpointName"\n',
        ),
    ],
)
def test_cli_input_errors(stub, aws_home, args, stderr):
    assert_refused(call(stub, aws_home, *args), stub, 252, PV + stderr)


def test_cli_input_json_missing_file(stub, aws_home, tmp_path):
    missing = tmp_path / "nope.json"
    result = call(stub, aws_home, "--cli-input-json", f"file://{missing}")
    assert_refused(
        result,
        stub,
        252,
        PV + f"Error parsing parameter '--cli-input-json': Unable to load paramfile "
        f"file://{missing}: [Errno 2] No such file or directory: '{missing}'\n",
    )


# -- skeletons ---------------------------------------------------------------------------------
YAML_INPUT = """\
EndpointName: ''  # [REQUIRED] The name of the endpoint that you specified when you created the endpoint using the CreateEndpoint API.
ContentType: '' # The MIME type of the input data in the request body.
Accept: '' # The desired MIME type of the inference response from the model container.
CustomAttributes: '' # Provides additional information about a request for an inference submitted to a model hosted at an Amazon SageMaker AI endpoint.
InferenceId: '' # The identifier for the inference request.
InputLocation: '' # The Amazon S3 URI where the inference request payload is stored.
S3OutputPathExtension: '' # The path extension that is appended to the Amazon S3 output path where the inference response payload is stored.
Filename: '' # The filename for the inference response payload stored in Amazon S3.
RequestTTLSeconds: 0 # Maximum age in seconds a request can be in the queue before it is marked as expired.
InvocationTimeoutSeconds: 0 # Maximum amount of time in seconds a request can be processed before it is marked as expired.
Body: !!binary '' # Provides inline input data for the inference request, in the format specified in the ContentType request header.
"""


def test_yaml_input_skeleton_matches_aws(stub, aws_home):
    result = call(stub, aws_home, "--generate-cli-skeleton", "yaml-input")
    assert (result.returncode, result.stdout.decode()) == (0, YAML_INPUT)
    assert stub.requests == []


def test_skeleton_needs_no_region_or_credentials(stub, tmp_path):
    env = clean_env(tmp_path, PATH="/usr/bin:/bin")  # no config, no credentials
    result = run_cli([*OP, "--generate-cli-skeleton"], env)
    assert result.returncode == 0
    assert json.loads(result.stdout)["EndpointName"] == ""


def test_output_skeleton_needs_a_region(stub, tmp_path):
    env = clean_env(tmp_path, PATH="/usr/bin:/bin")  # no config, no credentials
    result = run_cli([*OP, "--endpoint-name", "e", "--generate-cli-skeleton", "output"], env)
    assert result.returncode == 253
    result = run_cli(
        [*OP, "--endpoint-name", "e", "--generate-cli-skeleton", "output", "--region", "us-east-1"],
        env,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["OutputLocation"] == "OutputLocation"


def test_invalid_skeleton_choice(stub, aws_home):
    result = call(stub, aws_home, "--generate-cli-skeleton", "bogus")
    assert_refused(
        result,
        stub,
        252,
        PV + "argument --generate-cli-skeleton: Found invalid choice 'bogus'\n\n\n" + USAGE,
    )


def test_skeleton_fed_back_unchanged_fails_as_in_aws(stub, aws_home):
    skeleton = json.loads(call(stub, aws_home, "--generate-cli-skeleton").stdout)
    skeleton["EndpointName"] = "e"
    result = call(stub, aws_home, "--cli-input-json", json.dumps(skeleton))
    assert result.returncode == 252
    assert b"Parameter validation failed:" in result.stderr
    assert stub.requests == []


# -- never a traceback ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ["--endpoint-name", "e", "--body", "fileb:///nonexistent/dir/x"],
        ["--endpoint-name", "\udcff"],
        ["--cli-input-json", "[" * 5000],
        ["--cli-input-yaml", "&a [*a]"],
        ["--endpoint-name", "e", "--query", "[?"],
        ["--endpoint-name", "e", "--endpoint-url", "::::"],
    ],
)
def test_bad_input_never_prints_a_traceback(stub, aws_home, args):
    result = run_cli([*OP, *args], {**aws_home, "AWS_ENDPOINT_URL": stub.url})
    assert result.returncode in (252, 253, 254, 255)
    assert b"Traceback" not in result.stderr
    assert result.stderr.count(b"[ERROR]") == 1
    assert stub.requests == []


@pytest.mark.parametrize("error_format", ["yaml", "table", "json", "text"])
def test_structured_usage_errors_lay_out_as_aws_does(stub, aws_home, error_format):
    """YAML folds and tables size columns by text length: after our name is read as `aws`,
    the bytes are what the AWS CLI prints (laid out for its three-letter name)."""
    from sagemaker_async.render import format_output

    result = call(stub, aws_home, "--cli-error-format", error_format)
    aws_usage = USAGE.replace("sagemaker-async", "aws")
    expected = format_output(
        {
            "Code": "ParamValidation",
            "Message": "the following arguments are required: --endpoint-name\n\nusage: "
            + aws_usage[len("usage: ") :],
        },
        error_format,
        title="error",
    )
    assert result.returncode == 252
    assert result.stderr.decode().replace("sagemaker-async", "aws") == expected


def test_empty_endpoint_name_is_sent_as_aws_sends_it(stub, aws_home):
    assert call(stub, aws_home, "--endpoint-name", "").returncode == 0
    assert sent(stub)["path"] == "/endpoints//async-invocations"


@pytest.mark.parametrize(
    "where",
    [
        ["--", "sagemaker-runtime", "invoke-endpoint-async"],
        ["sagemaker-runtime", "--", "invoke-endpoint-async"],
        ["sagemaker-runtime", "invoke-endpoint-async", "--"],
    ],
)
def test_dashdash_before_the_options_hides_the_globals(stub, aws_home, where):
    """As AWS CLI 2.36.7: after "--" the global pass sees no options; the operation's are
    still read, and a global option there is unknown."""
    result = run_cli([*where, "--endpoint-name", "e", "--endpoint-url", stub.url], aws_home)
    assert_refused(
        result,
        stub,
        252,
        "\n" + USAGE + "\n" + PREFIX + f"Unknown options: --endpoint-url, {stub.url}\n",
    )


@pytest.mark.parametrize(
    "line",
    [
        ["--", "sagemaker-runtime", "invoke-endpoint-async"],
        ["sagemaker-runtime", "--", "invoke-endpoint-async"],
    ],
)
def test_dashdash_next_to_a_command_name_is_dropped(stub, aws_home, line):
    result = run_cli(["--endpoint-url", stub.url, *line, "--endpoint-name", "e"], aws_home)
    assert result.returncode == 0, result.stderr
    assert len(stub.requests) == 1
