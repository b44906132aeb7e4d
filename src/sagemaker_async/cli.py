"""The click tree: ``sagemaker-async [global options] <command> <subcommand> [options]``.

Commands that mirror the AWS CLI (``sagemaker-runtime invoke-endpoint-async``) have their
arguments parsed with the AWS CLI's rules by :mod:`sagemaker_async.app`; commands of our
own (``serve``) are plain click commands. No botocore import happens at module level.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import click

from sagemaker_async import completion_command, options
from sagemaker_async.model import SERVICE, operation

if TYPE_CHECKING:
    from sagemaker_async.app import Streams
    from sagemaker_async.settings import Settings

INVOKE_ENDPOINT_ASYNC = "InvokeEndpointAsync"


class AwsOperationCommand(click.Command):
    """An operation of the AWS CLI: its click params come from botocore's model (then
    ``extra``, options of ours)."""

    def __init__(self, operation_name: str, extra: list[click.Option] | None = None):
        self.operation = operation(operation_name)
        super().__init__(
            self.operation.cli_name,
            params=[*options.operation_options(self.operation), *(extra or [])],
            help=self.operation.documentation,
            add_help_option=False,
        )


class WorkflowCommand(click.Command):
    """A command of ours in an AWS service group (workflow/): global options anywhere, the
    AWS CLI's parsing rules; ``runner(values, settings, streams)`` does the work."""

    def __init__(
        self, name: str, params: Sequence[click.Parameter], help: str, runner: Callable[..., int]
    ):
        super().__init__(name, params=list(params), help=help, add_help_option=False)
        self.runner = runner


def _run_wait(values: dict[str, Any], settings: Settings, streams: Streams) -> int:
    from sagemaker_async.workflow.invoke import run_wait

    return run_wait(values, settings, streams)


def _run_batch(values: dict[str, Any], settings: Settings, streams: Streams) -> int:
    from sagemaker_async.workflow.batch import run_batch

    return run_batch(values, settings, streams)


def build_tree() -> click.Group:
    root = click.Group("sagemaker-async", params=options.global_options(), add_help_option=False)
    service = click.Group(SERVICE, help="Amazon SageMaker Runtime", add_help_option=False)
    service.add_command(AwsOperationCommand(INVOKE_ENDPOINT_ASYNC, options.workflow_options()))
    service.add_command(
        WorkflowCommand(
            "wait",
            options.wait_options(),
            "Wait for an asynchronous inference to complete or fail, then write its result "
            "(not an AWS CLI command; see docs/workflow.md).",
            _run_wait,
        )
    )
    service.add_command(
        WorkflowCommand(
            "batch",
            options.batch_options(),
            "Submit the requests of a JSON-lines file concurrently, optionally waiting for "
            "all (not an AWS CLI command; see docs/workflow.md).",
            _run_batch,
        )
    )
    root.add_command(service)
    root.add_command(_lazy_serve())
    root.add_command(completion_command.completion)
    root.add_command(completion_command.make_complete_command(root))
    return root


def _lazy_serve() -> click.Command:
    from sagemaker_async.local.command import serve

    return serve


def main(args: list[str] | None = None) -> NoReturn:
    from sagemaker_async.app import run

    code = run(sys.argv[1:] if args is None else args, build_tree())
    # The interpreter's final collections would scan every object botocore loaded (~100 ms
    # after the answer is out); everything we wrote is flushed, so skip them.
    import gc

    gc.freeze()
    sys.exit(code)
