"""The compatibility rule for new option names: every prefix that the AWS CLI accepts as a
unique abbreviation of one of its options (operation or global) still means that option.

The AWS option set comes from the model (``options.operation_options``: its members plus
--cli-input-json/yaml and --generate-cli-skeleton) and ``options.global_options()`` (plus
--version); ours is what the real click tree carries. Each candidate goes through the passes
the tree's ``parse_args`` run (cli/core.py): global options and the service name, the
operation name, then the operation's options.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import click
import pytest

from helpers import run_cli
from sagemaker_async.cli.core import AwsCommand, AwsOption, VersionRequested, parse_known
from sagemaker_async.cli.tree import build_tree
from sagemaker_async.context import RunContext
from sagemaker_async.errors import UsageError
from sagemaker_async.request import options as O
from sagemaker_async.request.service_model import SERVICE, operation

OPERATION = "InvokeEndpointAsync"


def _version() -> AwsOption:
    return AwsOption(O.VERSION, version=lambda: "(version)")


def aws_option_sets() -> tuple[list[AwsOption], list[AwsOption]]:
    globals_ = [AwsOption(spec) for spec in O.global_options()] + [_version()]
    return globals_, [AwsOption(spec) for spec in O.operation_options(operation(OPERATION))]


def invoke_command() -> tuple[click.Group, AwsCommand]:
    root = build_tree()
    ctx = click.Context(root, obj=RunContext())
    service = root.get_command(ctx, SERVICE)
    assert isinstance(service, click.Group)
    command = service.get_command(ctx, "invoke-endpoint-async")
    assert isinstance(command, AwsCommand)
    return root, command


def our_option_sets() -> tuple[list[AwsOption], list[AwsOption]]:
    """What the tree parses with: the root's options and the operation's."""
    root, command = invoke_command()
    return [p for p in root.params if isinstance(p, AwsOption)], command.aws_options()


def names(opt: AwsOption) -> list[str]:
    return [name for name, _ in opt.match_names()]


def token_for(prefix: str, opt: AwsOption) -> str:
    """The prefix as a user would type it for ``opt``: bare for a flag, else with a value."""
    if not opt.takes_value:
        return prefix
    value = opt.spec.choices[0] if opt.spec.choices else "value"
    return f"{prefix}={value}"


def resolve(token: str, global_opts: list[AwsOption], op_opts: list[AwsOption]) -> Any:
    """(pass, dest, value) the AWS CLI's passes give ``token``; "error" when it is ambiguous
    or unknown."""
    args = [SERVICE, "invoke-endpoint-async", token]
    try:
        parsed = parse_known(args, global_opts, "command")
        if parsed.values:
            return ("global", *_one(parsed.values))
        parsed = parse_known(parsed.extras, [], "operation")
        parsed = parse_known(parsed.extras, op_opts, relax_required=True)
    except VersionRequested:
        return ("global", "version", True)
    except UsageError:
        return "error"
    if parsed.extras or not parsed.values:
        return "error"
    return ("operation", *_one(parsed.values))


def _one(values: dict[str, Any]) -> tuple[str, Any]:
    assert len(values) == 1, values
    return next(iter(values.items()))


def _aws_names() -> list[tuple[str, AwsOption]]:
    globals_, op = aws_option_sets()
    return [(name, opt) for opt in [*globals_, *op] for name in names(opt)]


def _prefixes(name: str) -> list[str]:
    return [name[:end] for end in range(3, len(name) + 1)]  # "--x" … the full name


@pytest.mark.parametrize("name", [name for name, _ in _aws_names()])
def test_every_aws_abbreviation_keeps_its_meaning(name):
    aws_globals, aws_op = aws_option_sets()
    our_globals, our_op = our_option_sets()
    opt = dict(_aws_names())[name]
    checked = 0
    for prefix in _prefixes(name):
        token = token_for(prefix, opt)
        aws = resolve(token, aws_globals, aws_op)
        if aws == "error" or aws[1] != opt.name:
            continue  # not a unique abbreviation of this option for the AWS CLI
        assert resolve(token, our_globals, our_op) == aws, token
        checked += 1
    assert checked >= 1  # at least the full name itself


def test_our_options_only_take_prefixes_the_aws_cli_refuses():
    aws_globals, aws_op = aws_option_sets()
    our_globals, our_op = our_option_sets()
    aws_names = {n for a in aws_op for n in names(a)}
    ours = [o for o in our_op if names(o)[0] not in aws_names]
    assert sorted(names(o)[0] for o in ours) == [
        "--download",
        "--payload",
        "--wait",
        "--wait-timeout",
    ]
    for opt in ours:
        for prefix in _prefixes(names(opt)[0]):
            token = token_for(prefix, opt)
            mine = resolve(token, our_globals, our_op)
            if mine != "error" and mine[1] == opt.name:
                assert resolve(token, aws_globals, aws_op) == "error", token


def test_our_options_are_listed_as_workflow_options():
    _, command = invoke_command()
    ours = [p.opts[0] for p in command.aws_options() if p.workflow]
    assert ours == ["--payload", "--wait", "--wait-timeout", "--download"]


# -- the same through the real CLI and the stub --------------------------------------------
FULL = [
    "--endpoint-name", "my-endpoint",
    "--input-location", "s3://in-bucket/input.json",
    "--inference-id", "inf-0001",
    "--content-type", "text/csv",
    "--accept", "application/json",
    "--custom-attributes", "a=b",
    "--s3-output-path-extension", "ext",
    "--filename", "name.out",
    "--request-ttl-seconds", "120",
    "--invocation-timeout-seconds", "600",
]  # fmt: skip
SHORT = [
    "--endpoint-n", "my-endpoint",
    "--input-l", "s3://in-bucket/input.json",
    "--inf", "inf-0001",
    "--cont", "text/csv",
    "--a", "application/json",
    "--cu", "a=b",
    "--s3", "ext",
    "--f", "name.out",
    "--req", "120",
    "--inv", "600",
]  # fmt: skip


def _seen(request: dict) -> tuple:
    headers = {k: v for k, v in request["headers"].items() if k.startswith("x-amzn-sagemaker-")}
    return request["path"], headers, request["body"]


def test_abbreviated_operation_options_send_the_same_request(stub, aws_home):
    invoke = ["--endpoint-url", stub.url, SERVICE, "invoke-endpoint-async"]
    full = run_cli([*invoke, *FULL], aws_home)
    short = run_cli([*invoke, *SHORT], aws_home)
    assert full.returncode == short.returncode == 0, short.stderr
    assert full.stdout == short.stdout
    assert _seen(stub.requests[0]) == _seen(stub.requests[1])


def test_b_is_body_and_globals_abbreviate_before_the_operation(stub, aws_home):
    result = run_cli(
        [
            SERVICE,
            "invoke-endpoint-async",
            "--endpoint-n",
            "my-endpoint",
            "--b",
            base64.b64encode(b"hello").decode(),
            "--e",  # the global --endpoint-url, parsed first
            stub.url,
            "--reg",
            "eu-west-1",
            "--q",
            "InferenceId",
            "--o",
            "json",
        ],
        aws_home,
    )
    assert result.returncode == 0, result.stderr
    request = stub.requests[0]
    assert request["body"] == b"hello"
    assert "/eu-west-1/" in request["headers"]["authorization"]
    assert isinstance(json.loads(result.stdout), str)
