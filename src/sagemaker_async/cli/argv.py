"""Command-line parsing with the AWS CLI's rules.

The AWS CLI parses in three passes with argparse's ``parse_known_args``: the global options
and the service name, then the operation name, then the operation's options; whatever the
last pass does not recognise is an "Unknown options" error. Users rely on the details:
unique prefixes (``--endpoint-n``), ``--opt=value``, last one wins, a value that looks like an
option is not taken as a value, values with a space or negative numbers are. This module
implements those rules for one pass over a list of :class:`Opt` and :class:`Positional`;
:mod:`sagemaker_async.cli.tree` chains the passes. Python's argparse is not used because its
messages and abbreviation rules change between Python versions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from sagemaker_async.errors import UsageError

TYPE_CHECKING = False  # typing costs start-up time; mypy reads this as typing.TYPE_CHECKING
if TYPE_CHECKING:
    from typing import Any

_NEGATIVE_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")


class Opt:
    """An optional argument: a flag (nargs 0), a value (1) or an optional value ("?")."""

    __slots__ = ("names", "dest", "nargs", "const", "default", "choices", "required", "version")

    def __init__(
        self,
        names: tuple[str, ...],
        dest: str,
        nargs: int | str = 1,
        const: Any = None,
        default: Any = None,
        choices: tuple[str, ...] | None = None,
        required: bool = False,
        version: Callable[[], str] | str | None = None,  # prints this and stops
    ):
        self.names = names
        self.dest = dest
        self.nargs = nargs
        self.const = const
        self.default = default
        self.choices = choices
        self.required = required
        self.version = version

    def __repr__(self) -> str:
        return f"Opt({self.names!r}, {self.dest!r}, nargs={self.nargs!r})"

    @property
    def display(self) -> str:
        return "/".join(self.names)


class Positional:
    """A positional argument. As argparse's, it swallows a ``--`` right before or after its
    value (which is how a trailing ``--`` disappears); ``optional`` (nargs "?") it also takes
    a lone ``--`` with no value after it."""

    __slots__ = ("dest", "choices", "suggestions", "optional")

    def __init__(
        self,
        dest: str,
        choices: Sequence[str] | None = None,
        # where "Maybe you meant" looks (a list, or a function giving one); default choices
        suggestions: Sequence[str] | Callable[[], Sequence[str]] | None = None,
        optional: bool = False,
    ):
        self.dest = dest
        self.choices = choices
        self.suggestions = suggestions
        self.optional = optional


class VersionRequested(Exception):
    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


def invalid_choice(name: str, value: str, candidates: Sequence[str]) -> UsageError:
    import difflib

    message = f"argument {name}: Found invalid choice {value!r}\n"
    close = difflib.get_close_matches(value, list(candidates), cutoff=0.8)
    if close:
        message += "\nMaybe you meant:\n\n" + "\n".join(f"  * {c}" for c in close)
    return UsageError(message)


class _Match:
    __slots__ = ("opt", "text", "explicit")

    def __init__(self, opt: Opt | None, text: str, explicit: str | None = None):
        self.opt = opt  # None: an option-like string this pass does not know
        self.text = text
        self.explicit = explicit  # the value after "=", if any


def parse_known(
    args: Sequence[str],
    options: Sequence[Opt],
    positionals: Sequence[Positional] = (),
) -> tuple[dict[str, Any], list[str]]:
    """One argparse-style ``parse_known_args`` pass: (values by dest, unrecognised args)."""
    by_name = {name: opt for opt in options for name in opt.names}
    values: dict[str, Any] = {opt.dest: opt.default for opt in options}
    seen: set[str] = set()
    kinds: list[str] = []  # "O" option, "A" argument, "-" the "--" marker
    matches: dict[int, _Match] = {}
    after_marker = False
    for i, arg in enumerate(args):
        if after_marker:
            kinds.append("A")
            continue
        if arg == "--":
            after_marker = True
            kinds.append("-")
            continue
        match = _classify(arg, by_name)
        if match is None:
            kinds.append("A")
        else:
            kinds.append("O")
            matches[i] = match

    extras: list[str] = []
    pending = list(positionals)
    i = 0
    while i < len(args):
        kind = kinds[i]
        if kind == "O":
            i = _consume_option(args, kinds, i, matches[i], values, seen, extras)
            continue
        if pending and (kind == "A" or _takes_marker(pending[0], kinds, i)):
            positional = pending.pop(0)
            i = _consume_positional(positional, args, kinds, i, values)
            seen.add(positional.dest)
            continue
        extras.append(args[i])
        i += 1

    missing = [o.display for o in options if o.required and o.dest not in seen]
    missing += [p.dest for p in pending if not p.optional]
    if missing:
        raise UsageError("the following arguments are required: " + ", ".join(missing))
    return values, extras


def _classify(arg: str, by_name: dict[str, Opt]) -> _Match | None:
    """argparse's _parse_optional: None means "a plain argument"."""
    if not arg or arg[0] != "-":
        return None
    if arg in by_name:
        return _Match(by_name[arg], arg)
    if len(arg) == 1:
        return None
    if "=" in arg:
        name, value = arg.split("=", 1)
        if name in by_name:
            return _Match(by_name[name], name, value)
    if arg.startswith("--"):
        prefix, _, value = arg.partition("=")
        candidates = [name for name in by_name if name.startswith(prefix)]
        if len(candidates) > 1:
            raise UsageError(f"ambiguous option: {arg} could match {', '.join(candidates)}")
        if candidates:
            return _Match(by_name[candidates[0]], candidates[0], value if "=" in arg else None)
    if _NEGATIVE_NUMBER.match(arg):
        return None
    if " " in arg:
        return None
    return _Match(None, arg)


def _consume_option(
    args: Sequence[str],
    kinds: list[str],
    i: int,
    match: _Match,
    values: dict[str, Any],
    seen: set[str],
    extras: list[str],
) -> int:
    opt = match.opt
    if opt is None:
        extras.append(match.text)
        return i + 1
    if opt.version is not None:
        raise VersionRequested(opt.version() if callable(opt.version) else opt.version)
    if opt.nargs == 0:
        if match.explicit is not None:
            raise UsageError(
                f"argument {opt.display}: ignored explicit argument {match.explicit!r}"
            )
        values[opt.dest] = opt.const
        seen.add(opt.dest)
        return i + 1
    if match.explicit is not None:
        value, nxt = match.explicit, i + 1
    elif i + 1 < len(args) and kinds[i + 1] == "A":
        value, nxt = args[i + 1], i + 2
    elif opt.nargs == "?":
        value, nxt = opt.const, i + 1
    else:
        raise UsageError(f"argument {opt.display}: expected one argument")
    if opt.choices is not None and value not in opt.choices:
        raise invalid_choice(opt.display, value, opt.choices)
    values[opt.dest] = value
    seen.add(opt.dest)
    return nxt


def _takes_marker(positional: Positional, kinds: list[str], i: int) -> bool:
    """Whether the positional's match (argparse: ``-*A-*``, or ``-*A?-*`` when optional)
    starts at the ``--`` marker at ``i``."""
    return kinds[i] == "-" and (positional.optional or (i + 1 < len(kinds) and kinds[i + 1] == "A"))


def _consume_positional(
    positional: Positional, args: Sequence[str], kinds: list[str], i: int, values: dict[str, Any]
) -> int:
    """Store the value at ``i`` (after a leading ``--``) and skip a ``--`` right after it."""
    if kinds[i] == "-":
        i += 1
    if i < len(args) and kinds[i] == "A":
        _store_positional(positional, args[i], values)
        i += 1
    if i < len(args) and kinds[i] == "-":
        i += 1
    return i


def _store_positional(positional: Positional, value: str, values: dict[str, Any]) -> None:
    if positional.choices is not None and value not in positional.choices:
        candidates = positional.suggestions or positional.choices
        if callable(candidates):
            candidates = candidates()
        raise invalid_choice(positional.dest, value, candidates)
    values[positional.dest] = value
