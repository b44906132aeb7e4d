"""The click tree: ``sagemaker-async [global options] <command> <subcommand> [options]``.

Commands that mirror the AWS CLI (``sagemaker-runtime invoke-endpoint-async``) have their
arguments parsed with the AWS CLI's rules by :mod:`sagemaker_async.app`; commands of our
own (``serve``) are plain click commands. No botocore import happens at module level.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from sagemaker_async import options
from sagemaker_async.model import SERVICE, operation

INVOKE_ENDPOINT_ASYNC = "InvokeEndpointAsync"


class AwsOperationCommand(click.Command):
    """An operation of the AWS CLI: its click params come from botocore's model."""

    def __init__(self, operation_name: str):
        self.operation = operation(operation_name)
        super().__init__(
            self.operation.cli_name,
            params=options.operation_options(self.operation),
            help=self.operation.documentation,
            add_help_option=False,
        )


def build_tree() -> click.Group:
    root = click.Group("sagemaker-async", params=options.global_options(), add_help_option=False)
    service = click.Group(SERVICE, help="Amazon SageMaker Runtime", add_help_option=False)
    service.add_command(AwsOperationCommand(INVOKE_ENDPOINT_ASYNC))
    root.add_command(service)
    root.add_command(_lazy_serve())
    return root


def _lazy_serve() -> click.Command:
    from sagemaker_async.local.command import serve

    return serve


def main(args: list[str] | None = None) -> NoReturn:
    from sagemaker_async.app import run

    code = run(sys.argv[1:] if args is None else args, build_tree())
    sys.exit(code)
