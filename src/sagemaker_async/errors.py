"""Errors and exit codes: one table from exception to message to exit code.

Exception tree::

    CliError                      has .exit_code, .category, .message
    ├── ParamValidationError      252  bad input found before anything is sent
    │   ├── UsageError            252  argument-parsing error: message + usage block
    │   ├── UnknownOptionsError   252  "Unknown options: …" (usage block first, never structured)
    │   └── CommandUsageError     252  a usage error of our own commands (serve, completion)
    ├── ConfigurationError        253  (category Configuration)
    │   ├── NoRegionError         253  (category NoRegion)
    │   ├── NoCredentialsError    253  (category NoCredentials)
    │   └── PagerError            253  (category Pager)
    ├── ServiceError              254  an HTTP error answer from the service (after retries)
    ├── CommandError          (its own) an error of our own commands (serve, completion):
    │                                  "<command>: error: <message>", one line, as click words it
    ├── InferenceFailedError        3  a waited-for inference wrote its failure object
    ├── WaitTimeoutError            4  neither the output nor the failure object appeared in time
    └── GeneralError              255  anything else (connection refused, bad int, …)

Messages follow AWS CLI v2.36 (``aws: [ERROR]: …``) with our program name; ``main()``
catches once and calls :func:`write_error`. Exceptions raised by botocore and click are
translated in :func:`from_exception`, the only place that knows their exception names.
"""

from __future__ import annotations

import enum
import sys

TYPE_CHECKING = False  # typing costs start-up time; mypy reads this as typing.TYPE_CHECKING
if TYPE_CHECKING:
    from typing import Any, TextIO


PROG = "sagemaker-async"

HELP_BLURB = (
    "To see help text, you can run:\n"
    "\n"
    f"  {PROG} help\n"
    f"  {PROG} <command> help\n"
    f"  {PROG} <command> <subcommand> help\n"
)
USAGE = f"{PROG} [options] <command> <subcommand> [<subcommand> ...] [parameters]\n{HELP_BLURB}"

NO_REGION_MESSAGE = (
    'You must specify a region. You can also configure your region by running "aws configure".'
)
NO_CREDENTIALS_MESSAGE = (
    'Unable to locate credentials. You can configure credentials by running "aws login".'
)

ERROR_FORMATS = ("legacy", "json", "yaml", "text", "table", "enhanced")


class ExitCode(enum.IntEnum):
    OK = 0
    INFERENCE_FAILED = 3  # --wait / wait / batch: the failure object appeared
    WAIT_TIMED_OUT = 4  # --wait / wait / batch: nothing appeared within --wait-timeout
    PARAM_VALIDATION = 252  # bad input: parsing, validation, --cli-input-*, --query
    CONFIGURATION = 253  # no region, no credentials, bad config, pager not found
    CLIENT_ERROR = 254  # the service answered with an error
    GENERAL = 255  # everything else
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)


class CliError(Exception):
    exit_code: ExitCode = ExitCode.GENERAL
    category: str | None = None  # shown as "An error occurred (<category>): " in enhanced format
    structured = True  # whether --cli-error-format json/yaml/text/table applies

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def error_dict(self) -> dict[str, Any]:
        return {"Code": self.category or "Unknown", "Message": self.message}


class ParamValidationError(CliError):
    exit_code = ExitCode.PARAM_VALIDATION
    category = "ParamValidation"


class UsageError(ParamValidationError):
    """An argument-parsing error; the usage block follows the message."""

    def __init__(self, message: str):
        super().__init__(f"{message}\n\nusage: {USAGE}")


class UnknownOptionsError(ParamValidationError):
    structured = False

    def __init__(self, remaining: list[str]):
        super().__init__("Unknown options: " + ", ".join(remaining))


class CommandError(CliError):
    """An error of one of our own commands (serve, completion): plain click commands, whose
    errors are one line naming the command, with the exit code the command chose."""

    structured = False

    def __init__(self, command_path: str, message: str, exit_code: int = ExitCode.GENERAL):
        super().__init__(message)
        self.command_path = command_path
        self.exit_code = ExitCode(exit_code)


class CommandUsageError(CommandError, ParamValidationError):
    """A usage error of our own commands, as click words it."""

    def __init__(self, command_path: str, message: str):
        super().__init__(command_path, message, ExitCode.PARAM_VALIDATION)


class ConfigurationError(CliError):
    exit_code = ExitCode.CONFIGURATION
    category = "Configuration"


class NoRegionError(ConfigurationError):
    category = "NoRegion"

    def __init__(self, message: str = NO_REGION_MESSAGE):
        super().__init__(message)


class NoCredentialsError(ConfigurationError):
    category = "NoCredentials"

    def __init__(self, message: str = NO_CREDENTIALS_MESSAGE):
        super().__init__(message)


class PagerError(ConfigurationError):
    category = "Pager"


class ServiceError(CliError):
    """The service's error answer; the text is botocore's ClientError text, unchanged."""

    exit_code = ExitCode.CLIENT_ERROR

    def __init__(self, message: str, code: str, error_message: str):
        super().__init__(message)
        self.code = code
        self.error_message = error_message

    def error_dict(self) -> dict[str, Any]:
        return {"Message": self.error_message, "Code": self.code}


class InferenceFailedError(CliError):
    """The message is the failure object's content, as the model or the endpoint wrote it."""

    exit_code = ExitCode.INFERENCE_FAILED
    category = "InferenceFailed"


class WaitTimeoutError(CliError):
    exit_code = ExitCode.WAIT_TIMED_OUT
    category = "WaitTimeout"


class GeneralError(CliError):
    exit_code = ExitCode.GENERAL
    structured = False


def from_exception(exc: BaseException) -> CliError:
    """Translate any exception (botocore's included) into a CliError with its exit code."""
    if isinstance(exc, CliError):
        return exc
    if "click" in sys.modules:
        import click

        if isinstance(exc, click.ClickException):
            ctx = getattr(exc, "ctx", None)
            path = ctx.command_path if ctx is not None else PROG
            return CommandUsageError(path, exc.format_message())
    if "botocore" in sys.modules:  # never import botocore just to classify an error
        from botocore import exceptions as bx

        if isinstance(exc, bx.ParamValidationError):
            return ParamValidationError(str(exc))
        if isinstance(exc, bx.NoRegionError):
            return NoRegionError()
        if isinstance(exc, bx.NoCredentialsError):
            return NoCredentialsError()
        if isinstance(exc, bx.ClientError):
            error = exc.response.get("Error", {})
            return ServiceError(str(exc), error.get("Code", "Unknown"), error.get("Message", ""))
    return GeneralError(str(exc))


def format_error(err: CliError, error_format: str = "enhanced") -> str:
    """The exact stderr text for an error, in the given --cli-error-format."""
    if isinstance(err, UnknownOptionsError):
        return f"\nusage: {USAGE}\n" + _error_line(err.message)
    if isinstance(err, CommandError):
        return f"{err.command_path}: error: {err.message}\n"
    if error_format in ("json", "yaml", "text", "table") and err.structured:
        return _format_structured(err.error_dict(), error_format)
    message = err.message
    if error_format != "legacy" and err.category and not isinstance(err, ServiceError):
        message = f"An error occurred ({err.category}): {message.strip()}"
    return _error_line(message)


def _format_structured(document: dict[str, Any], error_format: str) -> str:
    """The error document as --cli-error-format renders it.

    YAML folds long lines and tables size their columns, so a usage text naming
    ``sagemaker-async`` would be laid out differently from the AWS CLI's naming ``aws``. The
    document is laid out with a three-letter stand-in for our name, as the AWS CLI lays out
    its own, and our name is put back afterwards: the same text with our name in it.
    """
    from sagemaker_async.render import format_output

    text = " ".join(str(v) for v in document.values())
    if PROG not in text:
        return format_output(document, error_format, title="error")
    stand_in = next(c for c in _STAND_INS if c not in text)
    laid_out = {
        k: v.replace(PROG, stand_in) if isinstance(v, str) else v for k, v in document.items()
    }
    return format_output(laid_out, error_format, title="error").replace(stand_in, PROG)


# Three letters, like "aws", so quoting and layout decisions come out the same.
_STAND_INS = ("qzx", "qzy", "qzq", "xqz", "zqx")


def _error_line(message: str) -> str:
    return f"\n{PROG}: [ERROR]: {message.strip()}\n"


def write_error(err: CliError, stream: TextIO, error_format: str = "enhanced") -> None:
    stream.write(format_error(err, error_format))
    stream.flush()
