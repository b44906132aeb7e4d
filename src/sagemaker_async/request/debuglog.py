"""``--debug``: botocore's DEBUG log on stderr, as the AWS CLI writes it, with secrets removed.

The AWS CLI's debug log shows the signature, the security token header and every header
and body value, including members the model marks sensitive. Ours goes through
:class:`Redactor`, which blanks known secret values and the places botocore puts them.
"""

from __future__ import annotations

import logging
import re
import sys

FORMAT = "%(asctime)s - %(threadName)s - %(name)s - %(levelname)s - %(message)s"
REDACTED = "***"
_LOGGERS = ("botocore", "urllib3", "sagemaker_async")

_PATTERNS = [
    # Authorization header and the signer's own log lines.
    re.compile(r"(Signature=)[0-9a-fA-F]+"),
    re.compile(r"(Signature:\s*)[0-9a-fA-F]{16,}"),
    # Header values given as dict items or as canonical-request lines.
    re.compile(
        r"((?:X-Amz-Security-Token|X-Amzn-SageMaker-Custom-Attributes)['\"]?\s*[:=]\s*b?['\"]?)"
        r"([^'\"\s,}]+)",
        re.IGNORECASE,
    ),
    # The request body in botocore's request-dict logging.
    re.compile(r"('body':\s*b?)('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"),
    re.compile(r"(Request body:\s*b?)('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"),
]


class Redactor(logging.Filter):
    """Replaces secret values (and where botocore prints them) in every record."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add(self, value: object) -> None:
        if isinstance(value, bytes):
            forms = {repr(value)[2:-1], value.decode("utf-8", "replace")}
        elif value is not None:
            forms = {str(value)}
        else:
            return
        self._secrets.update(f for f in forms if len(f) >= 4)

    def redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        return True


def enable(stream=None) -> Redactor:
    redactor = Redactor()
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(redactor)
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    return redactor
