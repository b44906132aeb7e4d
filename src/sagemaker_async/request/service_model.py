"""The installed botocore's service model, read without importing botocore.

``--help``, ``--version`` and skeletons must start fast, and importing botocore's loader pulls
in urllib3 and http.client (~100 ms). The model is plain JSON in botocore's data folder, so
this module finds it the way botocore's loader does (``AWS_DATA_PATH``, ``~/.aws/models``,
then botocore's own ``data/``; newest API version) and reads it directly. The invoke path
still builds its client with botocore, from the same file.

Even botocore's ``__init__`` costs a skeleton about a tenth of its start-up (it imports
logging), and it is needed only for ``xform_name`` (``RequestTTLSeconds`` →
``request-ttl-seconds``): its answers for a model file are kept in the user's cache folder,
keyed by the file's path, size and mtime, and botocore is imported only when that file is new.
"""

from __future__ import annotations

import contextlib
import functools
import json
import marshal
import os

TYPE_CHECKING = False  # typing costs start-up time; mypy reads this as typing.TYPE_CHECKING
if TYPE_CHECKING:
    from typing import Any

SERVICE = "sagemaker-runtime"
# Operations the AWS CLI removes from this service (it cannot render event streams).
REMOVED_OPERATIONS = frozenset({"InvokeEndpointWithResponseStream"})


def cache_dir() -> str:
    """Where sagemaker-async keeps what it remembers across runs (``$XDG_CACHE_HOME``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "sagemaker-async")


@functools.cache
def botocore_data_dir() -> str:
    """botocore's data folder, found as ``import botocore`` would find the package."""
    import sys
    from importlib.machinery import PathFinder

    if "botocore" in sys.modules:
        return os.path.join(sys.modules["botocore"].BOTOCORE_ROOT, "data")
    spec = PathFinder.find_spec("botocore")
    if spec is not None and spec.submodule_search_locations:
        return os.path.join(list(spec.submodule_search_locations)[0], "data")
    import botocore  # found by an import hook only: let the import say where

    return os.path.join(botocore.BOTOCORE_ROOT, "data")


def _search_paths() -> list[str]:
    paths = [p for p in os.environ.get("AWS_DATA_PATH", "").split(os.pathsep) if p]
    paths = [os.path.expanduser(os.path.expandvars(p)) for p in paths]
    return [*paths, os.path.join(os.path.expanduser("~"), ".aws", "models"), botocore_data_dir()]


def _load_json(path_without_ext: str) -> Any | None:
    if os.path.isfile(path_without_ext + ".json"):
        with open(path_without_ext + ".json", "rb") as f:
            return json.loads(f.read())
    if os.path.isfile(path_without_ext + ".json.gz"):
        import zlib  # built in; the gzip module costs a millisecond to import

        with open(path_without_ext + ".json.gz", "rb") as f:
            return json.loads(zlib.decompress(f.read(), 16 + zlib.MAX_WBITS))
    return None


def load_service_model(service: str = SERVICE) -> dict[str, Any]:
    """The newest ``service-2`` document for ``service`` on the loader's search path."""
    return _load_service_model(service)  # one cache entry however it is called


@functools.cache
def _load_service_model(service: str) -> dict[str, Any]:
    model = _load_json(_model_file(service))
    assert isinstance(model, dict)
    return model


@functools.cache
def _model_file(service: str) -> str:
    """The path of the newest ``service-2`` file (without .json/.json.gz)."""
    versions: dict[str, str] = {}
    for base in _search_paths():
        folder = os.path.join(base, service)
        if not os.path.isdir(folder):
            continue
        for version in os.listdir(folder):
            if version not in versions and (
                os.path.exists(os.path.join(folder, version, "service-2.json"))
                or os.path.exists(os.path.join(folder, version, "service-2.json.gz"))
            ):
                versions[version] = os.path.join(folder, version, "service-2")
    if not versions:
        raise RuntimeError(f"botocore has no model for {service}")
    return versions[max(versions)]


def list_service_names() -> list[str]:
    """Every service botocore knows (the AWS CLI's command names, for 'Maybe you meant')."""
    names: set[str] = set()
    for base in _search_paths():
        if os.path.isdir(base):
            names.update(n for n in os.listdir(base) if not n.startswith("_"))
    return sorted(names)


def cli_name(name: str) -> str:
    """botocore's CamelCase → kebab-case (``RequestTTLSeconds`` → ``request-ttl-seconds``)."""
    names = _cli_names(SERVICE)
    if name not in names:
        from botocore import xform_name

        names[name] = xform_name(name, "-")
    return names[name]


NAMES_FORMAT = "1"  # part of the names cache key: bump it when the file changes shape


@functools.cache
def _cli_names(service: str) -> dict[str, str]:
    """xform_name's answers for every operation and member name of the service's model:
    read from the cache, else computed with botocore and written there."""
    try:
        model_file = _model_file(service)
        json_file = model_file + ".json"
        stat = os.stat(json_file if os.path.isfile(json_file) else model_file + ".json.gz")
    except (OSError, RuntimeError):
        return {}
    key = f"{NAMES_FORMAT}|{model_file}|{stat.st_size}|{stat.st_mtime_ns}"
    import zlib

    path = os.path.join(cache_dir(), f"cli-names-{zlib.crc32(key.encode()):08x}.marshal")
    try:
        with open(path, "rb") as f:
            stored = marshal.load(f)
        if isinstance(stored, dict) and stored.get("key") == key:
            return dict(stored["names"])
    except (OSError, EOFError, ValueError, TypeError, KeyError):
        pass
    names = _compute_names(load_service_model(service))
    write_cache(path, {"key": key, "names": names})
    return dict(names)


def _compute_names(model: dict[str, Any]) -> dict[str, str]:
    from botocore import xform_name

    words = set(model.get("operations", {}))
    for shape in model.get("shapes", {}).values():
        words.update(shape.get("members", {}))
    return {word: xform_name(word, "-") for word in sorted(words)}


def write_cache(path: str, value: Any) -> None:
    """Marshal ``value`` to ``path`` atomically (readers never see half a file); a cache that
    cannot be written is simply not kept."""
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temporary, "wb") as f:
            marshal.dump(value, f)
        os.replace(temporary, path)
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            os.remove(temporary)


# -- a thin view of one operation ----------------------------------------------------------
class Member:
    """One member of an input or output shape (plain class: dataclasses cost start-up time)."""

    __slots__ = (
        "name",
        "shape_name",
        "type",
        "required",
        "documentation",
        "sensitive",
        "enum",
        "shape",
    )

    def __init__(
        self,
        name: str,  # API member name, e.g. "EndpointName"
        shape_name: str,
        type: str,  # string, integer, long, boolean, blob, timestamp, float, structure…
        required: bool,
        documentation: str,
        sensitive: bool = False,
        enum: tuple[str, ...] = (),
        shape: dict[str, Any] | None = None,
    ):
        self.name = name
        self.shape_name = shape_name
        self.type = type
        self.required = required
        self.documentation = documentation
        self.sensitive = sensitive
        self.enum = enum
        self.shape = shape or {}

    def __repr__(self) -> str:
        return f"Member({self.name!r}, {self.type!r}, required={self.required})"

    @property
    def option(self) -> str:
        return "--" + cli_name(self.name)


class Operation:
    __slots__ = (
        "name",
        "documentation",
        "input_members",
        "output_members",
        "has_streaming_output",
    )

    def __init__(
        self,
        name: str,  # e.g. "InvokeEndpointAsync"
        documentation: str,
        input_members: tuple[Member, ...],
        output_members: tuple[Member, ...],
        has_streaming_output: bool,
    ):
        self.name = name
        self.documentation = documentation
        self.input_members = input_members
        self.output_members = output_members
        self.has_streaming_output = has_streaming_output

    def __repr__(self) -> str:
        return f"Operation({self.name!r})"

    @property
    def cli_name(self) -> str:
        return cli_name(self.name)


def _members(model: dict[str, Any], shape_name: str | None) -> tuple[Member, ...]:
    if not shape_name:
        return ()
    shapes = model["shapes"]
    struct = shapes[shape_name]
    required = set(struct.get("required", ()))
    out = []
    for name, ref in struct.get("members", {}).items():
        target = shapes[ref["shape"]]
        out.append(
            Member(
                name=name,
                shape_name=ref["shape"],
                type=target["type"],
                required=name in required,
                documentation=ref.get("documentation", target.get("documentation", "")),
                sensitive=bool(target.get("sensitive") or ref.get("sensitive")),
                enum=tuple(target.get("enum", ())),
                shape=target,
            )
        )
    return tuple(out)


def operation(name: str, service: str = SERVICE) -> Operation:
    return _operation(name, service)  # one cache entry however it is called


@functools.cache
def _operation(name: str, service: str) -> Operation:
    model = load_service_model(service)
    op = model["operations"][name]
    output_shape = op.get("output", {}).get("shape")
    streaming = False
    if output_shape:
        out = model["shapes"][output_shape]
        payload = out.get("payload")
        if payload:
            target = model["shapes"][out["members"][payload]["shape"]]
            streaming = bool(target.get("streaming") or target.get("eventstream"))
    return Operation(
        name=name,
        documentation=op.get("documentation", ""),
        input_members=_members(model, op.get("input", {}).get("shape")),
        output_members=_members(model, output_shape),
        has_streaming_output=streaming,
    )


def operation_names(service: str = SERVICE) -> list[str]:
    """The service's operations as the AWS CLI lists them (CLI names, model order)."""
    model = load_service_model(service)
    return [cli_name(n) for n in model["operations"] if n not in REMOVED_OPERATIONS]
