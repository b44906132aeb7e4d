"""Response → the data to print: drop ResponseMetadata, apply --query (once, for every format)."""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs start-up time; mypy reads this as typing.TYPE_CHECKING
if TYPE_CHECKING:
    from typing import Any


def shape_response(response: dict[str, Any], compiled_query: Any = None) -> Any:
    data = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    if compiled_query is not None:
        return compiled_query.search(data)
    return data
