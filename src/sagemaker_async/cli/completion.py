"""Shell completion: which words may come next on a ``sagemaker-async`` command line.

:func:`complete` is pure apart from what it must look up: it reads the click tree it is
given (so commands and options added to the tree complete by themselves), the file system
for ``file://``/``fileb://`` and path values, the user's AWS config files (through botocore,
only for ``--profile``), botocore's endpoint data (``--region``) and, for ``--endpoint-name``,
the ``/_status`` page of a local ``serve`` — on a loopback address only, never elsewhere.
Any failure gives no candidates. The ``format_*`` functions turn candidates into what each
shell's script reads; the scripts themselves are in :mod:`sagemaker_async.cli.completion_scripts`.

Levels, as the command line is parsed (see :mod:`sagemaker_async.cli.dispatch`): the root (global
options and commands), a service group such as ``sagemaker-runtime`` (its operations; global
options still valid), an operation (its options and the global options), or a command of
our own such as ``serve`` (its own options and arguments only: global options go before it).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import click

from sagemaker_async.request.model_docs import plain_text

FILE_PREFIXES = ("file://", "fileb://")
# Values of these options are paths, though their click type does not say so.
PATH_OPTIONS = frozenset({"--ca-bundle"})
# Operation options whose values usually come from a file: Tab on an empty value offers
# file:// and fileb:// (for others, typing "f" does).
FILE_METAVARS = frozenset({"BLOB", "JSON"})
FILE_OPTIONS = frozenset({"--cli-input-json", "--cli-input-yaml"})
# "localhost" is not looked up (a resolver could answer anything): these are tried instead.
LOCALHOST_ADDRESSES = ("127.0.0.1", "::1")
STATUS_TIMEOUT = 0.5  # seconds, for connecting and for reading; --endpoint-name only
STATUS_MAX_BYTES = 1 << 20
DESCRIPTION_WIDTH = 60
# bash's default COMP_WORDBREAKS (without the blanks, which never occur inside a word).
BASH_WORDBREAKS = "\"'><=;|&(:"

_VERSION = click.Option(["--version"], is_flag=True, help="Display the version of this tool.")


@dataclass(frozen=True)
class Candidate:
    value: str
    description: str = ""
    partial: bool = False  # more is to be typed (a directory, a "file://"): no space after it


@dataclass
class _Level:
    """Where the words before the cursor lead: what may be completed there.

    ``kind`` is "root", "service" (a group of operations), "operation", "native" (a click
    command of ours, such as serve: its own options and arguments only) or "dead" (after an
    unknown command or "help": nothing can be offered).
    """

    kind: str
    options: list[click.Option]
    commands: dict[str, click.Command] = field(default_factory=dict)
    operation_options: frozenset[int] = frozenset()  # ids of an operation's own options
    native: click.Command | None = None
    arguments_given: int = 0


def complete(
    root: click.Group,
    words: list[str],
    cword: int,
    environ: Mapping[str, str] | None = None,
) -> list[Candidate]:
    """Candidates for ``words[cword]``; ``words`` are the words after the program name."""
    environ = os.environ if environ is None else environ
    words = list(words)
    while len(words) <= cword:
        words.append("")
    current = words[cword]
    before, after = words[:cword], words[cword + 1 :]

    level, pending, values, given = _walk(root, before)
    if level.kind == "dead":
        return []
    _note_given(level, after, values, given)
    context = _Context(level, values, environ)

    if pending is not None and not (_optional_value(pending) and current.startswith("-")):
        return _value_candidates(pending, current, context)
    if current.startswith("--") and "=" in current:
        name, _, value = current.partition("=")
        option = _match_option(name, level)
        if option is not None and _takes_value(option):
            return [
                Candidate(f"{name}={c.value}", c.description, c.partial)
                for c in _value_candidates(option, value, context)
            ]
        return []
    if current.startswith("-"):
        return _option_candidates(level, current, given)
    positional = _positional_candidates(level, current, context)
    if positional is not None:
        return positional
    return _option_candidates(level, current, given) if current == "" else []


# -- walking the words before the cursor ----------------------------------------------------
def _walk(
    root: click.Group, words: list[str]
) -> tuple[_Level, click.Option | None, dict[str, str], set[int]]:
    """The level reached, an option still waiting for its value, values seen, options given."""
    globals_ = [p for p in root.params if isinstance(p, click.Option) and not p.hidden]
    globals_.append(_VERSION)
    level = _Level("root", options=globals_, commands=_visible(root))
    pending: click.Option | None = None
    values: dict[str, str] = {}
    given: set[int] = set()
    options_ended = False
    for word in words:
        if pending is not None:
            if not (_optional_value(pending) and word.startswith("-")):
                values[pending.opts[0]] = word
                pending = None
                continue
            pending = None
        if word == "--" and level.kind == "native":
            options_ended = True
            continue
        if word.startswith("-") and len(word) > 1 and not options_ended:
            name, eq, value = word.partition("=")
            option = _match_option(name if eq else word, level)
            if option is not None:
                given.add(id(option))
                if eq:
                    values[option.opts[0]] = value
                elif _takes_value(option):
                    pending = option
            continue
        level = _enter(level, word, globals_)
        if level.kind == "dead":
            break
    return level, pending, values, given


def _enter(level: _Level, word: str, globals_: list[click.Option]) -> _Level:
    """The level after a positional word."""
    if level.kind == "native":
        level.arguments_given += 1
        return level
    if level.kind == "operation":  # an operation takes no positional words
        return level
    command = level.commands.get(word)
    if command is None:  # "help", or a command this tree does not have
        return _Level("dead", options=[])
    if isinstance(command, click.Group):
        return _Level("service", options=globals_, commands=_visible(command))
    own = [p for p in _params(command) if isinstance(p, click.Option) and not p.hidden]
    if level.kind == "root":  # serve, completion: global options go before the command
        return _Level("native", options=own, native=command)
    return _Level("operation", options=own + globals_, operation_options=frozenset(map(id, own)))


def _note_given(level: _Level, words: list[str], values: dict[str, str], given: set[int]):
    """Options after the cursor count as given too (completing in the middle of a line)."""
    for i, word in enumerate(words):
        if not word.startswith("-") or len(word) < 2:
            continue
        name, eq, value = word.partition("=")
        option = _match_option(name if eq else word, level)
        if option is None:
            continue
        given.add(id(option))
        if eq:
            values.setdefault(option.opts[0], value)
        elif _takes_value(option) and i + 1 < len(words) and not words[i + 1].startswith("-"):
            values.setdefault(option.opts[0], words[i + 1])


def _visible(group: click.Group) -> dict[str, click.Command]:
    return {name: cmd for name, cmd in group.commands.items() if not cmd.hidden}


def _params(command: click.Command) -> list[click.Parameter]:
    """The command's parameters including click's --help (when it has one)."""
    try:
        return command.get_params(click.Context(command))
    except Exception:
        return list(command.params)


def _names(option: click.Option) -> list[str]:
    return [*option.opts, *option.secondary_opts]


def _match_option(word: str, level: _Level) -> click.Option | None:
    """The option a word names: exactly, or (AWS-style levels) by a unique prefix."""
    by_name = {name: option for option in level.options for name in _names(option)}
    if word in by_name:
        return by_name[word]
    if level.kind == "native" or not word.startswith("--"):
        return None
    found = {id(o): o for name, o in by_name.items() if name.startswith(word)}
    return next(iter(found.values())) if len(found) == 1 else None


def _takes_value(option: click.Option) -> bool:
    return (not option.is_flag and not option.count) or _optional_value(option)


def _optional_value(option: click.Option) -> bool:
    return bool(getattr(option, "_flag_needs_value", False))


# -- candidates ------------------------------------------------------------------------------
def _filter(candidates: Iterable[Candidate], prefix: str) -> list[Candidate]:
    return [c for c in candidates if c.value.startswith(prefix)]


def _option_candidates(level: _Level, prefix: str, given: set[int]) -> list[Candidate]:
    out: list[Candidate] = []
    for option in level.options:
        repeatable = option.multiple or option.count
        if id(option) in given and not repeatable:
            continue
        description = short_description(option.help or "")
        if option.required:
            description = f"(required) {description}".strip()
        out.extend(Candidate(name, description) for name in _names(option))
    return _filter(out, prefix)


def _positional_candidates(level: _Level, prefix: str, context: _Context) -> list[Candidate] | None:
    """Commands, operations or a native command's argument values; None where none fit."""
    if level.native is not None:
        argument = _argument_at(level.native, level.arguments_given)
        return None if argument is None else _typed_values(argument, prefix)
    if level.kind == "operation":
        return None
    out = [
        Candidate(name, short_description(cmd.short_help or plain_text(cmd.help or "")))
        for name, cmd in sorted(level.commands.items())
    ]
    out.append(Candidate("help", "Show help."))
    return _filter(out, prefix)


def _argument_at(command: click.Command, index: int) -> click.Argument | None:
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    for argument in arguments:
        if argument.nargs < 0:
            return argument
        if index < argument.nargs:
            return argument
        index -= argument.nargs
    return None


@dataclass
class _Context:
    level: _Level
    values: dict[str, str]  # values given on the line, by the option's first name
    environ: Mapping[str, str]


def _value_candidates(option: click.Option, prefix: str, context: _Context) -> list[Candidate]:
    if prefix.startswith(FILE_PREFIXES):
        scheme = FILE_PREFIXES[0] if prefix.startswith(FILE_PREFIXES[0]) else FILE_PREFIXES[1]
        return [
            Candidate(scheme + c.value, c.description, c.partial)
            for c in path_candidates(prefix[len(scheme) :])
        ]
    name = option.opts[0]
    lookups = {
        "--profile": profile_candidates,
        "--endpoint-name": lambda: endpoint_name_candidates(
            _endpoint_url(context.values, context.environ)
        ),
        "--region": region_candidates,
    }
    if not isinstance(option.type, click.Choice) and name in lookups:
        found = _filter(_quietly(lookups[name]), prefix)
        if found or prefix:
            return found
    if name in PATH_OPTIONS:
        return path_candidates(prefix)
    found = _typed_values(option, prefix)
    if found or isinstance(option.type, click.Choice):
        return found
    if id(option) in context.level.operation_options:
        wants_file = option.metavar in FILE_METAVARS or name in FILE_OPTIONS
        if prefix or wants_file:
            return _filter([Candidate(p, partial=True) for p in FILE_PREFIXES], prefix)
    return []


def _typed_values(param: click.Parameter, prefix: str) -> list[Candidate]:
    kind = param.type
    if isinstance(kind, click.Choice):
        return _filter((Candidate(str(c)) for c in kind.choices), prefix)
    if isinstance(kind, click.Path):
        found = path_candidates(prefix)
        if not kind.file_okay:
            found = [c for c in found if c.partial]
        return found
    return []


def _quietly(lookup) -> list[Candidate]:
    try:
        return list(lookup())
    except Exception:
        return []


def short_description(text: str) -> str:
    """The first sentence of a help text, on one line, at most DESCRIPTION_WIDTH characters."""
    line = " ".join(text.split())
    if ". " in line:
        line = line.split(". ", 1)[0] + "."
    if len(line) > DESCRIPTION_WIDTH:
        line = line[: DESCRIPTION_WIDTH - 1].rstrip() + "…"
    return line


# -- lookups ---------------------------------------------------------------------------------
def path_candidates(typed: str) -> list[Candidate]:
    """Files and directories whose path starts with ``typed`` (directories end with '/')."""
    if typed.startswith("~") and "/" not in typed:
        return [Candidate("~/", partial=True)]
    head, tail = os.path.split(typed)
    folder = os.path.expanduser(head) if head else "."
    out: list[Candidate] = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if not entry.name.startswith(tail):
                    continue
                if entry.name.startswith(".") and not tail.startswith("."):
                    continue
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                value = os.path.join(head, entry.name) if head else entry.name
                out.append(Candidate(value + "/" if is_dir else value, partial=is_dir))
    except OSError:
        return []
    return sorted(out, key=lambda c: c.value)


def profile_candidates() -> list[Candidate]:
    """Profiles in the user's config and credentials files, as botocore reads them."""
    import botocore.session

    session = botocore.session.Session()
    profiles = session.full_config.get("profiles", {})
    out = []
    for name in sorted(session.available_profiles):
        region = profiles.get(name, {}).get("region")
        out.append(Candidate(name, f"region {region}" if region else ""))
    return out


def region_candidates() -> list[Candidate]:
    """Regions where SageMaker Runtime has an endpoint, from botocore's endpoint data."""
    import json

    import botocore

    with open(os.path.join(botocore.BOTOCORE_ROOT, "data", "endpoints.json"), "rb") as f:
        data = json.load(f)
    out = []
    for partition in data.get("partitions", []):
        regions = partition.get("regions", {})
        service = partition.get("services", {}).get("runtime.sagemaker", {})
        for name, endpoint in service.get("endpoints", {}).items():
            if name in regions and not endpoint.get("deprecated"):
                out.append(Candidate(name, regions[name].get("description", "")))
    return sorted(out, key=lambda c: c.value)


def _endpoint_url(values: Mapping[str, str], environ: Mapping[str, str]) -> str | None:
    """--endpoint-url from the line, else the environment (unless configured URLs are off)."""
    if values.get("--endpoint-url"):
        return values["--endpoint-url"]
    if environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true":
        return None
    return environ.get("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME") or environ.get("AWS_ENDPOINT_URL")


def loopback_addresses(url: str) -> list[tuple[str, int]]:
    """Where to reach ``url`` if its host is this machine's loopback; else nothing."""
    import ipaddress
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        return []
    port = parts.port or 80
    host = parts.hostname
    if host.lower() == "localhost":
        return [(address, port) for address in LOCALHOST_ADDRESSES]
    try:
        return [(host, port)] if ipaddress.ip_address(host).is_loopback else []
    except ValueError:  # any other name: never looked up, never contacted
        return []


def endpoint_name_candidates(url: str | None) -> list[Candidate]:
    """Endpoint names of a local ``serve`` at ``url`` (only if ``url`` is on loopback)."""
    addresses = loopback_addresses(url) if url else []
    if not url or not addresses:
        return []
    import http.client
    import json
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path.rstrip("/") + "/_status"
    for address, port in addresses:
        # http.client, not urllib.request: no proxy setting can send this anywhere else.
        connection = http.client.HTTPConnection(address, port, timeout=STATUS_TIMEOUT)
        try:
            connection.request("GET", path, headers={"Host": parts.netloc})
            response = connection.getresponse()
            body = response.read(STATUS_MAX_BYTES) if response.status == 200 else b""
        except OSError:
            continue  # not listening there: try the next address of "localhost"
        finally:
            connection.close()
        return _status_endpoints(json.loads(body)) if body else []
    return []


def _status_endpoints(status: Any) -> list[Candidate]:
    endpoints = status.get("Endpoints") if isinstance(status, dict) else None
    if not isinstance(endpoints, dict):
        return []
    out = []
    for name, entry in sorted(endpoints.items()):
        detail = ""
        if isinstance(entry, dict):
            detail = f"model {entry.get('Model')}, backlog {entry.get('ApproximateBacklogSize')}"
        out.append(Candidate(str(name), detail))
    return out


# -- what each shell reads -------------------------------------------------------------------
def format_fish(candidates: list[Candidate]) -> list[str]:
    """``value<TAB>description`` (fish adds no space after a value ending in '/')."""
    return [
        _one_line(f"{c.value}\t{c.description}" if c.description else c.value) for c in candidates
    ]


def format_zsh(candidates: list[Candidate]) -> list[str]:
    """``S|N<TAB>value[:description]`` for ``_describe`` (S: a space follows, N: none)."""
    lines = []
    for c in candidates:
        spec = c.value.replace("\\", "\\\\").replace(":", "\\:")
        if c.description:
            spec += ":" + c.description
        lines.append(_one_line(("N\t" if c.partial else "S\t") + spec))
    return lines


def format_bash(
    candidates: list[Candidate], raw_current: str, wordbreaks: str = BASH_WORDBREAKS
) -> list[str]:
    """COMPREPLY entries: each replaces only the part of the word bash is completing.

    bash splits the word being completed at COMP_WORDBREAKS characters (``=`` and ``:`` by
    default) and replaces the text after the last one; inside an open quote, the text after
    the quote. Values are escaped for an unquoted word, and a space ends a finished value
    (the script uses ``complete -o nospace``).
    """
    start, quoted = _bash_replaced_from(raw_current, wordbreaks)
    kept = unquote_word(raw_current[:start])
    out = []
    for c in candidates:
        if not c.value.startswith(kept):
            continue
        rest = c.value[len(kept) :]
        text = rest if quoted else _bash_escape(rest)
        out.append(_one_line(text if c.partial else text + " "))
    return out


def _bash_replaced_from(raw: str, wordbreaks: str) -> tuple[int, bool]:
    """Where the text readline replaces starts in ``raw``, and whether a quote is open there:
    after the last unquoted word-break character, or after a quote left open."""
    breaks = set(wordbreaks) - set(" \t\n'\"")
    start, quote, opened, i = 0, "", 0, 0
    while i < len(raw):
        ch = raw[i]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"':
                i += 1
        elif ch == "\\":
            i += 1
        elif ch in "'\"":
            quote, opened = ch, i + 1
        elif ch in breaks:
            start = i + 1
        i += 1
    return (opened, True) if quote else (start, False)


_BASH_SPECIAL = set(" \t\n'\"\\$`&|;<>()*?![]{}#~")


def _bash_escape(text: str) -> str:
    return "".join("\\" + ch if ch in _BASH_SPECIAL else ch for ch in text)


def _one_line(text: str) -> str:
    return text.replace("\n", " ").replace("\r", " ")


def unquote_word(raw: str) -> str:
    """A shell word without its quoting; an unclosed quote is taken as closed at the end."""
    out: list[str] = []
    quote = ""
    i = 0
    while i < len(raw):
        ch = raw[i]
        if quote == "'":
            if ch == "'":
                quote = ""
            else:
                out.append(ch)
        elif ch == "\\" and i + 1 < len(raw) and (not quote or raw[i + 1] in '"\\$`'):
            i += 1
            out.append(raw[i])
        elif quote == '"':
            if ch == '"':
                quote = ""
            else:
                out.append(ch)
        elif ch in "'\"":
            quote = ch
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def bash_words(
    comp_words: list[str], comp_cword: int, line: str | None, point: int | None
) -> tuple[list[str], int, str]:
    """Words as the user sees them, from bash's COMP_WORDS (which are split at ``=``, ``:``…).

    COMP_WORDS that touch in COMP_LINE (no blank between them) are one word; the word being
    completed ends at the cursor. Returns (unquoted words, index of the current one, the
    current word as typed).
    """
    spans = _spans(comp_words, line) if line is not None else None
    if spans is None or not 0 <= comp_cword < len(comp_words):
        current = comp_words[comp_cword] if 0 <= comp_cword < len(comp_words) else ""
        return [unquote_word(w) for w in comp_words], comp_cword, current
    assert line is not None
    if point is None or not 0 <= point <= len(line):
        point = len(line)
    merged: list[list[Any]] = []  # [raw text, start, end] of each word as the user sees it
    index = 0
    for i, (word, start, end) in enumerate(spans):
        if merged and word and start == merged[-1][2]:
            merged[-1][0] += word
            merged[-1][2] = end
        else:
            merged.append([word, start, end])
        if i == comp_cword:
            index = len(merged) - 1
    raw_current = merged[index][0][: max(0, point - merged[index][1])]
    words = [unquote_word(m[0]) for m in merged]
    words[index] = unquote_word(raw_current)
    return words, index, raw_current


def _spans(words: list[str], line: str) -> list[tuple[str, int, int]] | None:
    """Where each word is in the line, or None if they cannot all be found in order."""
    spans = []
    position = 0
    for word in words:
        start = line.find(word, position) if word else _skip_blanks(line, position)
        if start < 0:
            return None
        position = start + len(word)
        spans.append((word, start, position))
    return spans


def _skip_blanks(line: str, position: int) -> int:
    while position < len(line) and line[position] in " \t\n":
        position += 1
    return position
