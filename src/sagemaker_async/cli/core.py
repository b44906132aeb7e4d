"""The click classes that give the tree the AWS CLI's command-line rules.

The AWS CLI parses in three passes with argparse's ``parse_known_args``: the global options
and the command name (anywhere on the line), then the operation name, then the operation's
options; whatever the last pass does not recognise is an "Unknown options" error. Users rely
on the details: unique prefixes (``--endpoint-n``), ``--opt=value``, last one wins, a value
that looks like an option is not taken as a value, values with a space or negative numbers
are, and ``--`` ends a pass's options (argparse's positionals swallow the markers next to
them). Here each pass is the ``parse_args`` of one level of the click tree:

* :class:`AwsGroup` (the root and ``sagemaker-runtime``): its own options wherever they are,
  then one positional, the command; ``resolve_command`` answers an unknown one the AWS way.
  At the root, our own plain click commands (``serve``, ``completion``) take the rest of the
  line, global options only before their name.
* :class:`AwsCommand` (an operation, ``wait``, ``batch``): its options, and (as the AWS CLI's
  operation parsers) an optional ``help`` positional; anything else is "Unknown options".
* :class:`AwsOption`: a ``click.Option`` that knows how the AWS CLI matches it (a flag, a
  value, an optional value, or ``--x``/``--no-x``) and completes its values.

Values land in ``ctx.params`` with their parameter source, so help, completion and the
commands' callbacks read the same objects. Python's argparse is not used because its
messages and abbreviation rules change between Python versions.
"""

from __future__ import annotations

import re

import click
from click.core import ParameterSource

from sagemaker_async.context import RunContext, Streams
from sagemaker_async.errors import (
    PROG,
    CommandUsageError,
    ParamValidationError,
    UnknownOptionsError,
    UsageError,
)
from sagemaker_async.request import options as O

TYPE_CHECKING = False  # typing costs start-up time; mypy reads this as typing.TYPE_CHECKING
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from click.shell_completion import CompletionItem

HELP_TOKENS = ("--help", "-h")
# Help pages of the AWS-style levels are laid out for 79 columns (helptext.WIDTH); a fixed
# width also spares click's formatter from asking the terminal.
AWS_HELP_WIDTH = 79
HELP_WANTED = "sagemaker_async.help"  # ctx.meta key: --help/-h was somewhere on the line
_PARSED_KEY = "sagemaker_async.parsed:"  # ctx.meta key + command name: its Parsed
_NEGATIVE_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")


class VersionRequested(Exception):
    """--version was met: print this and stop (the AWS CLI stops at once, too)."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


class AwsOption(click.Option):
    """A click option declared by an :class:`~sagemaker_async.request.options.Spec`."""

    def __init__(self, spec: O.Spec, version: Callable[[], str] | None = None):
        choice = click.Choice(spec.choices) if spec.choices else None
        if spec.kind == O.BOOLEAN:
            super().__init__(
                [f"{spec.name}/--no-{spec.name[2:]}", spec.dest], default=None, required=False
            )
        elif spec.kind == O.FLAG:
            super().__init__([spec.name, spec.dest], is_flag=True, default=False)
        else:
            super().__init__(
                [spec.name, spec.dest],
                type=choice,
                default=spec.default,
                metavar=spec.metavar,
                required=False,
            )
        self.spec = spec
        self.version = version
        self._help_text: str | None = None

    # Help is made from the model's HTML only when shown: an invoke never pays for it.
    @property
    def help(self) -> str | None:
        if self._help_text is None and getattr(self, "spec", None) is not None:
            self._help_text = self.spec.help_text()
        return self._help_text

    @help.setter
    def help(self, value: str | None) -> None:
        self._help_text = value

    @property
    def workflow(self) -> bool:
        return self.spec.workflow

    @property
    def takes_optional_value(self) -> bool:
        return self.spec.kind == O.OPTIONAL_VALUE

    @property
    def takes_value(self) -> bool:
        return self.spec.kind in (O.VALUE, O.OPTIONAL_VALUE)

    def match_names(self) -> list[tuple[str, _Match]]:
        """Each name the parser matches, with what it stores."""
        spec = self.spec
        if spec.kind == O.BOOLEAN:
            return [
                (spec.name, _Match(self, 0, True)),
                ("--no-" + spec.name[2:], _Match(self, 0, False)),
            ]
        if spec.kind == O.FLAG:
            return [(spec.name, _Match(self, 0, True))]
        nargs: int | str = "?" if spec.kind == O.OPTIONAL_VALUE else 1
        return [(spec.name, _Match(self, nargs, spec.const))]

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        from sagemaker_async.cli.completion import option_values

        return option_values(self, ctx, incomplete)


class _Match:
    """What one option name means to the parser: nargs 0 (stores ``const``), 1 or "?"."""

    __slots__ = ("option", "nargs", "const")

    def __init__(self, option: AwsOption, nargs: int | str, const: Any):
        self.option = option
        self.nargs = nargs
        self.const = const


class _Token:
    __slots__ = ("match", "text", "explicit")

    def __init__(self, match: _Match | None, text: str, explicit: str | None = None):
        self.match = match  # None: an option-like word this pass does not know
        self.text = text
        self.explicit = explicit  # the value after "=", if any


class Parsed:
    """One pass's result: values by parameter name, the options given (in order), the
    positional, what the pass did not recognise, and (resilient parsing only) an option
    still waiting for its value at the end of the line."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.given: list[AwsOption] = []
        self.positional: str | None = None
        self.extras: list[str] = []
        self.pending: AwsOption | None = None


def option_table(options: Sequence[AwsOption]) -> dict[str, _Match]:
    return {name: match for option in options for name, match in option.match_names()}


def find_option(word: str, table: dict[str, _Match]) -> AwsOption | None:
    """The option ``word`` names, exactly or as a unique prefix; None if none or ambiguous."""
    try:
        token = _classify(word, table)
    except UsageError:
        return None
    return token.match.option if token is not None and token.match is not None else None


def parse_known(
    args: Sequence[str],
    options: Sequence[AwsOption],
    positional: str | None = None,
    check_positional: Callable[[str], None] | None = None,
    *,
    resilient: bool = False,
    relax_required: bool = False,
    optional_positional: bool = False,
) -> Parsed:
    """One argparse-style ``parse_known_args`` pass over ``args``.

    ``positional``: the name of the one positional this level takes (required unless None);
    ``check_positional`` raises for a value it does not accept. ``resilient`` (completion):
    no errors, and an option left without its value is reported as ``pending``.
    ``relax_required``: no option is required (--cli-input-json/yaml or a skeleton may hold
    the required members). ``optional_positional``: the AWS CLI's operation parsers end with
    an optional positional (``help``), which decides what ``--`` does there.
    """
    table = option_table(options)
    parsed = Parsed()
    kinds: list[str] = []  # "O" option, "A" argument, "-" the "--" marker
    tokens: dict[int, _Token] = {}
    after_marker = False
    for i, arg in enumerate(args):
        if after_marker:
            kinds.append("A")
            continue
        if arg == "--":
            after_marker = True
            kinds.append("-")
            continue
        try:
            token = _classify(arg, table)
        except UsageError:
            if not resilient:
                raise
            token = _Token(None, arg)
        if token is None:
            kinds.append("A")
        else:
            kinds.append("O")
            tokens[i] = token

    want_positional = positional is not None
    i = 0
    while i < len(args):
        kind = kinds[i]
        if kind == "O":
            i = _consume_option(args, kinds, i, tokens[i], parsed, resilient)
            continue
        if optional_positional:
            # argparse's nargs="?" positional at the first gap: "--" markers around at
            # most one word, the first marker dropped.
            optional_positional = False
            taken, i = _optional_run(args, kinds, i)
            if "--" in taken:
                taken.remove("--")
            if taken:
                parsed.positional = taken[0] if len(taken) == 1 else " ".join(taken)
            continue
        if want_positional:
            # argparse's positional: one word with the "--" markers around it, which go
            # (markers alone, with no word, are left over)
            taken, end = _optional_run(args, kinds, i)
            words = [w for w, k in zip(taken, kinds[i:end], strict=True) if k == "A"]
            if words:
                want_positional = False
                if check_positional is not None and not resilient:
                    check_positional(words[0])
                parsed.positional = words[0]
                i = end
                continue
        parsed.extras.append(args[i])
        i += 1

    if not resilient:
        given = {id(o) for o in parsed.given}
        missing = [
            "/".join(n for n, _ in o.match_names())
            for o in options
            if o.spec.required and not relax_required and id(o) not in given
        ]
        if want_positional:
            missing.append(positional or "")
        if missing:
            raise UsageError("the following arguments are required: " + ", ".join(missing))
    return parsed


def _optional_run(args: Sequence[str], kinds: list[str], i: int) -> tuple[list[str], int]:
    """The words ``-*A?-*`` (by kind) from ``i``: what an argparse positional consumes."""
    start = i
    while i < len(kinds) and kinds[i] == "-":
        i += 1
    if i < len(kinds) and kinds[i] == "A":
        i += 1
    while i < len(kinds) and kinds[i] == "-":
        i += 1
    return list(args[start:i]), i


def _classify(arg: str, table: dict[str, _Match]) -> _Token | None:
    """argparse's _parse_optional: None means "a plain argument"."""
    if not arg or arg[0] != "-":
        return None
    if arg in table:
        return _Token(table[arg], arg)
    if len(arg) == 1:
        return None
    if "=" in arg:
        name, value = arg.split("=", 1)
        if name in table:
            return _Token(table[name], name, value)
    if arg.startswith("--"):
        prefix, _, value = arg.partition("=")
        candidates = [name for name in table if name.startswith(prefix)]
        if len(candidates) > 1:
            raise UsageError(f"ambiguous option: {arg} could match {', '.join(candidates)}")
        if candidates:
            return _Token(table[candidates[0]], candidates[0], value if "=" in arg else None)
    if _NEGATIVE_NUMBER.match(arg):
        return None
    if " " in arg:
        return None
    return _Token(None, arg)


def _display(option: AwsOption) -> str:
    return option.spec.name


def _consume_option(
    args: Sequence[str], kinds: list[str], i: int, token: _Token, parsed: Parsed, resilient: bool
) -> int:
    match = token.match
    if match is None:
        parsed.extras.append(token.text)
        return i + 1
    option = match.option
    if option.version is not None and not resilient:
        raise VersionRequested(option.version())
    parsed.given.append(option)
    if match.nargs == 0:
        if token.explicit is not None and not resilient:
            raise UsageError(
                f"argument {_display(option)}: ignored explicit argument {token.explicit!r}"
            )
        parsed.values[option.name or ""] = match.const
        return i + 1
    if token.explicit is not None:
        value, nxt = token.explicit, i + 1
    elif i + 1 < len(args) and kinds[i + 1] == "A":
        value, nxt = args[i + 1], i + 2
    elif resilient and i + 1 == len(args):
        parsed.pending = option
        return i + 1
    elif match.nargs == "?":
        value, nxt = match.const, i + 1
    elif resilient:
        return i + 1
    else:
        raise UsageError(f"argument {_display(option)}: expected one argument")
    choices = option.spec.choices
    if choices is not None and value not in choices and not resilient:
        raise invalid_choice(_display(option), value, choices)
    parsed.values[option.name or ""] = value
    return nxt


def invalid_choice(name: str, value: str, candidates: Sequence[str], note: str = "") -> UsageError:
    import difflib

    message = f"argument {name}: Found invalid choice {value!r}\n"
    close = difflib.get_close_matches(value, list(candidates), cutoff=0.8)
    if close:
        message += "\nMaybe you meant:\n\n" + "\n".join(f"  * {c}" for c in close)
    if note:
        message += f"\n\n{note}"
    return UsageError(message)


NOT_IMPLEMENTED_NOTE = (
    f"{PROG} implements only `sagemaker-runtime invoke-endpoint-async` of the AWS CLI, "
    "plus its own commands (sagemaker-runtime wait, sagemaker-runtime batch, serve, completion)."
)


def store(ctx: click.Context, params: Sequence[click.Parameter], parsed: Parsed) -> None:
    """Put a pass's values into ``ctx.params``, each with its source."""
    for param in params:
        name = param.name or ""
        if name in parsed.values:
            ctx.params[name] = parsed.values[name]
            ctx.set_parameter_source(name, ParameterSource.COMMANDLINE)
        else:
            ctx.params[name] = param.spec.default_value() if isinstance(param, AwsOption) else None
            ctx.set_parameter_source(name, ParameterSource.DEFAULT)


def _remember(ctx: click.Context, parsed: Parsed) -> None:
    ctx.meta[_PARSED_KEY + (ctx.command.name or "")] = parsed


def parsed_of(ctx: click.Context) -> Parsed | None:
    """What this context's ``parse_args`` found (completion reads ``pending`` from it)."""
    found = ctx.meta.get(_PARSED_KEY + (ctx.command.name or ""))
    return found if isinstance(found, Parsed) else None


def help_wanted(ctx: click.Context) -> bool:
    return bool(ctx.meta.get(HELP_WANTED))


def write_help(ctx: click.Context) -> int:
    """The command's help page on stdout (as the AWS CLI, without a pager)."""
    aws_style = isinstance(ctx.command, (AwsGroup, AwsCommand))
    formatter = click.HelpFormatter(width=AWS_HELP_WIDTH) if aws_style else ctx.make_formatter()
    ctx.command.format_help(ctx, formatter)
    run = ctx.find_root().obj
    streams = run.streams if isinstance(run, RunContext) else Streams()
    streams.stdout.write(formatter.getvalue().encode("utf-8"))
    streams.stdout.flush()
    return 0


class AwsCommand(click.Command):
    """An operation-level command: its options with the AWS CLI's rules, nothing else."""

    def __init__(
        self,
        name: str,
        specs: Sequence[O.Spec],
        help: str,
        run: Callable[..., int],
        short_help: str | None = None,
    ):
        super().__init__(
            name,
            params=[AwsOption(spec) for spec in specs],
            help=help,
            short_help=short_help,
            add_help_option=False,
        )
        self.run = run

    def aws_options(self) -> list[AwsOption]:
        return [p for p in self.params if isinstance(p, AwsOption)]

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args == ["help"] or help_wanted(ctx):
            ctx.meta[HELP_WANTED] = True
            return []
        resilient = ctx.resilient_parsing
        relax = O.CLI_INPUT_JSON in args or O.CLI_INPUT_YAML in args or _skeleton_relaxes(args)
        parsed = parse_known(
            args,
            self.aws_options(),
            resilient=resilient,
            relax_required=relax,
            optional_positional=True,
        )
        if parsed.positional == "help":  # the AWS CLI's optional "help" positional
            ctx.meta[HELP_WANTED] = True
            return []
        if parsed.positional is not None:  # any other word there is reported last
            parsed.extras.append(parsed.positional)
        if parsed.extras and not resilient:
            raise UnknownOptionsError(parsed.extras)
        store(ctx, self.params, parsed)
        _remember(ctx, parsed)
        ctx.args = parsed.extras
        return parsed.extras

    def invoke(self, ctx: click.Context) -> Any:
        if help_wanted(ctx):
            return write_help(ctx)
        return self.run(ctx)

    def get_short_help_str(self, limit: int = 45) -> str:
        from sagemaker_async.cli.helptext import summary

        return summary(self)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from sagemaker_async.cli.helptext import format_operation_help

        formatter.write(format_operation_help(self, ctx))

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        from sagemaker_async.cli.completion import option_names

        return option_names(ctx, [*self.aws_options(), *global_options_of(ctx)], incomplete)


def _skeleton_relaxes(args: Sequence[str]) -> bool:
    """The literal --generate-cli-skeleton (not followed by 'output') makes all optional."""
    if O.GENERATE_CLI_SKELETON not in args:
        return False
    index = list(args).index(O.GENERATE_CLI_SKELETON)
    return not (index + 1 < len(args) and args[index + 1] == "output")


def global_options_of(ctx: click.Context) -> list[AwsOption]:
    root = ctx.find_root().command
    return [p for p in root.params if isinstance(p, AwsOption)]


class AwsGroup(click.Group):
    """A level with commands below it (the root, a service), parsed with the AWS CLI's rules.

    ``parse_args`` takes this level's own options from anywhere on the line and the first
    plain word as the command; the rest goes down unchanged. Commands are built when asked
    for (``load``), so running one operation builds only that operation.
    """

    def __init__(
        self,
        name: str,
        *,
        help: str,
        names: Sequence[str],
        load: Callable[[str], click.Command | None],
        params: list[click.Parameter] | None = None,
        suggestions: Callable[[], Sequence[str]] | None = None,
        not_ours: Callable[[], Sequence[str]] | None = None,
        callback: Callable[..., Any] | None = None,
        own_commands: dict[str, frozenset[str]] | None = None,
        positional: str = "command",  # its name in messages ("argument command: …")
    ):
        super().__init__(
            name,
            help=help,
            params=params or [],
            add_help_option=False,
        )
        self.callback = callback
        self._names = list(names)
        self._load = load
        self._loaded: dict[str, click.Command] = {}
        self._suggestions = suggestions
        self._not_ours = not_ours
        # our plain click commands (serve, completion) → the global options they accept
        self.own_commands = own_commands or {}
        self.positional = positional

    # -- the commands, built lazily ---------------------------------------------------------
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self._names)

    def get_command(self, ctx: click.Context | None, cmd_name: str) -> click.Command | None:
        if cmd_name not in self._names:
            return None
        if cmd_name not in self._loaded:
            command = self._load(cmd_name)
            if command is None:
                return None
            self._loaded[cmd_name] = command
        return self._loaded[cmd_name]

    def visible_commands(self, ctx: click.Context) -> list[tuple[str, click.Command]]:
        out = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                out.append((name, command))
        return out

    # -- parsing -----------------------------------------------------------------------------
    def aws_options(self) -> list[AwsOption]:
        return [p for p in self.params if isinstance(p, AwsOption)]

    def check_command(self, value: str) -> None:
        if value == "help" or value in self._names:
            return
        candidates = [*self._names, "help"]
        if self._suggestions is not None:
            candidates = list(self._suggestions())
        note = ""
        if self._not_ours is not None and value in self._not_ours():
            note = NOT_IMPLEMENTED_NOTE
        raise invalid_choice(self.positional, value, candidates, note)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        resilient = ctx.resilient_parsing
        both_prompts = "--cli-auto-prompt" in args and "--no-cli-auto-prompt" in args
        if ctx.parent is None and not resilient and both_prompts:
            raise ParamValidationError(
                "Both --cli-auto-prompt and --no-cli-auto-prompt cannot be specified at "
                "the same time."
            )
        own = self._own_command_index(args, resilient)
        if own is not None:  # a command of ours: global options only before its name
            parsed = parse_known(args[:own], self.aws_options(), resilient=resilient)
            store(ctx, self.params, parsed)
            _remember(ctx, parsed)
            ctx.args = list(args[own:])
            return ctx.args
        wants_help = help_wanted(ctx)
        if ctx.parent is None:  # the whole line: --help/-h anywhere asks for help
            wants_help = any(a in HELP_TOKENS for a in args)
            ctx.meta[HELP_WANTED] = wants_help
            args = [a for a in args if a not in HELP_TOKENS]
        parsed = parse_known(
            args,
            self.aws_options(),
            self.positional if not wants_help or args else None,
            self.check_command,
            resilient=resilient,
        )
        store(ctx, self.params, parsed)
        _remember(ctx, parsed)
        command = parsed.positional
        ctx.args = [] if command is None else [command, *parsed.extras]
        return ctx.args

    def _own_command_index(self, args: Sequence[str], resilient: bool) -> int | None:
        """Where a command of ours is named, after global options only."""
        for index, token in enumerate(args):
            if token not in self.own_commands:
                continue
            try:
                parsed = parse_known(args[:index], self.aws_options(), resilient=resilient)
            except UsageError:
                return None
            return index if not parsed.extras else None
        return None

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0]
        command = self.get_command(ctx, name)
        if command is None and not ctx.resilient_parsing:
            self.check_command(name)
        return (name if command else None), command, args[1:]

    def invoke(self, ctx: click.Context) -> Any:
        if self.callback is not None:
            ctx.invoke(self.callback, **ctx.params)
        args = ctx.args
        if not args or args[0] == "help":
            return self.invoke_help(ctx, args[1:])
        name, command, rest = self.resolve_command(ctx, args)
        assert command is not None and name is not None
        ctx.invoked_subcommand = name
        if name in self.own_commands:
            return self.invoke_own(ctx, name, command, rest)
        with command.make_context(name, rest, parent=ctx) as sub_ctx:
            return command.invoke(sub_ctx)

    def invoke_own(
        self, ctx: click.Context, name: str, command: click.Command, args: list[str]
    ) -> int:
        """A plain click command of ours: ``help``, ``-h`` and ``--help`` show its help; a
        global option it has no use for is an error, not silently ignored."""
        accepted = self.own_commands[name]
        for option in self.aws_options():
            given = ctx.get_parameter_source(option.name or "") is ParameterSource.COMMANDLINE
            if given and option.name not in accepted:
                takes = " and ".join("--" + n.replace("_", "-") for n in sorted(accepted))
                raise CommandUsageError(
                    f"{ctx.command_path} {name}",
                    f"the global option {option.spec.name} does not apply to {name} "
                    + (
                        f"(only {takes} may come before it)"
                        if takes
                        else "(no global option may come before it)"
                    ),
                )
        settings = {"help_option_names": list(HELP_TOKENS)}
        if args == ["help"]:
            with command.make_context(
                name, [], parent=ctx, resilient_parsing=True, **settings
            ) as sub:
                return write_help(sub)
        with command.make_context(name, args, parent=ctx, **settings) as sub_ctx:
            result = command.invoke(sub_ctx)
        return int(result or 0)

    def invoke_help(self, ctx: click.Context, rest: list[str]) -> int:
        """``help`` alone: this level's help; ``help NAME``: NAME's help."""
        if rest and rest[0] in self._names and not rest[0].startswith("_"):
            command = self.get_command(ctx, rest[0])
            assert command is not None
            with command.make_context(rest[0], [], parent=ctx, resilient_parsing=True) as sub:
                return write_help(sub)
        return write_help(ctx)

    # -- help and completion -----------------------------------------------------------------
    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from sagemaker_async.cli.helptext import format_group_help

        formatter.write(format_group_help(self, ctx))

    def get_short_help_str(self, limit: int = 45) -> str:
        return self.help or ""

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        from sagemaker_async.cli.completion import command_names, option_names

        if incomplete.startswith("-"):
            return option_names(ctx, global_options_of(ctx), incomplete)
        return command_names(ctx, self.visible_commands(ctx), incomplete)
