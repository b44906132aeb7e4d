"""S3 locations: ``s3://bucket/key`` parsed and printed; keys generated under a prefix."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sagemaker_async.errors import ParamValidationError

S3_SCHEME = "s3://"


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str

    @property
    def uri(self) -> str:
        return f"{S3_SCHEME}{self.bucket}/{self.key}"

    @property
    def is_prefix(self) -> bool:
        return self.key == "" or self.key.endswith("/")

    def __str__(self) -> str:
        return self.uri


def parse_s3_uri(uri: str, name: str) -> S3Location:
    """``s3://bucket/key`` or ``s3://bucket/prefix/``; anything else is a 252 naming ``name``."""
    bucket, slash, key = uri[len(S3_SCHEME) :].partition("/")
    if not uri.startswith(S3_SCHEME) or not bucket or not slash:
        raise ParamValidationError(
            f"{name} must be s3://bucket/key or s3://bucket/prefix/, not {uri!r}"
        )
    return S3Location(bucket, key)


def parse_object_uri(uri: str, name: str) -> S3Location:
    """An object's location: as :func:`parse_s3_uri`, and not a prefix."""
    location = parse_s3_uri(uri, name)
    if location.is_prefix:
        raise ParamValidationError(f"{name} must name an object (s3://bucket/key), not {uri!r}")
    return location


def upload_target(location: S3Location, suffix: str = "") -> tuple[S3Location, bool]:
    """Where a payload goes: the key given, or a fresh key under a prefix ending in ``/``
    (then True: the key was generated, and nobody else knows it)."""
    if location.is_prefix:
        return S3Location(location.bucket, f"{location.key}{uuid.uuid4()}{suffix}"), True
    return location, False
