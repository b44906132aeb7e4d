"""Model documentation (HTML fragments) as plain text, for help and skeleton comments."""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"<[^>]+>")
_PARAGRAPH_END = re.compile(r"</p>|<br\s*/?>", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def plain_text(fragment: str) -> str:
    """Tags removed, entities decoded, whitespace collapsed."""
    return _SPACES.sub(" ", html.unescape(_TAG.sub("", fragment))).strip()


def paragraphs(fragment: str) -> list[str]:
    parts = (plain_text(p) for p in _PARAGRAPH_END.split(fragment))
    return [p for p in parts if p]


def first_paragraph(fragment: str) -> str:
    found = paragraphs(fragment)
    return found[0] if found else ""


def first_sentence(fragment: str) -> str:
    """As the AWS CLI's yaml-input skeleton comments: cut at the first '.' or ':', add '.'."""
    text = plain_text(fragment)
    cut = re.split(r"[.:]", text, maxsplit=1)[0].strip()
    return f"{cut}." if cut else ""
