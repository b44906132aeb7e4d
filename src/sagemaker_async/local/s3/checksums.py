"""S3 flexible checksums (x-amz-checksum-*): CRC32, CRC32C, CRC64NVME, MD5, SHA1, SHA256, SHA512.
The XXHASH ones S3 also knows need a library outside the stdlib: ``serve`` refuses them (501).

CRC32 and the SHAs come from the stdlib; CRC32C and CRC64NVME are table-driven pure Python
(about 5-10 MB/s: fine for a local endpoint, slow for gigabyte uploads).
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Callable
from typing import Protocol


class Hasher(Protocol):
    """What every algorithm's object offers: the stdlib hashes and the CRCs below."""

    def update(self, data: bytes, /) -> None: ...

    def digest(self) -> bytes: ...


def _table(poly: int) -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC32C_TABLE = _table(0x82F63B78)
_CRC64NVME_TABLE = _table(0x9A6C9329AC4BC9B5)


class _Crc:
    size = 4
    mask = 0xFFFFFFFF
    table: list[int] = []

    def __init__(self) -> None:
        self.crc = self.mask

    def update(self, data: bytes) -> None:
        crc, table = self.crc, self.table
        for byte in data:
            crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
        self.crc = crc

    def digest(self) -> bytes:
        return (self.crc ^ self.mask).to_bytes(self.size, "big")


class Crc32c(_Crc):
    table = _CRC32C_TABLE


class Crc64Nvme(_Crc):
    size = 8
    mask = 0xFFFFFFFFFFFFFFFF
    table = _CRC64NVME_TABLE


class Crc32:
    def __init__(self) -> None:
        self.crc = 0

    def update(self, data: bytes) -> None:
        self.crc = zlib.crc32(data, self.crc)

    def digest(self) -> bytes:
        return self.crc.to_bytes(4, "big")


ALGORITHMS: dict[str, Callable[[], Hasher]] = {
    "crc32": Crc32,
    "crc32c": Crc32c,
    "crc64nvme": Crc64Nvme,
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha512": hashlib.sha512,
    "md5": hashlib.md5,
}
NOT_IMPLEMENTED = ("xxhash64", "xxhash3", "xxhash128")
HEADERS = {f"x-amz-checksum-{name}": name for name in ALGORITHMS}


def new(algorithm: str) -> Hasher:
    return ALGORITHMS[algorithm.lower()]()


def encode(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def compute(algorithm: str, data: bytes) -> str:
    hasher = new(algorithm)
    hasher.update(data)
    return encode(hasher.digest())
