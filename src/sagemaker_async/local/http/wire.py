"""The request and response values passed between the HTTP front and the service handlers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    method: str
    raw_path: str  # as sent, still percent-encoded
    raw_query: str
    headers: Any  # email.message.Message: get()/get_all(), case-insensitive
    body: Any  # LengthReader | ChunkedReader (read(n), drain(limit))
    host_bucket: str | None = None  # from a bucket.localhost virtual host
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16].upper())


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    stream: Any = None  # file object to copy ``stream_length`` bytes from, then close
    stream_length: int = 0
    close: bool = False  # close the connection afterwards (unread request body)
