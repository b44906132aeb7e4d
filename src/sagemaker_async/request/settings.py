"""Global settings: checked at parse time where possible, else resolved through botocore.

Nothing here parses a config file: values that live in ``~/.aws/config`` or the
environment (output, pager, error format, binary format, region, profile, retries,
endpoints, CA bundle) are botocore session variables, so the AWS CLI's precedence
(flag, then environment, then profile) comes from botocore's config chain.
"""

from __future__ import annotations

from sagemaker_async.errors import GeneralError, ParamValidationError

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
        if self.endpoint_url is not None and not _has_scheme(self.endpoint_url):
            raise ParamValidationError(
                f'Bad value for --endpoint-url "{self.endpoint_url}": scheme is missing.  '
                "Must be of the form http://<hostname>/ or https://<hostname>/"
            )
        self.read_timeout = _timeout(self.cli_read_timeout)
        self.connect_timeout = _timeout(self.cli_connect_timeout)

    # -- what needs botocore's config chain -------------------------------------------------
    @property
    def session(self) -> botocore.session.Session:
        if self._session is None:
            self._session = make_session(self.profile)
        return self._session

    def config_value(self, name: str) -> Any:
        return self.session.get_config_variable(name)

    def resolve_region(self) -> str | None:
        return self.region or self.config_value("region")

    def resolve_output(self) -> str:
        return self.output or self.config_value("output") or "json"

    def resolve_binary_format(self) -> str:
        return self.cli_binary_format or self.config_value("cli_binary_format") or "base64"

    def resolve_pager(self) -> str:
        """The pager command ('' = none): AWS_PAGER, cli_pager, PAGER, then less."""
        import os

        if self.no_cli_pager:
            return ""
        configured = self.config_value("cli_pager")
        if configured is not None:
            return configured
        return os.environ.get("PAGER", "less")

    def check_retry_mode(self) -> None:
        mode = self.config_value("retry_mode")
        if mode not in RETRY_MODES:
            raise GeneralError(
                f'Invalid value provided to "mode": "{mode}" must be one of: '
                + " or ".join(f'"{m}"' for m in RETRY_MODES)
            )


def _has_scheme(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        return bool(urlsplit(url).scheme)
    except ValueError:  # e.g. an invalid IPv6 literal: botocore reports it when sending
        return True


def _timeout(value: str | None) -> float | None:
    if value is None:
        return 60
    try:
        seconds = int(value)
    except ValueError as e:  # the AWS CLI shows int()'s own message, exit 255
        raise GeneralError(str(e)) from None
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
    """--cli-error-format, AWS_CLI_ERROR_FORMAT, cli_error_format, else enhanced; never fails."""
    import os

    if settings is not None and settings.cli_error_format:
        return settings.cli_error_format
    if os.environ.get("AWS_CLI_ERROR_FORMAT"):
        return os.environ["AWS_CLI_ERROR_FORMAT"]
    try:
        session = settings.session if settings is not None else make_session(None)
        return session.get_config_variable("cli_error_format") or "enhanced"
    except Exception:  # a broken profile must not hide the error being reported
        return "enhanced"
