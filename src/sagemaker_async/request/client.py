"""The one place a botocore client is built and called."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from sagemaker_async.errors import GeneralError, NoRegionError
from sagemaker_async.request.service_model import SERVICE, Operation, cli_name

if TYPE_CHECKING:
    from sagemaker_async.request.settings import Settings


def make_client(
    settings: Settings,
    service: str = SERVICE,
    *,
    pool_size: int | None = None,
    min_attempts: int | None = None,
) -> Any:
    """A client configured from the global options and botocore's config chain.

    ``pool_size`` (connections kept for threads sharing the client) and ``min_attempts``
    (used when no ``max_attempts`` is configured) serve the batch; the invoke uses neither.
    """
    region = checked_region(settings)
    if region is None:
        raise NoRegionError()
    settings.check_retry_config()
    return _create_client(
        settings, service, region, settings.endpoint_url, pool_size, min_attempts, None
    )


def checked_region(settings: Settings) -> str | None:
    """The region, checked as the AWS CLI's botocore does before creating a client: its
    format first, then the credentials (partial ones are reported before a missing region)."""
    from botocore.utils import validate_region_name

    region = settings.resolve_region()
    validate_region_name(region)
    if not settings.no_sign_request:
        settings.session.get_credentials()
    return region


def make_s3_client(settings: Settings, *, pool_size: int | None = None) -> Any:
    """S3 with the invoke's profile, region and credentials, at botocore's configured S3
    endpoint (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, ``services`` sections). Only when none is
    configured and --endpoint-url points at a loopback host (``serve``) is that URL used."""
    endpoint_url, s3_config = None, None
    settings.check_retry_config()
    loopback = settings.endpoint_url is not None and is_loopback(settings.endpoint_url)
    if loopback and configured_endpoint(settings, "s3") is None:
        endpoint_url, s3_config = settings.endpoint_url, {"addressing_style": "path"}
    return _create_client(
        settings, "s3", settings.resolve_region(), endpoint_url, pool_size, None, s3_config
    )


def is_loopback(url: str) -> bool:
    """127.0.0.0/8, ::1 or localhost."""
    import ipaddress
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def configured_endpoint(settings: Settings, service: str) -> str | None:
    """The endpoint botocore's configuration gives ``service``, if any."""
    from botocore.configprovider import ConfiguredEndpointProvider

    session = settings.session
    if session.get_config_variable("ignore_configured_endpoint_urls"):
        return None
    provider = ConfiguredEndpointProvider(
        full_config=session.full_config,
        scoped_config=session.get_scoped_config(),
        client_name=service,
    )
    return provider.provide()


def _create_client(
    settings: Settings,
    service: str,
    region: str | None,
    endpoint_url: str | None,
    pool_size: int | None,
    min_attempts: int | None,
    s3_config: dict[str, str] | None,
) -> Any:
    from botocore import UNSIGNED
    from botocore.config import Config

    extra: dict[str, Any] = {}
    if pool_size is not None:
        extra["max_pool_connections"] = pool_size
    if min_attempts is not None and settings.config_value("max_attempts") is None:
        extra["retries"] = {"total_max_attempts": min_attempts}
    if s3_config is not None:
        extra["s3"] = s3_config
    config = Config(
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        signature_version=UNSIGNED if settings.no_sign_request else None,
        **extra,
    )
    verify: bool | str | None = None
    if settings.no_verify_ssl:
        verify = False
    elif settings.ca_bundle is not None:  # "" too: botocore refuses an empty CA bundle
        verify = settings.ca_bundle
    return settings.session.create_client(
        service,
        region_name=region,
        endpoint_url=endpoint_url,
        verify=verify,
        config=config,
    )


def register_credentials(settings: Settings) -> None:
    """Tell the debug log's redactor (--debug) the secret key and session token."""
    credentials = settings.session.get_credentials()
    if credentials is not None and settings.redactor is not None:
        frozen = credentials.get_frozen_credentials()
        settings.redactor.add(frozen.secret_key)
        settings.redactor.add(frozen.token)


def decode_blobs(op: Operation, params: dict[str, Any], binary_format: str) -> dict[str, Any]:
    """Base64-decode top-level blob strings, unless --cli-binary-format raw-in-base64-out.

    Decoding is lenient, as the AWS CLI's: characters outside the base64 alphabet (line breaks
    of ``base64``'s 76-column output, spaces, a trailing newline) are dropped; what remains
    must be correctly padded. A string that is not ASCII cannot be base64 at all.
    """
    if binary_format != "base64":
        return params
    decoded = dict(params)
    for member in op.input_members:
        value = params.get(member.name)
        if member.type == "blob" and isinstance(value, str):
            decoded[member.name] = decode_base64(value)
    return decoded


def decode_base64(value: str) -> bytes:
    if not value.isascii():
        raise GeneralError("string argument should contain only ASCII characters")
    try:
        return base64.b64decode(value)  # not validate=True: non-alphabet characters are dropped
    except (binascii.Error, ValueError):
        raise GeneralError(f'Invalid base64: "{value}"') from None


def validate(client: Any, op: Operation, params: dict[str, Any]) -> None:
    """botocore's client-side validation (required, types, minimums), without sending."""
    from botocore.validate import validate_parameters

    model = client.meta.service_model.operation_model(op.name)
    validate_parameters(params, model.input_shape)


def invoke(client: Any, op: Operation, params: dict[str, Any]) -> dict[str, Any]:
    method = getattr(client, cli_name(op.name).replace("-", "_"))
    return method(**params)
