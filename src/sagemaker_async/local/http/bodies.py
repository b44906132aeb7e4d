"""Request body readers: Content-Length, HTTP/1.1 chunked transfer, and S3's aws-chunked
content encoding (unsigned with a checksum trailer, or with per-chunk and trailer signatures).

The transfer readers start the body lazily: a client that sent ``Expect: 100-continue`` is told
to continue only when a handler first reads (after the signature was checked), so a refused
request never makes the client send its body. A stalled body ends in S3's ``RequestTimeout``.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import TYPE_CHECKING

from sagemaker_async.local.http import sigv4

if TYPE_CHECKING:
    from _hashlib import HASH

MAX_CHUNK_HEADER = 4096
MIN_BODY_RATE = 8 * 1024  # bytes/s, on average, once a body has had its grace period
REQUEST_TIMEOUT = (
    "Your socket connection to the server was not read from or written to within the timeout "
    "period. Idle connections will be closed."
)


class BodyError(Exception):
    """A malformed or truncated body; ``code`` is the S3 error code to answer with."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class _Started:
    """Calls ``on_start`` (send ``100 Continue``) before the first byte is read, and ends a
    body that trickles in: after ``grace`` seconds it must average ``MIN_BODY_RATE``."""

    def __init__(self, rfile, on_start=None, grace: float = 60.0):
        self.rfile = rfile
        self.on_start = on_start
        self.grace = grace
        self.started = False
        self.start = 0.0
        self.received = 0

    def _raw_read(self, size: int) -> bytes:
        if not self.started:
            self.started = True
            self.start = time.monotonic()
            if self.on_start is not None:
                self.on_start()
        if time.monotonic() - self.start > self.grace + self.received / MIN_BODY_RATE:
            raise BodyError("RequestTimeout", REQUEST_TIMEOUT)
        try:
            data = self.rfile.read1(size)  # what has arrived: the rate is checked per read
        except TimeoutError:
            raise BodyError("RequestTimeout", REQUEST_TIMEOUT) from None
        self.received += len(data)
        return data

    def _raw_read_exact(self, size: int) -> bytes:
        out = b""
        while len(out) < size:
            data = self._raw_read(size - len(out))
            if not data:
                break
            out += data
        return out

    def _raw_readline(self, limit: int) -> bytes:
        if not self.started:
            self._raw_read(0)
        try:
            return self.rfile.readline(limit)
        except TimeoutError:
            raise BodyError("RequestTimeout", REQUEST_TIMEOUT) from None


class LengthReader(_Started):
    def __init__(self, rfile, length: int, on_start=None, grace: float = 60.0):
        super().__init__(rfile, on_start, grace)
        self.length = length
        self.remaining = length

    @property
    def complete(self) -> bool:
        return self.remaining <= 0

    def read(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        if size < 0 or size > self.remaining:
            size = self.remaining
        data = self._raw_read(size)
        if not data:
            raise BodyError(
                "IncompleteBody",
                "You did not provide the number of bytes specified by the Content-Length "
                "HTTP header",
            )
        self.remaining -= len(data)
        return data

    def drain(self, limit: int) -> bool:
        """Read and drop what is left, up to ``limit`` bytes; False if more remained."""
        if self.remaining > limit:
            return False
        while self.remaining > 0:
            self.read(1 << 16)
        return True


class ChunkedReader(_Started):
    """HTTP/1.1 ``Transfer-Encoding: chunked``."""

    length = None  # not declared up front

    def __init__(self, rfile, on_start=None, grace: float = 60.0):
        super().__init__(rfile, on_start, grace)
        self.left = 0
        self.done = False

    @property
    def complete(self) -> bool:
        return self.done

    def _next_chunk(self) -> None:
        line = self._raw_readline(MAX_CHUNK_HEADER)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise BodyError("IncompleteBody", "Malformed chunked transfer encoding") from None
        if size == 0:
            while True:  # trailer section up to the empty line
                line = self._raw_readline(MAX_CHUNK_HEADER)
                if line in (b"\r\n", b"\n", b""):
                    break
            self.done = True
        self.left = size

    def read(self, size: int = -1) -> bytes:
        out = bytearray()
        while not self.done and (size < 0 or len(out) < size):
            if self.left == 0:
                self._next_chunk()
                continue
            want = self.left if size < 0 else min(self.left, size - len(out))
            data = self._raw_read(want)
            if not data:
                raise BodyError("IncompleteBody", "The request body ended early")
            out += data
            self.left -= len(data)
            if self.left == 0 and self._raw_read_exact(2) != b"\r\n":
                raise BodyError("IncompleteBody", "Malformed chunked transfer encoding")
        return bytes(out)

    def drain(self, limit: int) -> bool:
        total = 0
        while not self.done:
            total += len(self.read(1 << 16))
            if total > limit:
                return False
        return True


class AwsChunkedReader:
    """Decodes ``Content-Encoding: aws-chunked``: ``hex-size[;chunk-signature=sig]\\r\\n``
    data ``\\r\\n`` … ``0\\r\\n`` trailers ``\\r\\n``. Verifies chunk and trailer signatures
    when the payload is signed; collects trailer headers in :attr:`trailers`.
    """

    def __init__(self, raw, signed: sigv4.SignedRequest | None, has_trailer: bool):
        self.raw = raw
        self.signed = signed
        self.has_trailer = has_trailer
        self.previous = signed.signature if signed else ""
        self.trailers: dict[str, str] = {}
        self.left = 0
        self.done = False
        self._chunk_hash: HASH | None = None  # sha256 of the current chunk, signed bodies only
        self._chunk_signature = ""

    def _readline(self) -> bytes:
        line = bytearray()
        while not line.endswith(b"\n"):
            byte = self.raw.read(1)
            if not byte:
                raise BodyError("IncompleteBody", "The aws-chunked body ended early")
            line += byte
            if len(line) > MAX_CHUNK_HEADER:
                raise BodyError("InvalidRequest", "Malformed aws-chunked chunk header")
        return bytes(line)

    def _read_exact(self, size: int) -> bytes:
        out = bytearray()
        while len(out) < size:
            data = self.raw.read(size - len(out))
            if not data:
                raise BodyError("IncompleteBody", "The aws-chunked body ended early")
            out += data
        return bytes(out)

    def _start_chunk(self) -> None:
        header = self._readline().strip()
        size_text, _, ext = header.partition(b";")
        try:
            size = int(size_text, 16)
        except ValueError:
            raise BodyError("InvalidRequest", "Malformed aws-chunked chunk header") from None
        if self.signed is not None:
            name, _, value = ext.partition(b"=")
            if name.strip() != b"chunk-signature" or not value:
                raise BodyError("SignatureDoesNotMatch", "Missing chunk signature", 403)
            self._chunk_signature = value.strip().decode("ascii", "replace")
            self._chunk_hash = hashlib.sha256()
        self.left = size
        if size == 0:
            self._end_chunk()
            self._finish()

    def _end_chunk(self) -> None:
        if self.signed is None:
            return
        # _start_chunk sets the hash of every chunk of a signed body before it ends
        assert self._chunk_hash is not None
        string_to_sign = sigv4.chunk_string_to_sign(
            self.signed, self.previous, self._chunk_hash.hexdigest()
        )
        expected = sigv4.sign(self.signed.signing_key, string_to_sign)
        if not hmac.compare_digest(expected, self._chunk_signature):
            raise BodyError(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you "
                "provided. Check your key and signing method.",
                403,
            )
        self.previous = expected

    def _finish(self) -> None:
        raw_trailer = b""
        while True:
            line = self._readline()
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "x-amz-trailer-signature":
                self._check_trailer_signature(raw_trailer, value.strip())
            else:
                raw_trailer += f"{name}:{value.strip()}\n".encode("latin-1")
                self.trailers[name] = value.strip()
        self.done = True

    def _check_trailer_signature(self, raw_trailer: bytes, signature: str) -> None:
        if self.signed is None:
            return
        string_to_sign = sigv4.trailer_string_to_sign(self.signed, self.previous, raw_trailer)
        expected = sigv4.sign(self.signed.signing_key, string_to_sign)
        if not hmac.compare_digest(expected, signature):
            raise BodyError(
                "SignatureDoesNotMatch",
                "The trailer signature we calculated does not match the signature you provided.",
                403,
            )

    def read(self, size: int = -1) -> bytes:
        out = bytearray()
        while not self.done and (size < 0 or len(out) < size):
            if self.left == 0:
                self._start_chunk()
                continue
            want = self.left if size < 0 else min(self.left, size - len(out))
            data = self.raw.read(want)
            if not data:
                raise BodyError("IncompleteBody", "The aws-chunked body ended early")
            if self._chunk_hash is not None:
                self._chunk_hash.update(data)
            out += data
            self.left -= len(data)
            if self.left == 0:
                if self._read_exact(2) != b"\r\n":
                    raise BodyError("InvalidRequest", "Malformed aws-chunked chunk")
                self._end_chunk()
        return bytes(out)
