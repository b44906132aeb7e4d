"""Shell completion: which words may come next on a ``sagemaker-async`` command line.

The words before the cursor go through the click tree itself, with ``resilient_parsing``:
the same ``parse_args`` that runs a command line finds the level the cursor is at (root,
service, operation, or one of our plain click commands such as ``serve``) and an option still
waiting for its value. The candidates then come from click's own hooks on those objects:
``shell_complete`` of the command (its commands, its option names) or of the parameter (its
values). Value completion looks up what it must: the file system for ``file://``/``fileb://``
and path values, the user's AWS config files (through botocore, only for ``--profile``),
botocore's endpoint data (``--region``) and, for ``--endpoint-name``, the ``/_status`` page of a
local ``serve`` — on a loopback address only, never elsewhere. Any failure gives no candidates.
The ``format_*`` functions turn candidates into what each shell's script reads; the scripts
themselves are in :mod:`sagemaker_async.cli.completion_scripts`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import click
from click.core import ParameterSource
from click.shell_completion import CompletionItem

from sagemaker_async.cli import core
from sagemaker_async.context import RunContext
from sagemaker_async.request import options as O

FILE_PREFIXES = ("file://", "fileb://")
# "localhost" is not looked up (a resolver could answer anything): these are tried instead.
LOCALHOST_ADDRESSES = ("127.0.0.1", "::1")
STATUS_TIMEOUT = 0.5  # seconds, for connecting and for reading; --endpoint-name only
STATUS_MAX_BYTES = 1 << 20
DESCRIPTION_WIDTH = 60
# bash's default COMP_WORDBREAKS (without the blanks, which never occur inside a word).
BASH_WORDBREAKS = "\"'><=;|&(:"
_STATE = "sagemaker_async.completion"  # ctx.meta key of the _State below


@dataclass(frozen=True)
class Candidate:
    value: str
    description: str = ""
    partial: bool = False  # more is to be typed (a directory, a "file://"): no space after it


@dataclass
class _State:
    """What the value lookups need beyond the click context."""

    environ: Mapping[str, str]
    line_params: dict[str, Any]  # the global options on the whole line (after the cursor too)
    given: set[int]  # ids of the options given anywhere on the line


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

    chain = _resolve(root, before)
    if chain is None:  # after an unknown command or "help": nothing can be offered
        return []
    ctx = chain[-1]
    whole = _resolve(root, before + after)
    given = {id(o) for c in (whole or chain) for o in _given(c)}
    ctx.meta[_STATE] = _State(environ, dict((whole or chain)[0].params), given)

    pending, pending_ctx = _pending(chain, before)
    if pending is not None and not (_optional_value(pending) and current.startswith("-")):
        return _candidates(pending.shell_complete(pending_ctx, current))
    if current.startswith("--") and "=" in current:
        name, _, value = current.partition("=")
        option, option_ctx = _match_option(name, chain)
        if option is None or not _takes_value(option):
            return []
        return [
            Candidate(f"{name}={c.value}", c.description, c.partial)
            for c in _candidates(option.shell_complete(option_ctx, value))
        ]
    if current.startswith("-"):
        return _candidates(ctx.command.shell_complete(ctx, current))
    return _positional(ctx, current)


# -- the line, through the tree --------------------------------------------------------------
def _resolve(root: click.Group, words: list[str]) -> list[click.Context] | None:
    """The contexts the words create, root first; None after an unknown command or help."""
    try:
        ctx = root.make_context(root.name, list(words), resilient_parsing=True, obj=RunContext())
        chain = [ctx]
        while isinstance(ctx.command, core.AwsGroup) and ctx.args:
            group = ctx.command
            name, rest = ctx.args[0], ctx.args[1:]
            command = group.get_command(ctx, name) if name != "help" else None
            if command is None:
                return None
            settings: dict[str, Any] = {}
            if name in group.own_commands:
                settings["help_option_names"] = list(core.HELP_TOKENS)
            ctx = command.make_context(name, rest, parent=ctx, resilient_parsing=True, **settings)
            chain.append(ctx)
    except (click.ClickException, core.VersionRequested, core.UsageError):
        return None
    return chain


def _given(ctx: click.Context) -> list[click.Parameter]:
    return [
        p
        for p in ctx.command.get_params(ctx)
        if ctx.get_parameter_source(p.name or "") is ParameterSource.COMMANDLINE
    ]


def _pending(
    chain: list[click.Context], words: list[str]
) -> tuple[click.Option | None, click.Context]:
    """An option whose value the cursor is at, and the context it belongs to."""
    for ctx in chain:
        if isinstance(ctx.command, (core.AwsGroup, core.AwsCommand)):
            parsed = core.parsed_of(ctx)
            if parsed is not None and parsed.pending is not None:
                return parsed.pending, ctx
            continue
        # one of our plain click commands: an option of its own as the last word
        if words and "=" not in words[-1] and "--" not in words:
            option = _own_option(ctx, words[-1])
            if option is not None and _takes_value(option):
                return option, ctx
    return None, chain[-1]


def _own_option(ctx: click.Context, word: str) -> click.Option | None:
    for param in ctx.command.get_params(ctx):
        if isinstance(param, click.Option) and word in (*param.opts, *param.secondary_opts):
            return param
    return None


def _match_option(name: str, chain: list[click.Context]) -> tuple[click.Option | None, Any]:
    """The option ``--name`` (of ``--name=value``) names at the cursor's level."""
    ctx = chain[-1]
    command = ctx.command
    if isinstance(command, (core.AwsGroup, core.AwsCommand)):
        options = [*core.global_options_of(ctx)]
        if isinstance(command, core.AwsCommand):
            options += command.aws_options()
        return core.find_option(name, core.option_table(options)), ctx
    return _own_option(ctx, name), ctx


def _takes_value(option: click.Option) -> bool:
    if isinstance(option, core.AwsOption):
        return option.takes_value
    return not option.is_flag and not option.count


def _optional_value(option: click.Option) -> bool:
    return isinstance(option, core.AwsOption) and option.takes_optional_value


def _positional(ctx: click.Context, current: str) -> list[Candidate]:
    command = ctx.command
    if isinstance(command, core.AwsGroup):
        return _candidates(command.shell_complete(ctx, current))
    if isinstance(command, core.AwsCommand):  # an operation takes no positional words
        return _candidates(command.shell_complete(ctx, "-")) if current == "" else []
    for param in command.get_params(ctx):  # a plain click command: its next argument
        if isinstance(param, click.Argument) and (
            param.nargs < 0
            or ctx.get_parameter_source(param.name or "") is not ParameterSource.COMMANDLINE
        ):
            return _candidates(param.shell_complete(ctx, current))
    return _candidates(command.shell_complete(ctx, "-")) if current == "" else []


def _candidates(items: Iterable[CompletionItem]) -> list[Candidate]:
    """click's completion items as candidates; "file"/"dir" items (click's way of asking the
    shell for paths) become the matching paths."""
    out: list[Candidate] = []
    for item in items:
        if item.type in ("file", "dir"):
            found = path_candidates(item.value)
            out.extend(c for c in found if item.type == "file" or c.partial)
            continue
        # click's own items carry whole help texts; ours (``shown``) are one line already
        text = item.help or ""
        description = text if item.shown else short_description(text)
        out.append(Candidate(item.value, description, bool(item.partial)))
    return out


# -- the click hooks: what cli/core.py's shell_complete methods return ------------------------
def _state(ctx: click.Context) -> _State:
    state = ctx.meta.get(_STATE)
    if isinstance(state, _State):
        return state
    return _State(os.environ, dict(ctx.find_root().params), set())


def option_names(
    ctx: click.Context, options: Iterable[core.AwsOption], incomplete: str
) -> list[CompletionItem]:
    """Option names starting with ``incomplete``, except options already given."""
    state = _state(ctx)
    given = state.given | {id(o) for c in _chain(ctx) for o in _given(c)}
    out: list[CompletionItem] = []
    for option in options:
        if id(option) in given or option.hidden:
            continue
        description = short_description(option.help or "")
        if option.spec.required:
            description = f"(required) {description}".strip()
        out.extend(
            CompletionItem(name, help=description)
            for name in [*option.opts, *option.secondary_opts]
            if name.startswith(incomplete)
        )
    return out


def _chain(ctx: click.Context) -> list[click.Context]:
    out = []
    current: click.Context | None = ctx
    while current is not None:
        out.append(current)
        current = current.parent
    return out


def command_names(
    ctx: click.Context, commands: Iterable[tuple[str, click.Command]], incomplete: str
) -> list[CompletionItem]:
    from sagemaker_async.cli.helptext import summary

    items = [CompletionItem(name, help=short_description(summary(cmd))) for name, cmd in commands]
    items.append(CompletionItem("help", help="Show help."))
    return [item for item in items if item.value.startswith(incomplete)]


def option_values(option: core.AwsOption, ctx: click.Context, incomplete: str) -> list[Any]:
    """Values for an AWS-style option: paths after file:// or fileb://, then what the option
    completes (O.PROFILE, O.REGION, …), its choices, or the file:// prefixes."""
    if incomplete.startswith(FILE_PREFIXES):
        scheme = FILE_PREFIXES[0] if incomplete.startswith(FILE_PREFIXES[0]) else FILE_PREFIXES[1]
        return [
            CompletionItem(scheme + c.value, help=c.description, partial=c.partial, shown=True)
            for c in path_candidates(incomplete[len(scheme) :])
        ]
    spec = option.spec
    state = _state(ctx)
    lookups = {
        O.PROFILE: profile_candidates,
        O.REGION: region_candidates,
        O.ENDPOINT_NAME: lambda: endpoint_name_candidates(
            _endpoint_url(state.line_params, state.environ)
        ),
    }
    if spec.completes in lookups:
        found = _filter(_quietly(lookups[spec.completes]), incomplete)
        if found or incomplete:
            return [CompletionItem(c.value, help=c.description, shown=True) for c in found]
    if spec.completes == O.PATH:
        return [CompletionItem(incomplete, type="file")]
    if spec.choices:
        return [CompletionItem(c) for c in spec.choices if c.startswith(incomplete)]
    if spec.completes == O.FILE_URL_EAGER or (spec.completes == O.FILE_URL and incomplete):
        return [CompletionItem(p, partial=True) for p in FILE_PREFIXES if p.startswith(incomplete)]
    return []


def _filter(candidates: Iterable[Candidate], prefix: str) -> list[Candidate]:
    return [c for c in candidates if c.value.startswith(prefix)]


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

    from sagemaker_async.request.service_model import botocore_data_dir

    with open(os.path.join(botocore_data_dir(), "endpoints.json"), "rb") as f:
        data = json.load(f)
    out = []
    for partition in data.get("partitions", []):
        regions = partition.get("regions", {})
        service = partition.get("services", {}).get("runtime.sagemaker", {})
        for name, endpoint in service.get("endpoints", {}).items():
            if name in regions and not endpoint.get("deprecated"):
                out.append(Candidate(name, regions[name].get("description", "")))
    return sorted(out, key=lambda c: c.value)


def _endpoint_url(params: Mapping[str, Any], environ: Mapping[str, str]) -> str | None:
    """--endpoint-url from the line, else the environment (unless configured URLs are off)."""
    if params.get("endpoint_url"):
        return str(params["endpoint_url"])
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
