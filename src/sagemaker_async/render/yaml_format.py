"""``--output yaml`` and ``--output yaml-stream``.

AWS CLI v2 dumps with ruamel.yaml (``typ='safe'``, block style, keys sorted) through its C
emitter, which reads scalars with YAML 1.2 rules. PyYAML gives the same bytes once it is
told those rules: ``yes``/``on``/``1:20`` are plain strings, ``1e5``/``0o17`` numbers that
need quotes, and floats are written as ``repr`` (``1e+20``, not ``1.0e+20``). The C
dumper (libyaml) is used because its escaping and line folding are those of ruamel's C
emitter (``"\\U0001F600"`` for emoji, folding counted on escaped text); PyYAML's pure
emitter differs there and is only a fallback.
"""

from __future__ import annotations

import functools
import json
import re
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import yaml.representer

# YAML 1.2 implicit types, as ruamel.yaml resolves them when dumping: a string matching
# one of these must be quoted to stay a string. Each entry: tag suffix, pattern, and the
# first characters a match can start with ("" is the empty string).
_YAML12_TYPES = (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (
        "float",
        r"""^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
            |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
            |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
            |[-+]?\.(?:inf|Inf|INF)
            |\.(?:nan|NaN|NAN))$""",
        "-+0123456789.",
    ),
    (
        "int",
        r"""^(?:[-+]?0b[0-1_]+
            |[-+]?0o?[0-7_]+
            |[-+]?[0-9_]+
            |[-+]?0x[0-9a-fA-F_]+)$""",
        "-+0123456789",
    ),
    ("merge", r"^(?:<<)$", "<"),
    ("null", r"^(?:~|null|Null|NULL|)$", ("~", "n", "N", "")),
    (
        "timestamp",
        r"""^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}
            |[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}
             (?:[Tt]|[\ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?
             (?:[\ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$""",
        "0123456789",
    ),
    ("value", r"^(?:=)$", "="),
    ("yaml", r"^(?:!|&|\*)$", "!&*"),
)


def format_yaml(data: Any) -> str:
    """Render ``data`` as ``--output yaml`` does."""
    if isinstance(data, dict) and not data:
        return ""
    if not isinstance(data, (dict, list)):
        # The CLI writes a bare scalar as JSON, so a string comes out quoted.
        return json.dumps(data, ensure_ascii=False) + "\n"
    return _dump(data)


def format_yaml_stream(data: Any) -> str:
    """Render one response as ``--output yaml-stream`` does: a one-item YAML list."""
    if isinstance(data, dict) and not data:
        return ""
    return _dump([data])


def _dump(data: Any) -> str:
    import yaml

    return yaml.dump(data, Dumper=_dumper(), default_flow_style=False, allow_unicode=True)


@functools.cache
def _dumper() -> type[yaml.representer.SafeRepresenter]:
    """A safe dumper with YAML 1.2 scalar resolution and ruamel's float spelling."""
    import yaml

    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    for name, pattern, first_chars in _YAML12_TYPES:
        compiled = re.compile(pattern, re.X)
        for char in first_chars:
            resolvers.setdefault(char, []).append((f"tag:yaml.org,2002:{name}", compiled))
    # ``base`` is a dumper class (C or pure), so the class built from it is a representer
    dumper = cast(
        "type[yaml.representer.SafeRepresenter]",
        type("Yaml12SafeDumper", (base,), {"yaml_implicit_resolvers": resolvers}),
    )
    dumper.add_representer(float, _represent_float)
    return dumper


def _represent_float(dumper: Any, value: float) -> Any:
    if value != value:
        text = ".nan"
    elif value in (float("inf"), float("-inf")):
        text = ".inf" if value > 0 else "-.inf"
    else:
        text = repr(value).lower()
    return dumper.represent_scalar("tag:yaml.org,2002:float", text)
