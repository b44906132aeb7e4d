"""A local payload (a file or stdin) → an inline ``Body`` or an upload; submit one request.

The decision is made before any network I/O (:func:`plan_placement`), so a payload too large
to send inline without an ``InputLocation`` is a parse-time error (252).
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

from sagemaker_async.errors import ParamValidationError
from sagemaker_async.workflow.locations import S3Location, parse_s3_uri, upload_target

if TYPE_CHECKING:
    from sagemaker_async.request.service_model import Operation

INLINE_LIMIT = 128_000  # bytes: the most an inline Body may hold (the service's limit)
STDIN = "-"


class Names(NamedTuple):
    """How messages name the payload, the body and the input location."""

    payload: str
    body: str
    input_location: str


CLI_NAMES = Names("--payload", "--body", "--input-location")
DOCUMENT_NAMES = Names("Payload", "Body", "InputLocation")


@dataclass
class Payload:
    name: str  # the path, or "-" for stdin
    size: int
    data: bytes | None = None  # read up front: stdin, pipes, small files

    @classmethod
    def load(cls, path: str, stdin: BinaryIO | None, option: str = "--payload") -> Payload:
        """Stdin and non-regular files are read now, bounded as every file input is (see
        request.params.read_input_file); a regular file is opened now, to report an
        unreadable one before anything is sent, and read only when it is sent."""
        from sagemaker_async.request.params import MAX_INPUT_BYTES, read_input_file

        try:
            if path == STDIN and stdin is not None:
                data = stdin.read(MAX_INPUT_BYTES + 1)
                if len(data) > MAX_INPUT_BYTES:
                    raise OSError(f"more than {MAX_INPUT_BYTES // (1024 * 1024)} MiB on stdin")
                return cls(STDIN, len(data), data)
            info = os.stat(path)
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(f"[Errno 21] Is a directory: {path!r}")
            if not stat.S_ISREG(info.st_mode):  # a fifo, /dev/stdin, <(…), a device
                data = read_input_file(path)
                return cls(path, len(data), data)
            with open(path, "rb"):
                pass  # readable: permissions are checked now, not halfway through a request
            return cls(path, info.st_size)
        except OSError as e:
            raise ParamValidationError(f"Unable to read {option} {path}: {e}") from None

    @property
    def suffix(self) -> str:
        """The file's extension, kept on generated keys (``.json``)."""
        return "" if self.name == STDIN else os.path.splitext(self.name)[1]

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        with open(self.name, "rb") as f:
            return f.read()

    def open(self) -> BinaryIO:
        return io.BytesIO(self.data) if self.data is not None else open(self.name, "rb")  # noqa: SIM115


@dataclass(frozen=True)
class Placement:
    """Inline (``target`` None) or uploaded to ``target``; ``generated``: a key we made up."""

    target: S3Location | None = None
    generated: bool = False


def check_no_body(params: dict[str, Any], names: Names = CLI_NAMES) -> None:
    if "Body" in params:
        raise ParamValidationError(f"{names.payload} and {names.body} cannot both be given.")


def plan_placement(params: dict[str, Any], payload: Payload, names: Names = CLI_NAMES) -> Placement:
    check_no_body(params, names)
    location = params.get("InputLocation")
    if location is None:
        if payload.size > INLINE_LIMIT:
            raise ParamValidationError(
                f"The payload is {payload.size:,} bytes; an inline Body holds at most "
                f"{INLINE_LIMIT:,}. Give {names.input_location} s3://bucket/prefix/ to upload it."
            )
        return Placement()
    target, generated = upload_target(parse_s3_uri(location, names.input_location), payload.suffix)
    return Placement(target, generated)


def submit(
    runtime: Any,
    op: Operation,
    params: dict[str, Any],
    payload: Payload | None,
    placement: Placement,
    s3: Any,
) -> dict[str, Any]:
    """Upload when planned, then invoke. An upload to a generated key is deleted again when
    the invoke does not go through (an error, Ctrl-C): nothing is left behind."""
    from sagemaker_async.request import client as C

    params = dict(params)
    if payload is not None and placement.target is None:
        params["Body"] = payload.read()
    elif payload is not None and placement.target is not None:
        upload(s3, placement.target, payload, params.get("ContentType"))
        params["InputLocation"] = placement.target.uri
    try:
        return C.invoke(runtime, op, params)
    except BaseException:
        if placement.generated and placement.target is not None:
            delete_quietly(s3, placement.target)
        raise


def upload(s3: Any, target: S3Location, payload: Payload, content_type: str | None) -> None:
    extra = {"ContentType": content_type} if content_type else {}
    with payload.open() as body:
        s3.put_object(Bucket=target.bucket, Key=target.key, Body=body, **extra)


def delete_quietly(s3: Any, target: S3Location) -> None:
    with contextlib.suppress(Exception):  # best effort: the invoke's error is the one to report
        s3.delete_object(Bucket=target.bucket, Key=target.key)
