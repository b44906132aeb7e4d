"""From argv to exit code: the AWS CLI's parsing passes, dispatch, and the one error handler.

parse (cli/argv.py) → merge (request/params.py) → send (request/client.py) → shape
(render/shape.py) → render (render/)
Every error is caught once, in :func:`run`, and written by errors.write_error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from sagemaker_async.cli import argv, commands
from sagemaker_async.context import Streams
from sagemaker_async.errors import (
    CliError,
    ExitCode,
    ParamValidationError,
    UnknownOptionsError,
    UsageError,
    from_exception,
    write_error,
)
from sagemaker_async.request.options import (
    CLI_INPUT_JSON,
    CLI_INPUT_YAML,
    GENERATE_CLI_SKELETON,
    global_options,
)
from sagemaker_async.request.settings import (
    Settings,
    check_config_files,
    error_color,
    error_format_from_environment,
)

TYPE_CHECKING = False  # typing costs start-up time; mypy reads this as typing.TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any, BinaryIO

    import click

    TreeFactory = Callable[[], click.Group]

HELP_TOKENS = ("--help", "-h")


def run(args: list[str], tree: TreeFactory, streams: Streams | None = None) -> int:
    """Run one command line; ``tree`` builds the click tree, needed only for help and for
    our own click commands."""
    streams = streams or Streams()
    resolved: list[Settings] = []  # filled once the global options are parsed
    try:
        return _run(list(args), tree, streams, resolved)
    except KeyboardInterrupt:
        # As the AWS CLI: a newline on stdout, nothing on stderr, 128 + SIGINT.
        _safe_write(streams.stdout, b"\n")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        _silence_broken_pipe()
        return ExitCode.OK
    except argv.VersionRequested as v:
        streams.stdout.write(v.text.encode() + b"\n")
        streams.stdout.flush()
        return ExitCode.OK
    except Exception as exc:  # the one place errors become messages and exit codes
        settings = resolved[0] if resolved else None
        if settings is not None and settings.debug:
            import traceback

            traceback.print_exc(file=streams.stderr)
        err = from_exception(exc)
        error_format = error_format_from_environment(settings)
        write_error(err, streams.stderr, error_format, color=error_color(settings))
        return int(err.exit_code)


def _run(args: list[str], tree: TreeFactory, streams: Streams, resolved: list[Settings]) -> int:
    check_config_files()
    if "--cli-auto-prompt" in args and "--no-cli-auto-prompt" in args:
        raise ParamValidationError(
            "Both --cli-auto-prompt and --no-cli-auto-prompt cannot be specified at the same time."
        )
    global_opts = [o for spec in global_options() for o in spec.parser_opts()]
    global_opts.append(argv.Opt(("--version",), "version", nargs=0, version=_version_text))
    native = _find_native_command(args, global_opts)
    if native is not None:  # our own click command: globals only before its name
        values, _ = argv.parse_known(args[:native], global_opts)
        _prepare(values, streams, resolved)
        return _run_click_command(tree().commands[args[native]], args[native + 1 :])

    wants_help = any(a in HELP_TOKENS for a in args)
    args = [a for a in args if a not in HELP_TOKENS]
    names = [commands.SERVICE_NAME, *commands.NATIVE_COMMANDS, "help"]
    values, rest = argv.parse_known(
        args,
        global_opts,
        [argv.Positional("command", names, _command_suggestions)] if not wants_help or args else [],
    )
    settings = _prepare(values, streams, resolved)
    if values.get("command") in (None, "help"):
        return _write_help(streams, _format_root_help(tree()))
    return _run_service(tree, rest, settings, streams, wants_help)


def _prepare(values: dict[str, Any], streams: Streams, resolved: list[Settings]) -> Settings:
    """Settings from the parsed global options, checked; --debug switched on."""
    settings = Settings.from_values(values)
    resolved.append(settings)
    settings.check()
    if settings.debug:
        from sagemaker_async.request import debuglog

        settings.redactor = debuglog.enable(streams.stderr)
    return settings


def _find_native_command(args: list[str], global_opts: list[argv.Opt]) -> int | None:
    """Where a command of our own (not an AWS service) is named, after global options only."""
    for index, token in enumerate(args):
        if token not in commands.NATIVE_COMMANDS:
            continue
        try:
            _, extras = argv.parse_known(args[:index], global_opts)
        except UsageError:
            return None
        return index if not extras else None
    return None


def _run_click_command(command: click.Command, args: list[str]) -> int:
    import click

    try:
        result = command.main(
            args, prog_name=f"sagemaker-async {command.name}", standalone_mode=False
        )
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.ClickException as e:
        e.show()
        return e.exit_code
    return int(result or 0)


def _run_service(
    tree: TreeFactory, args: list[str], settings: Settings, streams: Streams, wants_help: bool
) -> int:
    from sagemaker_async.request.service_model import operation_names

    entries = commands.service_commands()
    choices = [*entries, "help"]
    values, rest = argv.parse_known(
        args,
        [],
        [argv.Positional("operation", choices, lambda: sorted({*operation_names(), *choices}))]
        if not wants_help or args
        else [],
    )
    name = values.get("operation")
    if name is None or name == "help":
        return _write_help(streams, _format_service_help(tree()))
    if wants_help or rest == ["help"]:
        from sagemaker_async.cli.helptext import format_operation_help

        service = tree().commands[commands.SERVICE_NAME]
        command = service.commands[name]  # type: ignore[attr-defined]
        return _write_help(streams, format_operation_help(command, commands.SERVICE_NAME))
    return _run_operation(entries[name], rest, settings, streams)


def _run_operation(
    entry: commands.Entry, args: list[str], settings: Settings, streams: Streams
) -> int:
    relax = CLI_INPUT_JSON in args or CLI_INPUT_YAML in args or _skeleton_relaxes(args)
    opts = [o for spec in entry.specs for o in spec.parser_opts(False if relax else None)]
    # The AWS CLI's operation parser has an optional "help" positional: it takes the first
    # stray argument (reported last among unknown options) and a ``--`` marker.
    values, rest = argv.parse_known(args, opts, [argv.Positional("help", optional=True)])
    if values.get("help") is not None:
        rest.append(values["help"])
    if rest:
        raise UnknownOptionsError(rest)
    if entry.runner is not None:  # a command of ours (wait, batch), parsed by the same passes
        return int(entry.runner(values, settings, streams))
    from sagemaker_async.request import operation

    assert entry.operation is not None
    return operation.run_operation(entry.operation, values, settings, streams)


def _skeleton_relaxes(args: list[str]) -> bool:
    """The literal --generate-cli-skeleton (not followed by 'output') makes all optional."""
    if GENERATE_CLI_SKELETON not in args:
        return False
    index = args.index(GENERATE_CLI_SKELETON)
    return not (index + 1 < len(args) and args[index + 1] == "output")


def _command_suggestions() -> list[str]:
    """Every AWS CLI command name (botocore's services) and ours, for "Maybe you meant"."""
    from sagemaker_async.request.service_model import list_service_names

    return sorted({*list_service_names(), commands.SERVICE_NAME, *commands.NATIVE_COMMANDS})


def _version_text() -> str:
    import platform

    import botocore  # its __init__ only: no client machinery

    from sagemaker_async import __version__

    return (
        f"sagemaker-async/{__version__} Python/{platform.python_version()} "
        f"{platform.system()}/{platform.release()} botocore/{botocore.__version__}"
    )


def _format_root_help(root: click.Group) -> str:
    from sagemaker_async.cli.helptext import format_group_help

    return format_group_help(root, None)


def _format_service_help(root: click.Group) -> str:
    from sagemaker_async.cli.helptext import format_group_help

    service = root.commands[commands.SERVICE_NAME]
    return format_group_help(service, service.name)  # type: ignore[arg-type]


def _write_help(streams: Streams, text: str) -> int:
    streams.stdout.write(text.encode("utf-8"))
    streams.stdout.flush()
    return ExitCode.OK


def _safe_write(stream: BinaryIO, data: bytes) -> None:
    try:
        stream.write(data)
        stream.flush()
    except OSError:
        pass


def _silence_broken_pipe() -> None:
    # Python would complain again when flushing stdout at exit; point it at devnull.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


__all__ = ["run", "Streams", "CliError"]
