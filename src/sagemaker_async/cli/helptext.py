"""Help pages as plain text (the AWS CLI renders man pages; ours need no groff), written by
the tree's own ``format_help`` from the same click objects that parse the line."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import click

from sagemaker_async.cli.core import AwsCommand, AwsGroup, AwsOption, global_options_of
from sagemaker_async.errors import PROG
from sagemaker_async.request.model_docs import paragraphs
from sagemaker_async.request.options import VERSION

WIDTH = 79


def _section(title: str, body: list[str]) -> str:
    return title + "\n" + "\n".join(body) + "\n"


def _wrap(text: str, indent: int) -> list[str]:
    pad = " " * indent
    wrapped = textwrap.wrap(
        text, WIDTH, initial_indent=pad, subsequent_indent=pad, break_on_hyphens=False
    )
    return wrapped or [""]


def _option_lines(params: Sequence[click.Parameter]) -> list[str]:
    lines: list[str] = []
    for param in params:
        if not isinstance(param, click.Option):
            continue
        names = " | ".join([*param.opts, *param.secondary_opts])
        if isinstance(param.type, click.Choice):
            kind = "{" + ",".join(map(str, param.type.choices)) + "}"
        elif param.is_flag:
            kind = ""
        else:
            kind = f"<{(param.metavar or 'value').lower()}>"
        required = "  [required]" if _required(param) else ""
        lines.append(f"  {names} {kind}{required}".rstrip())
        for paragraph in (param.help or "").split("\n\n"):
            lines.extend(_wrap(paragraph, 6))
        lines.append("")
    return lines


def _required(param: click.Option) -> bool:
    return param.spec.required if isinstance(param, AwsOption) else param.required


def _global_options(ctx: click.Context) -> list[click.Option]:
    return [o for o in global_options_of(ctx) if o.spec is not VERSION]


def summary(command: click.Command) -> str:
    """A command's one-line description, for command lists."""
    if isinstance(command, AwsCommand) and not command.short_help:
        return _summary(command.help or "")  # an AWS operation: from the model
    text = command.short_help or (command.help or "").split("\n\n")[0]
    return " ".join(text.split())


def _command_lines(group: AwsGroup, ctx: click.Context) -> list[str]:
    rows = [(name, summary(command)) for name, command in group.visible_commands(ctx)]
    rows.append(("help", "Show help (also -h or --help, at every level)."))
    width = max(len(name) for name, _ in rows)
    lines = []
    for name, text in rows:
        first = f"      o {name.ljust(width)}  "
        wrapped = textwrap.wrap(
            text, WIDTH, initial_indent=first, subsequent_indent=" " * len(first)
        )
        lines.extend(wrapped or [first.rstrip()])
    return lines


def format_group_help(group: AwsGroup, ctx: click.Context) -> str:
    service = group.name if ctx.parent is not None else None
    path = f"{PROG} {service}" if service else PROG
    usage = (
        f"{path} <command> [options]"
        if service
        else f"{PROG} [options] <command> <subcommand> [parameters]"
    )
    parts = [
        _section("NAME", _wrap(f"{path} - {group.help or 'SageMaker asynchronous inference'}", 6)),
        _section("SYNOPSIS", [f"      {usage}"]),
        _section("AVAILABLE COMMANDS", _command_lines(group, ctx)),
    ]
    if not service:
        parts.append(_section("GLOBAL OPTIONS", _option_lines(_global_options(ctx))))
    return "\n".join(parts)


def format_operation_help(command: AwsCommand, ctx: click.Context) -> str:
    """NAME, DESCRIPTION (the model's documentation), SYNOPSIS, OPTIONS, GLOBAL OPTIONS."""
    description: list[str] = []
    for paragraph in paragraphs(command.help or ""):
        description.extend(_wrap(paragraph, 6))
        description.append("")
    service = ctx.parent.command.name if ctx.parent is not None else ""
    synopsis = [f"      {PROG} {service} {command.name}"]
    for param in command.aws_options():
        opt = param.opts[0]
        arg = "" if param.is_flag else " <value>"
        synopsis.append(f"      {opt}{arg}" if _required(param) else f"      [{opt}{arg}]")
    aws = [p for p in command.aws_options() if not p.spec.workflow]
    ours = [p for p in command.aws_options() if p.spec.workflow]
    return "\n".join(
        [
            _section("NAME", _wrap(f"{command.name} - {_summary(command.help or '')}", 6)),
            _section("DESCRIPTION", description),
            _section("SYNOPSIS", synopsis),
            _section("OPTIONS", _option_lines(aws)),
            *(
                [_section("WORKFLOW OPTIONS (not in the AWS CLI)", _option_lines(ours))]
                if ours
                else []
            ),
            _section("GLOBAL OPTIONS", _option_lines(_global_options(ctx))),
        ]
    )


def _summary(help_html: str) -> str:
    """The first sentence of a command's documentation."""
    from sagemaker_async.request.model_docs import plain_text

    text = plain_text(help_html)
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]
