"""YAML input as the AWS CLI v2 reads it (YAML 1.2 core schema), on PyYAML.

The AWS CLI reads ``--cli-input-yaml`` with a YAML 1.2 loader, where ``yes``/``on``/``no``
are strings and ``010`` is the integer 10. PyYAML implements YAML 1.1, so its safe loader is
given the 1.2 core schema's resolvers for booleans, integers, floats and nulls.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

YamlError = yaml.YAMLError


class _Yaml12Loader(yaml.SafeLoader):
    pass


# Start from a copy without the 1.1 bool/int/float/null resolvers, then add the 1.2 ones.
_Yaml12Loader.yaml_implicit_resolvers = {
    first: [
        (tag, rx)
        for tag, rx in resolvers
        if tag
        not in (
            "tag:yaml.org,2002:bool",
            "tag:yaml.org,2002:int",
            "tag:yaml.org,2002:float",
            "tag:yaml.org,2002:null",
        )
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_RESOLVERS = [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
]
for _tag, _pattern, _first in _RESOLVERS:
    _Yaml12Loader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


def _construct_int(loader: yaml.SafeLoader, node: yaml.Node) -> int:
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text)


def _construct_bool(loader: yaml.SafeLoader, node: yaml.Node) -> bool:
    return str(loader.construct_scalar(node)).lower() == "true"  # type: ignore[arg-type]


_Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Yaml12Loader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Yaml12Loader)  # noqa: S506 - a safe loader subclass


def dump_scalar_or_block(value: Any) -> str:
    """A value as it appears after ``key: `` in a block mapping (blobs as !!binary)."""
    if isinstance(value, bytes):
        return (
            "!!binary ''"
            if not value
            else "!!binary " + yaml.safe_dump(value).split(" ", 1)[1].strip()
        )
    if isinstance(value, (dict, list)):
        return yaml.safe_dump(value, default_flow_style=False, sort_keys=False)
    text = yaml.safe_dump(value, default_flow_style=False)
    return text.removesuffix("\n...\n").rstrip("\n")
