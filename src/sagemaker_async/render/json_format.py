"""``--output json``: four-space indent, key order kept, non-ASCII written raw."""

from __future__ import annotations

import json

TYPE_CHECKING = False  # typing costs start-up time; mypy reads this as typing.TYPE_CHECKING
if TYPE_CHECKING:
    from typing import Any


def _iso_default(value: Any) -> str:
    """Encode datetimes the way the CLI does (ISO 8601); anything else is an error."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def format_json(data: Any) -> str:
    """Render ``data`` as the CLI's JSON formatter does."""
    # The CLI prints nothing for an empty object (operations with no output members),
    # while every other value, even ``[]``, ``""`` or ``null``, is printed.
    if isinstance(data, dict) and not data:
        return ""
    return json.dumps(data, indent=4, ensure_ascii=False, default=_iso_default) + "\n"
