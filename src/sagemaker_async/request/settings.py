"""Global settings: checked at parse time where possible, else resolved through botocore.

Nothing here parses a config file: values that live in ``~/.aws/config`` or the
environment (output, pager, error format, binary format, region, profile, retries,
endpoints, CA bundle) are botocore session variables, so the AWS CLI's precedence
(flag, then environment, then profile) comes from botocore's config chain.
"""

from __future__ import annotations

from sagemaker_async.errors import (
    ERROR_FORMATS,
    GeneralError,
    ParamValidationError,
    integer_from_text,
)

TYPE_CHECKING = False  # typing costs start-up time; mypy reads this as typing.TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

    import botocore.session

# The AWS CLI v2's own session variables, on top of botocore's:
# name: (config key, environment variable(s), default, converter)
CLI_SESSION_VARIABLES: dict[str, tuple[Any, Any, Any, Any]] = {
    "region": ("region", ["AWS_REGION", "AWS_DEFAULT_REGION"], None, None),
    "profile": (None, ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"], None, None),
    "output": ("output", "AWS_DEFAULT_OUTPUT", "json", None),
    "cli_pager": ("cli_pager", "AWS_PAGER", None, None),
    "cli_error_format": ("cli_error_format", "AWS_CLI_ERROR_FORMAT", "enhanced", None),
    "cli_binary_format": ("cli_binary_format", None, "base64", None),
    "cli_auto_prompt": ("cli_auto_prompt", "AWS_CLI_AUTO_PROMPT", "off", None),
    "retry_mode": ("retry_mode", "AWS_RETRY_MODE", "standard", None),
}
RETRY_MODES = ("standard", "adaptive")
BINARY_FORMATS = ("base64", "raw-in-base64-out")


def _global_defaults() -> dict[str, Any]:
    """Each global option's dest and default, from its declaration in request/options.py."""
    from sagemaker_async.request.options import FLAG, global_options

    return {spec.dest: False if spec.kind == FLAG else spec.default for spec in global_options()}


# The global options Settings carries, with their defaults (dest names, as parsed).
GLOBAL_DEFAULTS: dict[str, Any] = _global_defaults()


class Settings:
    """The global options as given, plus what was derived from them before any I/O.

    The annotations below are the typed view of GLOBAL_DEFAULTS (tests/test_globals.py
    checks that they name the same options)."""

    debug: bool
    endpoint_url: str | None
    no_verify_ssl: bool
    no_paginate: bool
    output: str | None
    query: str | None
    profile: str | None
    region: str | None
    color: str
    no_sign_request: bool
    ca_bundle: str | None
    cli_read_timeout: str | None
    cli_connect_timeout: str | None
    cli_binary_format: str | None
    no_cli_pager: bool
    cli_auto_prompt: bool
    no_cli_auto_prompt: bool
    cli_error_format: str | None

    def __init__(self, **given: Any):
        unknown = set(given) - set(GLOBAL_DEFAULTS)
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        for name, default in GLOBAL_DEFAULTS.items():
            setattr(self, name, given.get(name, default))
        # derived
        self.compiled_query: Any = None
        self.read_timeout: float | None = 60
        self.connect_timeout: float | None = 60
        self.redactor: Any = None  # debuglog.Redactor when --debug is on
        self.checked = False  # check() passed: the global options were accepted
        self.binary_format = "base64"  # resolved by check()
        self._session: Any = None

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> Settings:
        return cls(**{k: v for k, v in values.items() if k in GLOBAL_DEFAULTS and v is not None})

    def check(self) -> None:
        """Validate what needs no network or config: --query, --endpoint-url, timeouts."""
        if self.query is not None:
            import jmespath
            from jmespath.exceptions import JMESPathError

            try:
                self.compiled_query = jmespath.compile(self.query)
            except JMESPathError as e:
                raise ParamValidationError(f"Bad value for --query {self.query}: {e}") from None
            except RecursionError:
                raise ParamValidationError(
                    "Bad value for --query: the expression is nested too deeply"
                ) from None
            except ValueError:  # a number longer than Python converts (4,300 digits)
                raise ParamValidationError(
                    "Bad value for --query: a number in the expression is too long"
                ) from None
            if _expression_depth(self.compiled_query.parsed) > MAX_QUERY_DEPTH:
                # It compiled, but applying it would exhaust the interpreter's stack.
                raise ParamValidationError(
                    "Bad value for --query: the expression is nested too deeply"
                )
        if self.endpoint_url is not None and not _has_scheme(self.endpoint_url):
            raise ParamValidationError(
                f'Bad value for --endpoint-url "{self.endpoint_url}": scheme is missing.  '
                "Must be of the form http://<hostname>/ or https://<hostname>/"
            )
        self.read_timeout = _timeout(self.cli_read_timeout, "--cli-read-timeout")
        self.connect_timeout = _timeout(self.cli_connect_timeout, "--cli-connect-timeout")
        self.checked = True
        self.binary_format = self._checked_binary_format()

    def _checked_binary_format(self) -> str:
        """--cli-binary-format, else the profile's cli_binary_format (a profile that does not
        exist: base64). As in the AWS CLI, an unknown value fails every command right after
        the global options, with the value as the whole message."""
        if self.cli_binary_format:
            return self.cli_binary_format
        from sagemaker_async.request.configfiles import ProfileMissing, profile_value

        try:
            configured = profile_value(self.profile, "cli_binary_format")
        except ProfileMissing:  # as the AWS CLI: a profile it cannot read means base64
            configured = None
        if configured is None:
            return "base64"
        if configured not in BINARY_FORMATS:
            raise GeneralError(repr(configured))
        return configured

    # -- what needs botocore's config chain -------------------------------------------------
    @property
    def session(self) -> botocore.session.Session:
        if self._session is None:
            # --profile "" is no profile at all: the environment's or the default one.
            self._session = make_session(self.profile or None)
        return self._session

    def config_value(self, name: str) -> Any:
        return self.session.get_config_variable(name)

    def resolve_region(self) -> str | None:
        """--region, else the config chain. An empty one is a region too (botocore signs for
        it, or fails on the endpoint): --region "" does not fall back to the profile's."""
        return self.region if self.region is not None else self.config_value("region")

    def resolve_output(self) -> str:
        """--output, else AWS_DEFAULT_OUTPUT or the profile's (an empty one is kept: the AWS
        CLI fails on it once the answer is in), else json."""
        if self.output:
            return self.output
        configured = self.config_value("output")
        return "json" if configured is None else configured

    def resolve_binary_format(self) -> str:
        return self.binary_format

    def resolve_pager(self) -> str:
        """The pager command ('' = none): AWS_PAGER, cli_pager, PAGER, then less."""
        import os

        if self.no_cli_pager:
            return ""
        configured = self.config_value("cli_pager")
        if configured is not None:
            return configured
        return os.environ.get("PAGER", "less")

    def check_retry_config(self) -> None:
        """max_attempts (an integer, at least one) first, then the retry mode; the AWS CLI's
        botocore knows no "legacy" mode."""
        try:
            attempts = self.config_value("max_attempts")  # int() of the configured text
        except ValueError as e:
            if "Exceeds the limit" in str(e):
                raise GeneralError(
                    'Value provided to "max_attempts" has more digits than can be read (4,300)'
                ) from None
            raise
        if attempts is not None and attempts < 1:
            raise GeneralError(
                f'Value provided to "max_attempts": {attempts} must be an integer greater '
                "than or equal to one."
            )
        mode = self.config_value("retry_mode")
        if mode not in RETRY_MODES:
            raise GeneralError(
                f'Invalid value provided to "mode": "{mode}" must be one of: '
                + " or ".join(f'"{m}"' for m in RETRY_MODES)
            )


# Deeper than any hand-written expression; applying one much deeper would exhaust the stack.
MAX_QUERY_DEPTH = 200


def _expression_depth(parsed: dict[str, Any]) -> int:
    """How deeply a compiled JMESPath expression nests, walked without recursion."""
    deepest, pending = 0, [(parsed, 1)]
    while pending:
        node, depth = pending.pop()
        deepest = max(deepest, depth)
        pending.extend(
            (child, depth + 1) for child in node.get("children", ()) if isinstance(child, dict)
        )
    return deepest


def _has_scheme(url: str) -> bool:
    """Whether the URL names a scheme; a URL urlsplit refuses (an IPv4 address in brackets, an
    unclosed IPv6 literal) is reported with its own message (255), before any other check."""
    from urllib.parse import urlsplit

    try:
        return bool(urlsplit(url).scheme)
    except ValueError as e:
        raise GeneralError(str(e)) from None


def _timeout(value: str | None, option: str) -> float | None:
    if value is None:
        return 60
    seconds = integer_from_text(value, option)  # int()'s own message, as the AWS CLI (255)
    return None if seconds == 0 else seconds


def make_session(profile: str | None) -> botocore.session.Session:
    import botocore.session

    from sagemaker_async import __version__
    from sagemaker_async.request import botocache

    session = botocore.session.Session(session_vars=CLI_SESSION_VARIABLES, profile=profile)
    botocache.install(session)
    session.user_agent_name = "sagemaker-async"
    session.user_agent_version = __version__
    return session


def error_format_from_environment(settings: Settings | None) -> str:
    """--cli-error-format, else cli_error_format from the environment or the profile, else
    enhanced; matched case-insensitively; never fails.

    As in the AWS CLI: before the global options were accepted (``settings`` None or not yet
    checked) only AWS_PROFILE decides the profile, and an unknown format is returned as given
    so that errors.write_error warns about it; later an unknown format is silently enhanced.
    A profile that does not exist makes the format unreadable: legacy.
    """
    early = settings is None or not settings.checked
    if settings is not None and settings.cli_error_format:
        chosen = settings.cli_error_format.lower()
    else:
        from sagemaker_async.request.configfiles import ProfileMissing, profile_value

        profile = None if early or settings is None else settings.profile
        try:
            configured = profile_value(profile, "cli_error_format", "AWS_CLI_ERROR_FORMAT")
        except ProfileMissing:  # the AWS CLI cannot read the format: the plain message
            return "legacy"
        except Exception:  # unreadable files: their own error is being reported
            return "enhanced"
        chosen = (configured or "enhanced").lower()
    if chosen not in ERROR_FORMATS and not early:
        return "enhanced"
    return chosen


def error_color(settings: Settings | None) -> bool:
    """Whether a --cli-error-format table is coloured: --color, else auto (stdout a tty)."""
    import sys

    from sagemaker_async.context import is_terminal

    color = settings.color if settings is not None and settings.checked else "auto"
    if color == "auto":
        return is_terminal(sys.stdout)
    return color == "on"
