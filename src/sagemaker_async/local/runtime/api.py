"""SageMaker Runtime ``InvokeEndpointAsync``: validation as the service does it, then enqueue.

The constraints (lengths, patterns, integer ranges, the Body limit) are read from botocore's
service model at start-up, so they follow the installed botocore. Messages use the service's
shape: ``1 validation error detected: Value 'x' at 'endpointName' failed to satisfy
constraint: …`` (the value is left out for members the model marks sensitive).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass

from sagemaker_async.local.runtime.queue import NewRequest, Queue
from sagemaker_async.local.runtime.workers import Endpoint, WorkerPool, s3_uri

ACCOUNT_ID = "123456789012"
DEFAULT_TTL_SECONDS = 21600
DEFAULT_TIMEOUT_SECONDS = 900


class InvokeError(Exception):
    """An error answer: JSON ``{"message"}`` with ``x-amzn-ErrorType``."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def validation_error(message: str) -> InvokeError:
    return InvokeError("ValidationError", message, 400)


_JAVA_CLASSES = {r"\p{ASCII}": r"\x00-\x7f", r"\p{Print}": r"\x20-\x7e"}


def java_to_python_regex(pattern: str) -> str:
    """The few Java regex constructs the model uses, in Python's dialect."""
    for java, chars in _JAVA_CLASSES.items():
        pattern = pattern.replace(f"[{java}]", f"[{chars}]").replace(java, f"[{chars}]")
    return pattern.replace(r"\z", r"\Z")


@dataclass
class Constraint:
    member: str  # camelCase, as the service names it in messages
    kind: str  # string | integer | blob
    header: str | None
    min: int | None
    max: int | None
    pattern: str | None
    regex: re.Pattern | None
    sensitive: bool


def load_constraints() -> dict[str, Constraint]:
    """InvokeEndpointAsync's input members and their constraints from botocore's model."""
    import botocore.session

    model = botocore.session.Session().get_service_model("sagemaker-runtime")
    shape = model.operation_model("InvokeEndpointAsync").input_shape
    out = {}
    for name, member in shape.members.items():
        meta = member.metadata
        pattern = meta.get("pattern")
        regex = None
        if pattern:
            try:
                regex = re.compile(java_to_python_regex(pattern))
            except re.error:
                regex = None
        out[name] = Constraint(
            member=name[0].lower() + name[1:],
            kind=member.type_name,
            header=member.serialization.get("name")
            if member.serialization.get("location") == "header"
            else None,
            min=meta.get("min"),
            max=meta.get("max"),
            pattern=pattern,
            regex=regex,
            sensitive=bool(meta.get("sensitive")),
        )
    return out


class RuntimeApi:
    def __init__(
        self,
        *,
        endpoints: dict[str, Endpoint],
        queue: Queue,
        pool: WorkerPool,
        max_ttl: int | None = None,
    ):
        self.endpoints = endpoints
        self.queue = queue
        self.pool = pool
        self.max_ttl = max_ttl
        self.constraints = load_constraints()
        self.body_max = self.constraints["Body"].max if "Body" in self.constraints else 128000

    def _check(self, values: dict[str, str | bytes]) -> list[str]:
        problems = []
        for name, value in values.items():
            c = self.constraints.get(name)
            if c is None:
                continue
            # the one bytes value is Body, a blob: never shown
            if c.sensitive or c.kind == "blob" or isinstance(value, bytes):
                shown = "Value at"
            else:
                shown = f"Value '{value}' at"
            prefix = f"{shown} '{c.member}' failed to satisfy constraint: Member must"
            if c.kind == "integer":
                try:
                    number = int(value)
                except (TypeError, ValueError):
                    problems.append(f"{prefix} be an integer")
                    continue
                if c.min is not None and number < c.min:
                    problems.append(f"{prefix} have value greater than or equal to {c.min}")
                if c.max is not None and number > c.max:
                    problems.append(f"{prefix} have value less than or equal to {c.max}")
                continue
            length = len(value)
            if c.min is not None and length < c.min:
                problems.append(f"{prefix} have length greater than or equal to {c.min}")
            if c.max is not None and length > c.max:
                problems.append(f"{prefix} have length less than or equal to {c.max}")
            if c.regex is not None and isinstance(value, str) and not c.regex.fullmatch(value):
                problems.append(f"{prefix} satisfy regular expression pattern: {c.pattern}")
        return problems

    def values_from(self, endpoint_name: str, headers, body_length: int) -> dict[str, str]:
        values: dict[str, str] = {"EndpointName": endpoint_name}
        for name, c in self.constraints.items():
            if c.header is not None:
                value = headers.get(c.header)
                if value is not None:
                    values[name] = value
        return values

    def invoke(self, endpoint_name: str, headers, body: bytes) -> tuple[int, dict, bytes]:
        """Validate and enqueue; returns (status, headers, body) or raises InvokeError."""
        values = self.values_from(endpoint_name, headers, len(body))
        checked: dict[str, str | bytes] = dict(values)
        if body:
            checked["Body"] = body
        problems = self._check(checked)
        if problems:
            count = len(problems)
            noun = "validation error" if count == 1 else "validation errors"
            raise validation_error(f"{count} {noun} detected: " + "; ".join(problems))
        endpoint = self.endpoints.get(endpoint_name)
        if endpoint is None:
            raise validation_error(f"Endpoint {endpoint_name} of account {ACCOUNT_ID} not found.")
        input_location = values.get("InputLocation")
        if body and input_location:
            raise validation_error("Only one of Body or InputLocation can be specified.")
        if not body and not input_location:
            raise validation_error("Either Body or InputLocation must be specified.")
        extension = values.get("S3OutputPathExtension", "").strip("/")
        if any(seg in (".", "..") for seg in extension.split("/")):
            raise validation_error(
                "S3OutputPathExtension must not contain '.' or '..' path segments."
            )

        inference_id = values.get("InferenceId") or str(uuid.uuid4())
        name = values.get("Filename")
        object_id = str(uuid.uuid4())
        output_name = name or f"{object_id}.out"
        failure_name = f"{name}-error.out" if name else f"{object_id}-error.out"
        output_key = "/".join(p for p in (endpoint.output_prefix, extension, output_name) if p)
        failure_key = "/".join(p for p in (endpoint.failure_prefix, extension, failure_name) if p)
        now = time.time()
        ttl = int(values.get("RequestTTLSeconds", DEFAULT_TTL_SECONDS))
        if self.max_ttl is not None:
            ttl = min(ttl, self.max_ttl)
        timeout = int(values.get("InvocationTimeoutSeconds", DEFAULT_TIMEOUT_SECONDS))
        self.queue.enqueue(
            NewRequest(
                inference_id=inference_id,
                endpoint=endpoint_name,
                body=body or None,
                input_location=input_location,
                content_type=values.get("ContentType"),
                accept=values.get("Accept"),
                custom_attributes=values.get("CustomAttributes"),
                output_bucket=endpoint.output_bucket,
                output_key=output_key,
                failure_bucket=endpoint.failure_bucket,
                failure_key=failure_key,
                received_at=now,
                expires_at=now + ttl,
                timeout_seconds=timeout,
            )
        )
        self.pool.wake(endpoint_name)
        response_headers = {
            "X-Amzn-SageMaker-OutputLocation": s3_uri(endpoint.output_bucket, output_key),
            "X-Amzn-SageMaker-FailureLocation": s3_uri(endpoint.failure_bucket, failure_key),
            "Content-Type": "application/json",
        }
        return 202, response_headers, json.dumps({"InferenceId": inference_id}).encode()
