"""The click tree: ``sagemaker-async [global options] <command> <subcommand> [options]``.

The tree is built from the command table (:mod:`sagemaker_async.cli.commands`) and serves help,
shell completion and our own click commands (``serve``, ``completion``). Commands that mirror
the AWS CLI are parsed with the AWS CLI's rules by :mod:`sagemaker_async.cli.dispatch` from the same
table, so running one never imports click (nor botocore's client machinery, until it sends).
"""

from __future__ import annotations

import sys

from sagemaker_async.cli import commands
from sagemaker_async.request import options

TYPE_CHECKING = False  # typing costs start-up time; mypy reads this as typing.TYPE_CHECKING

if TYPE_CHECKING:
    from typing import NoReturn

    import click


def build_tree() -> click.Group:
    import click

    from sagemaker_async.cli import completion_command
    from sagemaker_async.local.command import serve

    root = click.Group(
        "sagemaker-async",
        params=[spec.click_option() for spec in options.global_options()],
        add_help_option=False,
    )
    service = click.Group(commands.SERVICE_NAME, help=commands.SERVICE_HELP, add_help_option=False)
    for entry in commands.service_commands().values():
        service.add_command(
            click.Command(
                entry.name,
                params=[spec.click_option() for spec in entry.specs],
                help=entry.help,
                add_help_option=False,
            )
        )
    root.add_command(service)
    root.add_command(serve)
    root.add_command(completion_command.completion)
    root.add_command(completion_command.make_complete_command(root))
    return root


def main(args: list[str] | None = None) -> NoReturn:
    from sagemaker_async.cli.dispatch import run

    code = run(sys.argv[1:] if args is None else args, build_tree)
    # The interpreter's final collections would scan every object botocore loaded (~100 ms
    # after the answer is out); everything we wrote is flushed, so skip them.
    import gc

    gc.freeze()
    sys.exit(code)
