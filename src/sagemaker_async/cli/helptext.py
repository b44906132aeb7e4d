"""Help pages as plain text (the AWS CLI renders man pages; ours need no groff)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import click

from sagemaker_async.errors import PROG
from sagemaker_async.request.model_docs import paragraphs
from sagemaker_async.request.options import global_options

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
        required = "  [required]" if param.required else ""
        lines.append(f"  {names} {kind}{required}".rstrip())
        for paragraph in (param.help or "").split("\n\n"):
            lines.extend(_wrap(paragraph, 6))
        lines.append("")
    return lines


def format_group_help(group: click.Group, service: str | None) -> str:
    path = f"{PROG} {service}" if service else PROG
    usage = (
        f"{path} <command> [options]"
        if service
        else f"{PROG} [options] <command> <subcommand> [parameters]"
    )
    parts = [
        _section("NAME", _wrap(f"{path} - {group.help or 'SageMaker asynchronous inference'}", 6)),
        _section("SYNOPSIS", [f"      {usage}"]),
        _section(
            "AVAILABLE COMMANDS",
            [f"      o {name}" for name, cmd in sorted(group.commands.items()) if not cmd.hidden]
            + ["      o help"],
        ),
    ]
    if not service:
        parts.append(
            _section(
                "GLOBAL OPTIONS", _option_lines([spec.click_option() for spec in global_options()])
            )
        )
    return "\n".join(parts)


def format_operation_help(command: click.Command, service: str) -> str:
    """NAME, DESCRIPTION (the model's documentation), SYNOPSIS, OPTIONS, GLOBAL OPTIONS."""
    description: list[str] = []
    for paragraph in paragraphs(command.help or ""):
        description.extend(_wrap(paragraph, 6))
        description.append("")
    synopsis = [f"      {PROG} {service} {command.name}"]
    for param in command.params:
        if isinstance(param, click.Option):
            opt = param.opts[0]
            arg = "" if param.is_flag else " <value>"
            synopsis.append(f"      {opt}{arg}" if param.required else f"      [{opt}{arg}]")
    aws = [p for p in command.params if not getattr(p, "workflow", False)]
    ours = [p for p in command.params if getattr(p, "workflow", False)]
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
            _section(
                "GLOBAL OPTIONS", _option_lines([spec.click_option() for spec in global_options()])
            ),
        ]
    )


def _summary(help_html: str) -> str:
    """The first sentence of a command's documentation."""
    from sagemaker_async.request.model_docs import plain_text

    text = plain_text(help_html)
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]
