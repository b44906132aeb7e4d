"""YAML input as the AWS CLI v2 reads it (ruamel.yaml's safe loader), on PyYAML.

The AWS CLI reads ``--cli-input-yaml`` with ruamel.yaml, which follows YAML 1.2 unless the
document starts with a ``%YAML 1.1`` directive. In 1.2, ``yes``/``on``/``no`` are strings,
``010`` is ten, ``0o17``/``0b1111``/``+0x1F``/``1_000`` are integers and ``1e3`` a float; in 1.1
the old rules hold (``yes`` is true, ``010`` is eight, ``1:20`` is 80). PyYAML implements 1.1,
so its safe loader is given the 1.2 rules and switches back on the directive. A key given
twice is an error, as in ruamel.

Untrusted input is bounded: a document whose aliases would expand to more than
MAX_EXPANDED_NODES values (an "alias bomb") or that nests deeper than the parser can follow
is refused with a YamlLimitError before anything is built from it.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

YamlError = yaml.YAMLError
# More values than any real request document has; aliases counted as often as they are used.
MAX_EXPANDED_NODES = 100_000


class YamlLimitError(Exception):
    """The document is too large once expanded, or nested too deeply; the text says which."""


_SCALAR_TAGS = (
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:null",
)
_YAML_11_RESOLVERS = yaml.SafeLoader.yaml_implicit_resolvers
# The 1.2 rules as ruamel.yaml applies them (it also accepts "_" in numbers, as 1.1 did).
_YAML_12_PATTERNS = [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (
        "tag:yaml.org,2002:int",
        r"^[-+]?(?:0b[0-1_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)$",
        "-+0123456789",
    ),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
]


def _resolvers_12() -> dict[Any, list[tuple[str, re.Pattern[str]]]]:
    table = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in _SCALAR_TAGS]
        for first, resolvers in _YAML_11_RESOLVERS.items()
    }
    for tag, pattern, firsts in _YAML_12_PATTERNS:
        for first in firsts:
            table.setdefault(first, []).append((tag, re.compile(pattern)))
    return table


class _CliInputLoader(yaml.SafeLoader):
    yaml_implicit_resolvers = _resolvers_12()

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if getattr(self, "yaml_version", None) == (1, 1):  # set by a %YAML 1.1 directive
            saved = self.yaml_implicit_resolvers
            self.yaml_implicit_resolvers = _YAML_11_RESOLVERS
            try:
                return super().resolve(kind, value, implicit)
            finally:
                self.yaml_implicit_resolvers = saved
        return super().resolve(kind, value, implicit)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: PyYAML reports it itself
                continue
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


def _construct_int(loader: yaml.SafeLoader, node: yaml.Node) -> int:
    if getattr(loader, "yaml_version", None) == (1, 1):
        return loader.construct_yaml_int(node)  # type: ignore[arg-type]
    text = str(loader.construct_scalar(node)).replace("_", "")  # type: ignore[arg-type]
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    for prefix, base in (("0b", 2), ("0o", 8), ("0x", 16)):
        if digits.startswith(prefix):
            return sign * int(digits[2:], base)
    return sign * int(digits)


def _construct_bool(loader: yaml.SafeLoader, node: yaml.Node) -> bool:
    if getattr(loader, "yaml_version", None) == (1, 1):
        return loader.construct_yaml_bool(node)  # type: ignore[arg-type]
    return str(loader.construct_scalar(node)).lower() == "true"  # type: ignore[arg-type]


_CliInputLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_CliInputLoader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)


def load_yaml(text: str) -> Any:
    """One YAML document, as the AWS CLI reads --cli-input-yaml (YamlError if malformed,
    YamlLimitError if too large once aliases are expanded or too deeply nested)."""
    loader = _CliInputLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise YamlLimitError("the document is nested too deeply") from None
        if node is None:
            return None
        if _expanded_size(node) > MAX_EXPANDED_NODES:
            raise YamlLimitError(
                f"the document holds more than {MAX_EXPANDED_NODES:,} values once its "
                "aliases are expanded"
            )
        try:
            return loader.construct_document(node)
        except RecursionError:
            raise YamlLimitError("the document is nested too deeply") from None
        except ValueError as e:
            if "Exceeds the limit" not in str(e):
                raise
            # int() of a number longer than Python converts
            raise YamlLimitError("a number in the document has more than 4,300 digits") from None
    finally:
        loader.dispose()


def _expanded_size(root: yaml.Node) -> int:
    """How many nodes the document has with every alias expanded in place; each distinct
    node is visited once (iteratively: no recursion limit), so a bomb is measured cheaply.
    An alias to a node that contains it (``a: &x [*x]``) expands forever: refused."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # on the current path, children not yet measured
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise YamlLimitError("the document refers to itself (a recursive alias)")
        open_nodes.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in open_nodes:
                raise YamlLimitError("the document refers to itself (a recursive alias)")
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


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
