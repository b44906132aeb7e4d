"""The one place a botocore client is built and called."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from sagemaker_async.errors import GeneralError, NoRegionError
from sagemaker_async.model import SERVICE, Operation, cli_name

if TYPE_CHECKING:
    from sagemaker_async.settings import Settings


def make_client(settings: Settings, service: str = SERVICE) -> Any:
    """A client configured from the global options and botocore's config chain."""
    from botocore import UNSIGNED
    from botocore.config import Config

    region = settings.resolve_region()
    if not region:
        raise NoRegionError()
    settings.check_retry_mode()
    config = Config(
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        signature_version=UNSIGNED if settings.no_sign_request else None,
    )
    verify: bool | str | None = None
    if settings.no_verify_ssl:
        verify = False
    elif settings.ca_bundle:
        verify = settings.ca_bundle
    return settings.session.create_client(
        service,
        region_name=region,
        endpoint_url=settings.endpoint_url,
        verify=verify,
        config=config,
    )


def decode_blobs(op: Operation, params: dict[str, Any], binary_format: str) -> dict[str, Any]:
    """Base64-decode top-level blob strings, unless --cli-binary-format raw-in-base64-out."""
    if binary_format != "base64":
        return params
    decoded = dict(params)
    for member in op.input_members:
        value = params.get(member.name)
        if member.type == "blob" and isinstance(value, str):
            try:
                decoded[member.name] = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise GeneralError(f'Invalid base64: "{value}"') from None
    return decoded


def validate(client: Any, op: Operation, params: dict[str, Any]) -> None:
    """botocore's client-side validation (required, types, minimums), without sending."""
    from botocore.validate import validate_parameters

    model = client.meta.service_model.operation_model(op.name)
    validate_parameters(params, model.input_shape)


def invoke(client: Any, op: Operation, params: dict[str, Any]) -> dict[str, Any]:
    method = getattr(client, cli_name(op.name).replace("-", "_"))
    return method(**params)
