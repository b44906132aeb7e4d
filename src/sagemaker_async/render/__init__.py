"""Output renderers: the exact text AWS CLI v2 writes for each ``--output`` format.

Every renderer is a pure function from already-shaped data (``ResponseMetadata`` removed,
``--query`` applied) to a string; nothing here writes to a stream or imports botocore.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs start-up time; mypy reads this as typing.TYPE_CHECKING
if TYPE_CHECKING:
    from typing import Any


FORMATS = ("json", "text", "table", "yaml", "yaml-stream", "off")


class RenderError(ValueError):
    """Data the AWS CLI itself cannot render (it fails with rc 255 and this message)."""


def format_output(
    data: Any,
    fmt: str,
    *,
    title: str = "",
    color: bool = False,
    width: int = 80,
    autoreset: bool = True,
) -> str:
    """Return what ``aws … --output fmt`` prints for ``data``.

    ``title`` is the table title (the operation name, or ``error``), ``width`` the terminal
    width the table must fit in, and ``color`` is ``--color on`` (only tables are coloured;
    ``autoreset`` False for stderr, where no reset code follows each write).
    """
    # Each renderer is imported on first use: json and yaml cost start-up time otherwise.
    if fmt == "json":
        from .json_format import format_json

        return format_json(data)
    if fmt == "text":
        from .text import format_text

        return format_text(data)
    if fmt == "table":
        from .table import format_table

        return format_table(data, title=title, color=color, width=width, autoreset=autoreset)
    if fmt == "yaml":
        from .yaml_format import format_yaml

        return format_yaml(data)
    if fmt == "yaml-stream":
        from .yaml_format import format_yaml_stream

        return format_yaml_stream(data)
    if fmt == "off":
        return ""
    raise ValueError(f"Unknown output type: {fmt}")
