"""``--output text``: tab-separated lines, one per object, in sorted key order.

A dict prints its scalar values on one line (keys sorted), then each nested value under its
key, whose UPPER-CASED name leads the nested lines. A list of dicts shares one set of
columns (the union of their scalar keys). Bare scalars print as Python's ``str()``.
"""

from __future__ import annotations

from typing import Any

from . import RenderError


def format_text(data: Any) -> str:
    """Render ``data`` as the CLI's text formatter does."""
    lines: list[str] = []
    _add_value(data, None, None, lines)
    return "".join(f"{line}\n" for line in lines)


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def _add_value(value: Any, identifier: str | None, columns: list[str] | None, lines: list[str]):
    """Append the lines for any value; ``columns`` is set for a dict inside a list of dicts."""
    if isinstance(value, dict):
        _add_dict(value, identifier, columns, lines)
    elif isinstance(value, list):
        _add_list(value, identifier, lines)
    else:
        lines.append(str(value))


def _add_list(items: list, identifier: str | None, lines: list[str]) -> None:
    if not items:
        return
    if any(isinstance(item, dict) for item in items):
        columns = _shared_columns(items)
        for item in items:
            _add_value(item, identifier, columns, lines)
        return
    # Scalars come first, as one group, whatever their position among nested lists.
    scalars = [item for item in items if _is_scalar(item)]
    if scalars:
        _add_scalars(scalars, identifier, lines)
    for item in items:
        if not _is_scalar(item):
            _add_value(item, identifier, None, lines)


def _add_scalars(items: list, identifier: str | None, lines: list[str]) -> None:
    if identifier is None:
        lines.append("\t".join(str(item) for item in items))
    else:
        label = identifier.upper()
        lines.extend(f"{label}\t{item}" for item in items)


def _shared_columns(items: list) -> list[str]:
    """Sorted union of the scalar-valued keys of a list of dicts."""
    keys: set[str] = set()
    for item in items:
        if not isinstance(item, dict):
            # The CLI crashes on a list mixing dicts with anything else.
            raise RenderError(f"'{type(item).__name__}' object has no attribute 'items'")
        keys.update(key for key, value in item.items() if _is_scalar(value))
    return sorted(keys)


def _add_dict(
    item: dict, identifier: str | None, columns: list[str] | None, lines: list[str]
) -> None:
    if columns is None:
        keys = sorted(item)
        row = [str(item[key]) for key in keys if _is_scalar(item[key])]
        nested = [key for key in keys if not _is_scalar(item[key])]
    else:
        # Missing columns print as empty cells so rows of one list line up.
        row = [str(item.get(key, "")) for key in columns]
        nested = sorted(set(item) - set(columns))
    if row:
        if identifier is not None:
            row.insert(0, identifier.upper())
        lines.append("\t".join(row))
    for key in nested:
        _add_value(item[key], key, None, lines)
