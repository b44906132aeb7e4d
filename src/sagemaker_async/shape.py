"""Response → the data to print: drop ResponseMetadata, apply --query (once, for every format)."""

from __future__ import annotations

from typing import Any


def shape_response(response: dict[str, Any], compiled_query: Any = None) -> Any:
    data = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    if compiled_query is not None:
        return compiled_query.search(data)
    return data
