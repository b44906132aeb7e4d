"""Parsed option values → one API parameters dict, as the AWS CLI builds it; skeletons.

Order matters because it decides which error a user sees first: each given option is
unpacked in model order (``file://``/``fileb://`` loaded, integers converted), then
``--cli-input-json``/``--cli-input-yaml`` fill in members the command line did not give.
Blob decoding (base64 by default) happens later, once a client exists, as in the AWS CLI.
"""

from __future__ import annotations

import io
import json
import os

from sagemaker_async.errors import GeneralError, ParamValidationError, integer_from_text
from sagemaker_async.request.service_model import Member, Operation

TYPE_CHECKING = False  # typing costs start-up time; mypy reads this as typing.TYPE_CHECKING
if TYPE_CHECKING:
    from typing import Any

FILE_PREFIX = "file://"
FILEB_PREFIX = "fileb://"


# What one file input may hold in memory: file:// and fileb:// values, --cli-input-* documents,
# a --payload read from a pipe or a device. Larger regular --payload files are streamed.
MAX_INPUT_BYTES = 64 * 1024 * 1024
# How long a named pipe may stay without a writer before we say so.
FIFO_WAIT_SECONDS = 10.0


def load_paramfile(value: str) -> str | bytes | None:
    """The contents named by a file:// (text) or fileb:// (bytes) value; None otherwise."""
    if value.startswith(FILE_PREFIX):
        path, binary = value[len(FILE_PREFIX) :], False
    elif value.startswith(FILEB_PREFIX):
        path, binary = value[len(FILEB_PREFIX) :], True
    else:
        return None
    path = os.path.expandvars(os.path.expanduser(path))
    try:
        data = read_input_file(path)
    except OSError as e:
        raise ResourceLoadError(f"Unable to load paramfile {value}: {e}") from None
    if binary:
        return data
    encoding = file_encoding()
    try:
        # Decoded as open(path, "r") would: universal newlines, the codec's stream rules.
        return io.TextIOWrapper(io.BytesIO(data), encoding=encoding).read()
    except LookupError:
        raise GeneralError(f"unknown encoding: {encoding}") from None
    except UnicodeDecodeError:
        raise ResourceLoadError(
            f"Unable to load paramfile ({path}), text contents could not be decoded.  If this "
            "is a binary file, please use the fileb:// prefix instead of the file:// prefix."
        ) from None
    except UnicodeError as e:  # e.g. UTF-16 without a byte order mark
        raise GeneralError(str(e)) from None


def file_encoding() -> str:
    """AWS_CLI_FILE_ENCODING if set (even to nonsense), else the locale's (UTF-8 for C/POSIX)."""
    if "AWS_CLI_FILE_ENCODING" in os.environ:
        return os.environ["AWS_CLI_FILE_ENCODING"]
    import locale

    if locale.setlocale(locale.LC_CTYPE) in ("C", "POSIX"):
        return "UTF-8"
    return locale.getpreferredencoding(False)


class InputNotRead(OSError):
    """A file input refused before it was read in full: too large, or a pipe with no writer."""


class ResourceLoadError(Exception):
    pass


def read_input_file(path: str, limit: int = MAX_INPUT_BYTES) -> bytes:
    """A file input's bytes, bounded: at most ``limit`` bytes (else InputNotRead), and a named
    pipe nobody writes to is given up on after FIFO_WAIT_SECONDS instead of hanging."""
    import stat

    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # opening a fifo must not block
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(21, "Is a directory", path)
        if stat.S_ISREG(info.st_mode) and info.st_size > limit:
            raise InputNotRead(f"the file is larger than {limit // (1024 * 1024)} MiB")
        if stat.S_ISFIFO(info.st_mode):
            _wait_for_writer(fd, path)
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise InputNotRead(f"more than {limit // (1024 * 1024)} MiB to read; stopped")
    finally:
        os.close(fd)


def _wait_for_writer(fd: int, path: str) -> None:
    import select

    poller = select.poll()
    poller.register(fd, select.POLLIN)
    if not poller.poll(FIFO_WAIT_SECONDS * 1000):
        raise InputNotRead(
            f"nothing wrote to the named pipe {path} within {FIFO_WAIT_SECONDS:g} seconds"
        )


def param_error(option: str, message: str) -> ParamValidationError:
    return ParamValidationError(f"Error parsing parameter '{option}': {message}")


def build_params(op: Operation, values: dict[str, Any]) -> dict[str, Any]:
    """API parameters from the options given on the command line, in model order."""
    params: dict[str, Any] = {}
    for member in op.input_members:
        raw = values.get(dest_of(member))
        if raw is None:
            continue
        params[member.name] = unpack(member, raw)
    return params


def dest_of(member: Member) -> str:
    return member.option[2:].replace("-", "_")


def unpack(member: Member, raw: Any) -> Any:
    if isinstance(raw, bool):
        return raw
    check_text(member.option, raw)
    value: Any = raw
    try:
        loaded = load_paramfile(raw)
    except ResourceLoadError as e:
        raise param_error(member.option, str(e)) from None
    if loaded is not None:
        value = loaded
    kind = member.type
    if kind in ("integer", "long"):
        return integer_from_text(value, member.option)
    if kind in ("float", "double"):
        try:
            return float(value)
        except ValueError as e:
            raise GeneralError(str(e)) from None
    if kind in ("structure", "list", "map") and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as e:
            raise param_error(member.option, f"Invalid JSON: {e}\nJSON received: {value}") from None
    return value


def check_text(option: str, value: Any) -> None:
    """Refuse strings holding bytes that were not UTF-8 (Python keeps them from argv as lone
    surrogates; no request can carry them): every string in ``value``, walked iteratively."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            bad = _first_undecodable(item)
            if bad is not None:
                raise param_error(
                    option, f"the value is not valid UTF-8 (byte 0x{bad:02x} cannot be sent)"
                )
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def _first_undecodable(text: str) -> int | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        code = ord(text[e.start])
        return code - 0xDC00 if 0xDC80 <= code <= 0xDCFF else code
    return None


# -- --cli-input-json / --cli-input-yaml --------------------------------------------------
def load_cli_input(values: dict[str, Any]) -> dict[str, Any] | None:
    """The document given with --cli-input-json or --cli-input-yaml, checked to be a map."""
    given_json = values.get("cli_input_json")
    given_yaml = values.get("cli_input_yaml")
    if given_json is not None and given_yaml is not None:
        raise ParamValidationError("Only one --cli-input- parameter may be specified.")
    if given_json is not None:
        name, text = "cli-input-json", given_json
    elif given_yaml is not None:
        name, text = "cli-input-yaml", given_yaml
    else:
        return None
    try:
        loaded = load_paramfile(text)
    except ResourceLoadError as e:
        raise param_error(f"--{name}", str(e)) from None
    if loaded is not None:
        text = loaded
    if name == "cli-input-json":
        try:
            document = json.loads(text)
        except RecursionError:
            raise param_error(f"--{name}", "the document is nested too deeply") from None
        except ValueError:
            raise param_error(name, "Invalid JSON received.") from None
    else:
        from sagemaker_async.request.yamlio import YamlError, YamlLimitError, load_yaml

        try:
            document = load_yaml(text)
        except YamlLimitError as e:
            raise param_error(f"--{name}", str(e)) from None
        except YamlError:
            raise param_error(name, "Invalid YAML received.") from None
    if not isinstance(document, dict):
        raise param_error(f"--{name}", f"Invalid type: expecting map, received {type(document)}")
    check_text(f"--{name}", document)
    return document


def merge_cli_input(params: dict[str, Any], document: dict[str, Any] | None) -> dict[str, Any]:
    """Command-line values win; the document fills in the rest (no deep merge)."""
    if not document:
        return params
    merged = dict(params)
    for key, value in document.items():
        merged.setdefault(key, value)
    return merged


# -- skeletons ----------------------------------------------------------------------------
def _sample(member: Member, shapes: dict[str, Any], for_yaml: bool) -> Any:
    return _sample_shape(member.shape, shapes, for_yaml)


def _sample_shape(shape: dict[str, Any], shapes: dict[str, Any], for_yaml: bool) -> Any:
    kind = shape["type"]
    if kind == "string":
        return shape.get("enum", [""])[0]
    if kind in ("integer", "long"):
        return 0
    if kind in ("float", "double"):
        return 0.0
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return "1970-01-01T00:00:00"
    if kind == "blob":
        return b"" if for_yaml else None
    if kind == "structure":
        return {
            name: _sample_shape(shapes[ref["shape"]], shapes, for_yaml)
            for name, ref in shape.get("members", {}).items()
        }
    if kind == "list":
        return [_sample_shape(shapes[shape["member"]["shape"]], shapes, for_yaml)]
    if kind == "map":
        return {"KeyName": _sample_shape(shapes[shape["value"]["shape"]], shapes, for_yaml)}
    return None


def format_input_skeleton(op: Operation, shapes: dict[str, Any]) -> str:
    skeleton = {m.name: _sample(m, shapes, for_yaml=False) for m in op.input_members}
    return json.dumps(skeleton, indent=4) + "\n"


def format_yaml_input_skeleton(op: Operation, shapes: dict[str, Any]) -> str:
    """The yaml-input skeleton, with the AWS CLI's end-of-line comments."""
    from sagemaker_async.request.model_docs import first_sentence
    from sagemaker_async.request.yamlio import dump_scalar_or_block

    lines = []
    for index, member in enumerate(op.input_members):
        value = dump_scalar_or_block(_sample(member, shapes, for_yaml=True))
        comment = ("[REQUIRED] " if member.required else "") + first_sentence(member.documentation)
        gap = "  " if index == 0 else " "  # as ruamel.yaml lays the comments out
        if "\n" in value:  # nested structures: the comment goes on the key's line
            lines.append(f"{member.name}:{gap}# {comment}".rstrip())
            lines.extend("  " + line for line in value.rstrip("\n").split("\n"))
        else:
            lines.append(f"{member.name}: {value}{gap}# {comment}".rstrip())
    return "\n".join(lines) + "\n"


def output_skeleton(op: Operation) -> dict[str, Any]:
    """The fake response ``--generate-cli-skeleton output`` prints: each string its name."""
    return {m.name: m.name for m in op.output_members}
