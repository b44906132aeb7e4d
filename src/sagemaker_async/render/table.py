"""``--output table``: ASCII boxes, one section per object, sized to the terminal.

Layout rules (those of AWS CLI v2's table formatter):

* A dict is one section: its scalar keys, sorted, form a header row above one value row;
  a dict with a single scalar key becomes one ``key | value`` row instead. Each nested
  value gets its own section, titled by its key and indented one level deeper, which
  draws one more ``|`` on both sides of each of its lines.
* A list of dicts is one section whose header is the sorted union of scalar keys.
  A list of scalars is one row per item.
* A column is its widest cell + 4; a section is its columns + 2 (or its title + 2), plus
  2 per indent level; the table is as wide as its widest section, and every section's
  columns are scaled to that width.
* If the table is wider than the terminal, each section holding a header and exactly one
  row is turned into ``key | value`` rows ("vertical"), once.
* Falsy data prints nothing; a truthy scalar prints only the title box.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

from . import RenderError

# colorama's codes, as the CLI emits them with --color on.
_RESET = "\x1b[0m"
_VALUE_STYLE = "\x1b[1m\x1b[34m"  # bright blue
_INDENT_PIPE = "\x1b[2m\x1b[33m|" + _RESET  # dim yellow

_PADDING = 4  # two spaces each side of the widest cell
_BORDER = 2  # the outer "|" on each side


class _Section:
    """One titled box: optional header row, then rows of cells (all strings)."""

    # A plain class, not a dataclass: importing dataclasses costs start-up time.
    __slots__ = ("title", "indent", "headers", "rows", "columns", "widths")

    def __init__(self, title: str | None, indent: int = 0) -> None:
        self.title = title
        self.indent = indent
        self.headers: list[str] = []
        self.rows: list[list[str]] = []
        self.columns: int | None = None  # fixed by the first header or row
        self.widths: list[int] = []  # widest cell per column


def format_table(
    data: Any, *, title: str = "", color: bool = False, width: int = 80, autoreset: bool = True
) -> str:
    """Render ``data`` as the CLI's table formatter does on a ``width``-column terminal.

    ``autoreset``: with colour, a reset code follows every write, as on the CLI's stdout
    (colorama wraps it); its error stream is not wrapped, so an error table has none.
    """
    if not data:
        return ""
    sections: list[_Section] = []
    _add_value(sections, title, data, 0)
    if _table_width(sections) > width:
        sections = [_vertical(section) for section in sections]
    total = _table_width(sections)
    style = _style_value if color else _plain
    lines = [
        (section.indent, line)
        for section in sections
        for line in _section_lines(section, total - 2 * section.indent, style)
    ]
    return _assemble(total, lines, color, autoreset)


# --- measuring ------------------------------------------------------------------------


def _text_width(text: str) -> int:
    """Columns a string takes: wide, full-width and ambiguous East-Asian characters take 2."""
    return sum(2 if unicodedata.east_asian_width(char) in "WFA" else 1 for char in text)


def _section_width(section: _Section) -> int:
    cells = sum(width + _PADDING for width in section.widths) + _BORDER
    # A missing (None) title is measured as the text "None", as the CLI does.
    titled = _text_width(str(section.title)) + _BORDER
    return max(titled, cells) + 2 * section.indent


def _table_width(sections: list[_Section]) -> int:
    return max(_section_width(section) for section in sections)


def _fit_widths(natural: list[int], total: int) -> list[int]:
    """Scale padded column widths to add up to ``total``.

    Each width is scaled and rounded (half to even); the rounding error is then spread one
    column at a time, taken from the left columns or given to the right ones first.
    """
    if not natural:
        return []
    padded = [width + _PADDING for width in natural]
    factor = total / float(sum(padded))
    fitted = [int(round(factor * width)) for width in padded]
    error = sum(fitted) - total
    count = len(fitted)
    rounds, extra = divmod(abs(error), count)
    order = range(count) if error > 0 else range(count - 1, -1, -1)
    step = -1 if error > 0 else 1
    for position, index in enumerate(order):
        fitted[index] += step * (rounds + (1 if position < extra else 0))
    return fitted


# --- building sections ----------------------------------------------------------------


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def _widen(section: _Section, cells: list[str]) -> None:
    widths = [_text_width(cell) for cell in cells]
    if not section.widths:
        section.widths = widths
        return
    if len(widths) > len(section.widths):
        raise RenderError("list index out of range")
    for index, width in enumerate(widths):
        section.widths[index] = max(section.widths[index], width)


def _set_headers(section: _Section, headers: list[str]) -> None:
    _widen(section, headers)
    if section.columns is None:
        section.columns = len(headers)
    section.headers = headers


def _add_row(section: _Section, values: list[Any]) -> None:
    if section.columns is None:
        section.columns = len(values)
    if len(values) != section.columns:
        raise RenderError(
            f"Row should have {section.columns} elements, instead it has {len(values)}"
        )
    cells = [str(value) for value in values]
    section.rows.append(cells)
    _widen(section, cells)


def _add_value(sections: list[_Section], title: str | None, value: Any, indent: int) -> None:
    """Add ``value`` in a new section titled ``title``, or in the current one if None."""
    if not value:
        return
    if title is not None:
        sections.append(_Section(title, indent))
    if isinstance(value, dict):
        _add_dict(sections, value, indent)
    elif isinstance(value, list):
        if isinstance(value[0], dict):
            _add_dict_list(sections, value, title, indent)
        else:
            _add_plain_list(sections, value)


def _add_plain_list(sections: list[_Section], items: list) -> None:
    for item in items:
        if _is_scalar(item):
            _add_row(sections[-1], [item])
        elif all(_is_scalar(element) for element in item):
            # A dict item here contributes its keys, as iterating it does.
            _add_row(sections[-1], list(item))
        else:
            # Deeper lists go into the current section, back at indent level 0.
            _add_value(sections, None, item, 0)


def _split_keys(item: dict) -> tuple[list[str], list[str]]:
    """Sorted scalar-valued keys and sorted nested-valued keys."""
    scalar = sorted(key for key, value in item.items() if _is_scalar(value))
    nested = sorted(key for key, value in item.items() if not _is_scalar(value))
    return scalar, nested


def _add_dict(sections: list[_Section], item: dict, indent: int) -> None:
    section = sections[-1]
    scalar, nested = _split_keys(item)
    if len(scalar) == 1:
        _add_row(section, [scalar[0], item[scalar[0]]])
    elif scalar:
        _set_headers(section, scalar)
        _add_row(section, [item[key] for key in scalar])
    for key in nested:
        _add_value(sections, key, item[key], indent + 1)


def _unreadable(item: Any) -> RenderError:
    """The error the CLI fails with when reading the keys of a non-dict list item.

    Best effort: the messages are Python 3.11's for the common shapes.
    """
    if isinstance(item, str):
        return RenderError("string indices must be integers, not 'str'")
    if isinstance(item, list):
        return RenderError(f"list indices must be integers or slices, not {type(item[0]).__name__}")
    return RenderError(f"'{type(item).__name__}' object is not iterable")


def _add_dict_list(sections: list[_Section], items: list, title: str | None, indent: int) -> None:
    scalar: set[str] = set()
    nested: set[str] = set()
    for item in items:
        if isinstance(item, dict):
            item_scalar, item_nested = _split_keys(item)
            scalar.update(item_scalar)
            nested.update(item_nested)
        elif not (isinstance(item, (str, list)) and not item):
            # Only an empty string or list has no keys to read and gets through.
            raise _unreadable(item)
    headers, nested_keys = sorted(scalar), sorted(nested)
    _set_headers(sections[-1], headers)
    for position, item in enumerate(items):
        if position and nested_keys:
            # Items with nested values each get their own header section, so that their
            # nested sections follow them.
            sections.append(_Section(title, indent))
            _set_headers(sections[-1], headers)
        if not isinstance(item, dict):
            if headers:
                raise RenderError(f"'{type(item).__name__}' object has no attribute 'get'")
            _add_row(sections[-1], [])
            continue
        _add_row(sections[-1], [item.get(key, "") for key in headers])
        for key in nested_keys:
            if key in item:
                _add_value(sections, key, item[key], indent + 1)


def _vertical(section: _Section) -> _Section:
    """Turn a header + single-row section into ``header | value`` rows."""
    if len(section.rows) != 1 or not section.headers:
        return section
    flipped = _Section(section.title, section.indent)
    # A header row longer than the value row is cut short, as the CLI's zip does.
    for header, value in zip(section.headers, section.rows[0], strict=False):
        _add_row(flipped, [header, value])
    return flipped


# --- drawing --------------------------------------------------------------------------


def _plain(text: str) -> str:
    return text


def _style_value(text: str) -> str:
    return _VALUE_STYLE + text + _RESET


def _center(text: str, width: int, left: str, right: str) -> str:
    """``text`` centred in a cell ``width`` columns wide, edges included."""
    size = _text_width(text)
    before = width // 2 - size // 2 - 1
    after = width - len(right) - (len(left) + before + size)
    return left + " " * before + text + " " * after + right


def _align_left(text: str, size: int, width: int, left: str, right: str) -> str:
    """``text`` (``size`` columns once displayed) left-aligned after two spaces of padding."""
    # Padding is dropped when the text alone already fills the cell.
    pad = 2 if width - (size + 2 + len(left) + len(right)) >= 0 else 0
    after = width - (len(left) + pad + size) - len(right)
    return left + " " * pad + text + " " * after + right


def _rule(widths: list[int]) -> str:
    """A ``+----+-----+`` separator for the given column widths."""
    first, *rest = widths
    return "+" + "-" * (first - 2) + "+" + "".join("-" * (width - 1) + "+" for width in rest)


def _join_cells(draw: Callable[[str, int, str], str], widths: list[int], cells: list[str]) -> str:
    """One line of cells; only the first cell draws a left edge."""
    # Ragged rows are cut to the shorter of the two, as the CLI's zip does.
    pairs = zip(widths, cells, strict=False)
    return "".join(
        draw(cell, width, "|" if i == 0 else "") for i, (width, cell) in enumerate(pairs)
    )


def _section_lines(section: _Section, width: int, style: Callable[[str], str]) -> list[str]:
    """The lines of one section, ``width`` columns wide, before indentation."""
    lines: list[str] = []
    if section.title:
        lines.append(_center(section.title, width, "|", "|"))
        if not section.headers and not section.rows:
            lines.append("+" + "-" * (width - 2) + "+")
    widths = _fit_widths(section.widths, width)

    def header_cell(text: str, column: int, left: str) -> str:
        return _center(text, column, left, "|")

    def value_cell(text: str, column: int, left: str) -> str:
        # Colour codes take no room: align on the plain text's width.
        return _align_left(style(text), _text_width(text), column, left, "|")

    if section.headers:
        lines.append(_rule(widths))
        lines.append(_join_cells(header_cell, widths, section.headers))
    if section.rows and widths:
        lines.append(_rule(widths))
        lines.extend(_join_cells(value_cell, widths, row) for row in section.rows)
        lines.append(_rule(widths))
    return lines


def _assemble(total: int, lines: list[tuple[int, str]], color: bool, autoreset: bool) -> str:
    """Join the top border and the indented lines.

    With colour, the CLI's output stream appends a reset code after every write, and each
    line is written in four pieces (left pipes, body, right pipes, newline); the resets
    are reproduced piece by piece.
    """
    top = "-" * total + "\n"
    if not color:
        return top + "".join("|" * indent + body + "|" * indent + "\n" for indent, body in lines)
    pieces = [top]
    for indent, body in lines:
        pipes = _INDENT_PIPE * indent
        pieces.extend((pipes, body, pipes, "\n"))
    return "".join(piece + _RESET if autoreset else piece for piece in pieces)
