"""The compatibility rule for new option names: every prefix that the AWS CLI accepts as a
unique abbreviation of one of its options (operation or global) still means that option.

The AWS option set comes from the model (``options.operation_options``: its members plus
--cli-input-json/yaml and --generate-cli-skeleton) and ``options.global_options()`` (plus
--version, as cli/dispatch.py adds it); ours is what the real click tree carries. Each candidate goes
through the same passes cli/dispatch.py runs: global options and the service name, the operation
name, then the operation's options.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from helpers import run_cli
from sagemaker_async.cli import argv
from sagemaker_async.cli.commands import service_commands
from sagemaker_async.cli.tree import build_tree
from sagemaker_async.errors import UsageError
from sagemaker_async.request.options import global_options, operation_options, to_opt
from sagemaker_async.request.service_model import SERVICE, operation

OPERATION = "InvokeEndpointAsync"
VERSION = argv.Opt(("--version",), "version", nargs=0, version="(version)")


def _opts(params: list[Any]) -> list[argv.Opt]:
    return [o for p in params for o in to_opt(p, required=False)]


def aws_option_sets() -> tuple[list[argv.Opt], list[argv.Opt]]:
    return _opts(global_options()) + [VERSION], _opts(operation_options(operation(OPERATION)))


def our_option_sets() -> tuple[list[argv.Opt], list[argv.Opt]]:
    """What cli/dispatch.py parses with: the command table's specs."""
    entry = service_commands()["invoke-endpoint-async"]
    return _opts(global_options()) + [VERSION], _opts(entry.specs)


def token_for(prefix: str, opt: argv.Opt) -> str:
    """The prefix as a user would type it for ``opt``: bare for a flag, else with a value."""
    if opt.nargs == 0:
        return prefix
    value = opt.choices[0] if opt.choices else "value"
    return f"{prefix}={value}"


def resolve(token: str, global_opts: list[argv.Opt], op_opts: list[argv.Opt]) -> Any:
    """(pass, dest, value) the AWS CLI's passes give ``token``; "error" when it is ambiguous
    or unknown."""
    args = [SERVICE, "invoke-endpoint-async", token]
    try:
        values, rest = argv.parse_known(args, global_opts, [argv.Positional("command")])
        changed = _changed(values, global_opts, skip={"command"})
        if changed:
            return ("global", *changed)
        _, rest = argv.parse_known(rest, [], [argv.Positional("operation")])
        values, rest = argv.parse_known(rest, op_opts)
    except (UsageError, argv.VersionRequested) as e:
        if isinstance(e, argv.VersionRequested):
            return ("global", "version", True)
        return "error"
    if rest:
        return "error"
    changed = _changed(values, op_opts)
    return ("operation", *changed) if changed else "error"


def _changed(values: dict[str, Any], opts: list[argv.Opt], skip: set[str] = frozenset()) -> Any:
    defaults = {o.dest: o.default for o in opts}
    moved = [(d, v) for d, v in values.items() if d not in skip and v != defaults.get(d)]
    return moved[0] if len(moved) == 1 else None


def _aws_names() -> list[tuple[str, argv.Opt]]:
    globals_, op = aws_option_sets()
    return [(name, opt) for opt in [*globals_, *op] for name in opt.names]


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
        if aws == "error" or aws[1] != opt.dest:
            continue  # not a unique abbreviation of this option for the AWS CLI
        assert resolve(token, our_globals, our_op) == aws, token
        checked += 1
    assert checked >= 1  # at least the full name itself


def test_our_options_only_take_prefixes_the_aws_cli_refuses():
    aws_globals, aws_op = aws_option_sets()
    our_globals, our_op = our_option_sets()
    ours = [o for o in our_op if o.names[0] not in {n for a in aws_op for n in a.names}]
    assert sorted(o.names[0] for o in ours) == [
        "--download",
        "--payload",
        "--wait",
        "--wait-timeout",
    ]
    for opt in ours:
        for prefix in _prefixes(opt.names[0]):
            token = token_for(prefix, opt)
            mine = resolve(token, our_globals, our_op)
            if mine != "error" and mine[1] == opt.dest:
                assert resolve(token, aws_globals, aws_op) == "error", token


def test_our_options_are_listed_as_workflow_options():
    command = build_tree().commands[SERVICE].commands["invoke-endpoint-async"]  # type: ignore[attr-defined]
    ours = [p.opts[0] for p in command.params if getattr(p, "workflow", False)]
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
