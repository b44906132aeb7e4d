"""Options: the global ones, and the operation's, made from botocore's service model.

Each option is a ``click.Option`` (so click renders help and the tree stays click's); the
AWS-style parser in :mod:`sagemaker_async.argv` reads the same objects through
:func:`to_opt`. A member added to the model becomes an option here by itself.
"""

from __future__ import annotations

import enum

import click

from sagemaker_async import argv
from sagemaker_async.model import Member, Operation
from sagemaker_async.render import FORMATS

OUTPUT_FORMATS = FORMATS
COLORS = ("on", "off", "auto")
BINARY_FORMATS = ("base64", "raw-in-base64-out")
ERROR_FORMATS = ("legacy", "json", "yaml", "text", "table", "enhanced")
SKELETON_CHOICES = ("input", "output", "yaml-input")

# Options added to every operation by the AWS CLI, after the model's members.
CLI_INPUT_JSON = "--cli-input-json"
CLI_INPUT_YAML = "--cli-input-yaml"
GENERATE_CLI_SKELETON = "--generate-cli-skeleton"


def _flag(name: str, help: str) -> click.Option:
    return click.Option([name], is_flag=True, default=False, help=help)


def global_options() -> list[click.Option]:
    """The AWS CLI v2.36 global options, in its order (``--version`` is added last)."""
    return [
        _flag("--debug", "Turn on debug logging (secrets are redacted)."),
        click.Option(["--endpoint-url"], help="Override the service URL."),
        _flag("--no-verify-ssl", "Do not verify TLS certificates."),
        _flag("--no-paginate", "Accepted for compatibility; this operation has no pages."),
        click.Option(["--output"], type=click.Choice(OUTPUT_FORMATS), help="Output format."),
        click.Option(["--query"], help="A JMESPath query applied to the response."),
        click.Option(["--profile"], help="Use this profile from your config files."),
        click.Option(["--region"], help="The region to use."),
        click.Option(["--color"], type=click.Choice(COLORS), default="auto", help="Colour output."),
        _flag("--no-sign-request", "Do not sign the request (no credentials needed)."),
        click.Option(["--ca-bundle"], help="CA certificate bundle for TLS verification."),
        click.Option(["--cli-read-timeout"], help="Socket read timeout in seconds (0 = none)."),
        click.Option(["--cli-connect-timeout"], help="Connect timeout in seconds (0 = none)."),
        click.Option(
            ["--cli-binary-format"],
            type=click.Choice(BINARY_FORMATS),
            help="How blob arguments are read: base64 (default) or raw-in-base64-out.",
        ),
        _flag("--no-cli-pager", "Disable the output pager."),
        _flag("--cli-auto-prompt", "Accepted for compatibility; prompting is not supported."),
        _flag("--no-cli-auto-prompt", "Disable auto-prompt."),
        click.Option(
            ["--cli-error-format"],
            type=click.Choice(ERROR_FORMATS),
            help="How errors are written to stderr.",
        ),
    ]


def operation_options(op: Operation) -> list[click.Option]:
    """One option per input member, then --cli-input-json/yaml and --generate-cli-skeleton."""
    opts = [_member_option(m) for m in op.input_members]
    opts.append(
        click.Option(
            [CLI_INPUT_JSON],
            help="Read arguments from a JSON string or file:// (keys are API member names).",
        )
    )
    opts.append(
        click.Option(
            [CLI_INPUT_YAML],
            help="Read arguments from a YAML string or file:// (keys are API member names).",
        )
    )
    if not op.has_streaming_output:
        opts.append(
            click.Option(
                [GENERATE_CLI_SKELETON],
                is_flag=False,
                flag_value="input",
                type=click.Choice(SKELETON_CHOICES),
                help="Print a skeleton: input (JSON), yaml-input, or output; send nothing.",
            )
        )
    return opts


# -- workflow options (ours, not the model's; see docs/workflow.md) -------------------------
# A new name must not start with a prefix that abbreviates an AWS option uniquely (the
# operation's: a b c e f g i r s; the globals' are parsed in an earlier pass), so every
# AWS-valid command line keeps its meaning; tests/workflow/test_prefix_rule.py checks it.
WORKFLOW_DESTS = ("payload", "wait", "wait_timeout", "download")
DEFAULT_WAIT_TIMEOUT = 900  # seconds, as InvocationTimeoutSeconds' default
DEFAULT_CONCURRENCY = 16


class WorkflowOption(click.Option):
    """An option of ours on an AWS operation: help lists it under its own heading."""


def workflow_options() -> list[click.Option]:
    """--payload, --wait, --wait-timeout, --download on invoke-endpoint-async."""
    return [
        WorkflowOption(
            ["--payload"],
            metavar="PATH",
            help="Send this local file (- for stdin): inline as Body when it is at most "
            "128,000 bytes and no --input-location is given, else uploaded to "
            "--input-location (a prefix ending in / gets a generated key).",
        ),
        WorkflowOption(
            ["--wait"],
            is_flag=True,
            default=False,
            help="Wait for the output or the failure object; write the result to stdout "
            "(or to --download). Exit 3 if the inference failed, 4 on timeout.",
        ),
        WorkflowOption(
            ["--wait-timeout"],
            metavar="SECONDS",
            help=f"Give up waiting after this long (default {DEFAULT_WAIT_TIMEOUT}). "
            "Implies --wait.",
        ),
        WorkflowOption(
            ["--download"],
            metavar="PATH",
            help="Write the result to PATH (atomically) and print the invoke response as "
            "usual. Implies --wait.",
        ),
    ]


def wait_options() -> list[click.Option]:
    """The ``sagemaker-runtime wait`` command's options."""
    return [
        click.Option(
            ["--output-location"],
            metavar="S3URI",
            help="The OutputLocation to wait for. Without locations, the JSON that "
            "invoke-endpoint-async printed is read from stdin.",
        ),
        click.Option(["--failure-location"], metavar="S3URI", help="The FailureLocation to watch."),
        click.Option(
            ["--wait-timeout"],
            metavar="SECONDS",
            help=f"Give up after this long (default {DEFAULT_WAIT_TIMEOUT}).",
        ),
        click.Option(
            ["--download"],
            metavar="PATH",
            help="Write the result to PATH (atomically) instead of stdout.",
        ),
    ]


def batch_options() -> list[click.Option]:
    """The ``sagemaker-runtime batch`` command's options."""
    return [
        click.Option(
            ["--requests"],
            required=True,
            metavar="PATH",
            help="A JSON-lines file: one invoke document per line (API member names, as "
            "--cli-input-json), plus an optional Payload: a local file path.",
        ),
        click.Option(
            ["--concurrency"],
            metavar="INTEGER",
            help=f"Requests in flight at once (default {DEFAULT_CONCURRENCY}).",
        ),
        click.Option(
            ["--wait"],
            is_flag=True,
            default=False,
            help="Wait for every request to complete, fail or time out.",
        ),
        click.Option(
            ["--wait-timeout"],
            metavar="SECONDS",
            help=f"Per request, from its acceptance (default {DEFAULT_WAIT_TIMEOUT}). "
            "Implies --wait.",
        ),
        click.Option(
            ["--state"],
            metavar="PATH",
            help="Where accepted lines are recorded, so a re-run skips them "
            "(default: the requests file's name + .state).",
        ),
    ]


def _member_option(member: Member) -> click.Option:
    from sagemaker_async.docs import first_paragraph

    help_text = first_paragraph(member.documentation)
    if member.type == "boolean":
        return click.Option(
            [f"{member.option}/--no-{member.option[2:]}"],
            default=None,
            required=member.required,
            help=help_text,
        )
    return click.Option(
        [member.option],
        required=member.required,
        type=click.Choice(member.enum) if member.enum else None,
        metavar=_METAVARS.get(member.type, "TEXT"),
        help=help_text,
    )


_METAVARS = {
    "integer": "INTEGER",
    "long": "INTEGER",
    "float": "FLOAT",
    "double": "FLOAT",
    "blob": "BLOB",
    "timestamp": "TIMESTAMP",
    "structure": "JSON",
    "list": "JSON",
    "map": "JSON",
}


def _given(value: object) -> object:
    """None for click's "not set" sentinel (click ≥ 8.2 uses one for defaults)."""
    return None if isinstance(value, enum.Enum) else value


def to_opt(option: click.Option, *, required: bool | None = None) -> list[argv.Opt]:
    """The parser's view of a click option (a boolean pair becomes two flags)."""
    dest = option.name or ""
    if option.is_flag and option.secondary_opts:
        return [
            argv.Opt(tuple(option.opts), dest, nargs=0, const=True),
            argv.Opt(tuple(option.secondary_opts), dest, nargs=0, const=False),
        ]
    choices = tuple(option.type.choices) if isinstance(option.type, click.Choice) else None
    if option.is_flag:
        return [argv.Opt(tuple(option.opts), dest, nargs=0, const=True, default=False)]
    nargs: int | str = "?" if getattr(option, "_flag_needs_value", False) else 1
    return [
        argv.Opt(
            tuple(option.opts),
            dest,
            nargs=nargs,
            const=_given(option.flag_value) if nargs == "?" else None,
            default=_given(option.default),
            choices=choices,
            required=option.required if required is None else required,
        )
    ]
