"""The click tree: ``sagemaker-async [global options] <command> <subcommand> [options]``.

Every command line goes through it: the root (global options, anywhere on the line), the
``sagemaker-runtime`` group (its operation), then the operation (``invoke-endpoint-async``, or
our ``wait`` and ``batch``), each a click context; or, at the root, one of our own plain click
commands (``serve``, ``completion``). The AWS CLI's rules live in the classes of
:mod:`sagemaker_async.cli.core`. Subtrees are built when asked for: running one operation
builds only that operation's command.
"""

from __future__ import annotations

import click

from sagemaker_async.cli.core import AwsCommand, AwsGroup, AwsOption
from sagemaker_async.cli.version import version_text
from sagemaker_async.context import RunContext
from sagemaker_async.errors import PROG
from sagemaker_async.request import options
from sagemaker_async.request.service_model import SERVICE, cli_name

TYPE_CHECKING = False  # typing costs start-up time; mypy reads this as typing.TYPE_CHECKING
if TYPE_CHECKING:
    from typing import Any

INVOKE_ENDPOINT_ASYNC = "InvokeEndpointAsync"
SERVICE_HELP = "Amazon SageMaker Runtime"
ROOT_HELP = "SageMaker asynchronous inference"
# Our own plain click commands at the top level, with the global options each accepts
# (given before its name); any other global option there is an error.
OWN_COMMANDS: dict[str, frozenset[str]] = {
    "serve": frozenset({"profile", "debug"}),
    "completion": frozenset(),
    "__complete": frozenset(),
}
# AWS CLI commands that are not botocore service names (its own commands and renames).
AWS_CLI_COMMANDS = ("configure", "s3api", "sso", "login", "logout", "history", "ddb")
WORKFLOW_NOTE = 'not an AWS CLI command; see "Workflow" in the sagemaker-async documentation'


def build_tree() -> AwsGroup:
    from sagemaker_async.request.service_model import list_service_names

    return AwsGroup(
        PROG,
        help=ROOT_HELP,
        names=[SERVICE, *OWN_COMMANDS],
        load=_load_top_command,
        params=[
            *(AwsOption(spec) for spec in options.global_options()),
            AwsOption(options.VERSION, version=version_text),
        ],
        suggestions=lambda: sorted({*list_service_names(), SERVICE, *OWN_COMMANDS}),
        not_ours=lambda: [*list_service_names(), *AWS_CLI_COMMANDS],
        callback=_prepare_settings,
        own_commands=OWN_COMMANDS,
    )


@click.pass_context
def _prepare_settings(ctx: click.Context, **values: Any) -> None:
    """Settings from the global options, checked before anything below runs."""
    from sagemaker_async.request.settings import Settings

    run: RunContext = ctx.obj
    settings = Settings.from_values(values)
    run.settings = settings
    settings.check()
    if settings.debug:
        from sagemaker_async.request import debuglog

        settings.redactor = debuglog.enable(run.streams.stderr)


def _load_top_command(name: str) -> click.Command | None:
    if name == SERVICE:
        return build_service()
    if name == "serve":
        from sagemaker_async.local.command import serve

        return serve
    from sagemaker_async.cli import completion_command

    if name == "completion":
        return completion_command.completion
    return completion_command.complete_words


def build_service() -> AwsGroup:
    from sagemaker_async.request.service_model import operation_names

    names = [cli_name(INVOKE_ENDPOINT_ASYNC), "wait", "batch"]
    return AwsGroup(
        SERVICE,
        help=SERVICE_HELP,
        names=names,
        load=_load_operation,
        suggestions=lambda: sorted({*operation_names(), *names, "help"}),
        not_ours=operation_names,
        positional="operation",
    )


def _load_operation(name: str) -> click.Command | None:
    from sagemaker_async.request.service_model import operation

    if name == "wait":
        return AwsCommand(
            "wait",
            options.wait_options(),
            "Wait for an asynchronous inference to complete or fail, then write its result "
            f"({WORKFLOW_NOTE}).",
            _run_wait,
            short_help="Wait for an asynchronous inference, then write its result.",
        )
    if name == "batch":
        return AwsCommand(
            "batch",
            options.batch_options(),
            "Submit the requests of a JSON-lines file concurrently, optionally waiting for "
            f"all ({WORKFLOW_NOTE}).",
            _run_batch,
            short_help="Submit a JSON-lines file of requests concurrently.",
        )
    invoke = operation(INVOKE_ENDPOINT_ASYNC)
    if name != invoke.cli_name:
        return None
    return AwsCommand(
        invoke.cli_name,
        [*options.operation_options(invoke), *options.workflow_options()],
        invoke.documentation,
        _run_invoke,
    )


# -- what each operation-level command runs: the values, the settings, the streams ----------
def _values(ctx: click.Context) -> tuple[dict[str, Any], Any, Any]:
    run: RunContext = ctx.find_root().obj
    return dict(ctx.params), run.settings, run.streams


def _run_invoke(ctx: click.Context) -> int:
    from sagemaker_async.request.operation import run_operation
    from sagemaker_async.request.service_model import operation

    return run_operation(operation(INVOKE_ENDPOINT_ASYNC), *_values(ctx))


def _run_wait(ctx: click.Context) -> int:
    from sagemaker_async.workflow.invoke import run_wait

    return run_wait(*_values(ctx))


def _run_batch(ctx: click.Context) -> int:
    from sagemaker_async.workflow.batch import run_batch

    return run_batch(*_values(ctx))
