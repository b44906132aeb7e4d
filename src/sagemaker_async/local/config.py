"""The settings ``serve`` runs with, their checks, and the one error type it reports."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sagemaker_async.errors import ExitCode

DEFAULT_ENDPOINT = "echo"
DEFAULT_MODEL = "echo"
DEFAULT_DATA_DIR = ".sagemaker-async"
ACCOUNT_ID = "123456789012"
_ENDPOINT_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")

# Credential providers that read only local files or the environment. The others (IMDS,
# container role, STS assume-role, SSO, login) would send traffic off the machine.
LOCAL_CREDENTIAL_PROVIDERS = (
    "env",
    "shared-credentials-file",
    "custom-process",
    "config-file",
    "ec2-credentials-file",
    "boto-config",
)


class ServeError(Exception):
    """A one-line error for the user, with its exit code."""

    def __init__(self, message: str, exit_code: ExitCode = ExitCode.GENERAL):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


@dataclass
class ServeConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path(DEFAULT_DATA_DIR)
    endpoints: dict[str, str] = field(default_factory=lambda: {DEFAULT_ENDPOINT: DEFAULT_MODEL})
    workers: int = 2
    access_key: str | None = None
    secret_key: str | None = None
    region: str = "us-east-1"
    allow_remote: bool = False
    max_ttl: int | None = None
    grace: float = 10.0
    fsync: bool = True
    profile: str | None = None  # the global --profile: where the default credentials come from
    # Bring-your-own-container models and SNS-style HTTP notifications (docs/local-endpoint.md)
    startup_timeout: float = 600.0
    notify_success: list[str] = field(default_factory=list)
    notify_error: list[str] = field(default_factory=list)

    buckets: tuple[str, ...] = ()  # created at start, besides the output bucket

    @property
    def bucket(self) -> str:
        """The local bucket holding outputs and failures, named as the SageMaker SDK does."""
        return f"sagemaker-{self.region}-{ACCOUNT_ID}"


def parse_endpoints(specs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``NAME`` or ``NAME=MODEL`` (model default ``echo``) → {name: model}."""
    if not specs:
        return {DEFAULT_ENDPOINT: DEFAULT_MODEL}
    out: dict[str, str] = {}
    for spec in specs:
        name, sep, model = spec.partition("=")
        name = name.strip()
        model = model.strip() if sep else DEFAULT_MODEL
        if not _ENDPOINT_NAME.match(name) or len(name) > 63:
            raise ServeError(
                f"invalid endpoint name {name!r} in --endpoint {spec!r}: up to 63 letters, "
                "digits and hyphens, starting with a letter or digit",
                ExitCode.PARAM_VALIDATION,
            )
        if name in out:
            raise ServeError(f"endpoint {name!r} given twice", ExitCode.PARAM_VALIDATION)
        if not model:
            raise ServeError(f"empty model in --endpoint {spec!r}", ExitCode.PARAM_VALIDATION)
        out[name] = model
    return out


def parse_buckets(names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """``--bucket NAME`` values, checked with S3's naming rules; repeats are ignored."""
    from sagemaker_async.local.s3.store import StoreError, validate_bucket_name

    for name in names:
        try:
            validate_bucket_name(name)
        except StoreError:
            raise ServeError(
                f"invalid bucket name {name!r} in --bucket: 3 to 63 lowercase letters, digits, "
                "hyphens and dots, starting and ending with a letter or digit",
                ExitCode.PARAM_VALIDATION,
            ) from None
    return tuple(dict.fromkeys(names))


def resolve_credentials(access_key: str | None, secret_key: str | None, profile: str | None = None):
    """The key pair clients must sign with: the options, else botocore's local chain."""
    from sagemaker_async.local.http.sigv4 import Credentials

    if access_key or secret_key:
        if not (access_key and secret_key):
            raise ServeError(
                "--access-key-id and --secret-access-key must be given together",
                ExitCode.PARAM_VALIDATION,
            )
        return Credentials(access_key, secret_key)
    import botocore.session

    try:
        session = botocore.session.Session(profile=profile)
        resolver = session.get_component("credential_provider")
    except Exception as exc:  # e.g. the profile does not exist
        raise ServeError(f"cannot load credentials: {exc}", ExitCode.CONFIGURATION) from None
    for provider in list(resolver.providers):
        if provider.METHOD not in LOCAL_CREDENTIAL_PROVIDERS:
            resolver.remove(provider.METHOD)
    try:
        found = session.get_credentials()
    except Exception as exc:  # a broken config file or credential process
        raise ServeError(f"cannot load credentials: {exc}", ExitCode.CONFIGURATION) from None
    if found is None:
        raise ServeError(
            "no credentials to verify signatures with: pass --access-key-id and "
            "--secret-access-key, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile",
            ExitCode.CONFIGURATION,
        )
    frozen = found.get_frozen_credentials()
    return Credentials(frozen.access_key, frozen.secret_key, frozen.token or None)
