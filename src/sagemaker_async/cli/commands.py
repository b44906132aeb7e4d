"""The command table, as plain data: what exists and which options each command takes.

The AWS-style parser (dispatch.py) works from this table alone, so running a command never imports
click; cli.py turns the same table into the click tree for help, completion and our own
click commands.
"""

from __future__ import annotations

from sagemaker_async.request import options
from sagemaker_async.request.service_model import SERVICE, Operation, operation

TYPE_CHECKING = False  # typing costs start-up time; mypy reads this as typing.TYPE_CHECKING
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from sagemaker_async.context import Streams
    from sagemaker_async.request.settings import Settings

    Runner = Callable[[dict[str, Any], Settings, Streams], int]

INVOKE_ENDPOINT_ASYNC = "InvokeEndpointAsync"
# Our own commands at the top level: plain click commands, global options only before them.
NATIVE_COMMANDS = ("serve", "completion", "__complete")


class Entry:
    """An operation-level command of the service: an AWS operation (``operation`` set) or one
    of ours parsed the same way (``runner(values, settings, streams) -> exit code``)."""

    __slots__ = ("name", "specs", "help", "operation", "runner")

    def __init__(
        self,
        name: str,
        specs: list[options.Spec],
        help: str,
        operation: Operation | None = None,
        runner: Runner | None = None,
    ):
        self.name = name
        self.specs = specs
        self.help = help
        self.operation = operation
        self.runner = runner


def _run_wait(values: dict[str, Any], settings: Settings, streams: Streams) -> int:
    from sagemaker_async.workflow.invoke import run_wait

    return run_wait(values, settings, streams)


def _run_batch(values: dict[str, Any], settings: Settings, streams: Streams) -> int:
    from sagemaker_async.workflow.batch import run_batch

    return run_batch(values, settings, streams)


def service_commands() -> dict[str, Entry]:
    """The commands of the ``sagemaker-runtime`` group, in help order."""
    invoke = operation(INVOKE_ENDPOINT_ASYNC)
    entries = [
        Entry(
            invoke.cli_name,
            [*options.operation_options(invoke), *options.workflow_options()],
            invoke.documentation,
            operation=invoke,
        ),
        Entry(
            "wait",
            options.wait_options(),
            "Wait for an asynchronous inference to complete or fail, then write its result "
            "(not an AWS CLI command; see docs/workflow.md).",
            runner=_run_wait,
        ),
        Entry(
            "batch",
            options.batch_options(),
            "Submit the requests of a JSON-lines file concurrently, optionally waiting for "
            "all (not an AWS CLI command; see docs/workflow.md).",
            runner=_run_batch,
        ),
    ]
    return {entry.name: entry for entry in entries}


SERVICE_NAME = SERVICE
SERVICE_HELP = "Amazon SageMaker Runtime"
