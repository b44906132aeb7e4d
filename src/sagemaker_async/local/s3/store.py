"""Buckets and objects on disk under ``DATA_DIR/s3``.

Layout (no user-chosen string is ever joined to a path except a validated bucket name)::

    s3/tmp/                                 temp files, same filesystem, cleared at start
    s3/buckets/<bucket>/bucket.json         creation time
    s3/buckets/<bucket>/objects/<hh>/<sha256(key)>   data + JSON trailer + 8-byte trailer length
    s3/buckets/<bucket>/uploads/<upload-id>/upload.json, part-00001 …   (multipart, same format)

Each object is one file whose trailer holds its key and metadata, written to ``tmp/`` and
moved into place with ``os.replace``: a reader sees the old object or the new one, never half.
A sorted in-memory key index per bucket (rebuilt from the trailers on first use) serves listings.
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import hashlib
import json
import os
import re
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field, fields
from pathlib import Path

from sagemaker_async.local.s3 import checksums

_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_RE = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
_UPLOAD_ID_RE = re.compile(r"^[0-9a-f]{32}$")
_TRAILER_LEN = 8
MAX_KEY_BYTES = 1024
MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_NUMBER = 10000


class StoreError(Exception):
    """An S3-level error: ``code`` is the S3 error code, ``status`` its HTTP status."""

    def __init__(self, code: str, message: str, status: int, **extra: str):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra


def no_such_bucket(bucket: str) -> StoreError:
    return StoreError("NoSuchBucket", "The specified bucket does not exist", 404, BucketName=bucket)


def no_such_key(key: str) -> StoreError:
    return StoreError("NoSuchKey", "The specified key does not exist.", 404, Key=key)


def no_such_upload(upload_id: str) -> StoreError:
    return StoreError(
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload "
        "may have been aborted or completed.",
        404,
        UploadId=upload_id,
    )


def validate_bucket_name(name: str) -> None:
    if not _BUCKET_RE.match(name) or ".." in name or _IP_RE.match(name):
        raise StoreError(
            "InvalidBucketName", "The specified bucket is not valid.", 400, BucketName=name
        )


def validate_key(key: str) -> None:
    """Keys are hashed to file names, so this only refuses names no client should send."""
    if not key or len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise StoreError("KeyTooLongError", "Your key is too long", 400)
    if "\x00" in key or any(seg in (".", "..") for seg in key.split("/")):
        raise StoreError("InvalidArgument", "Invalid object key", 400, ArgumentName="key")


@dataclass
class ObjectInfo:
    key: str
    size: int
    etag: str  # quoted, as S3 returns it
    last_modified: float
    headers: dict[str, str] = field(default_factory=dict)  # content-type, x-amz-meta-* …
    checksum: dict[str, str] = field(default_factory=dict)  # algorithm -> base64 value
    parts: int = 0
    part_sizes: list[int] = field(default_factory=list)  # multipart objects: each part's size
    checksum_type: str = "FULL_OBJECT"  # or COMPOSITE: a checksum of the parts' checksums

    def to_json(self) -> dict:
        return {
            "key": self.key,
            "size": self.size,
            "etag": self.etag,
            "last_modified": self.last_modified,
            "headers": self.headers,
            "checksum": self.checksum,
            "parts": self.parts,
            "part_sizes": self.part_sizes,
            "checksum_type": self.checksum_type,
        }

    @classmethod
    def from_json(cls, data: dict) -> ObjectInfo:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def part_range(self, number: int) -> tuple[int, int]:
        """Inclusive byte range of part ``number`` (a non-multipart object is one part)."""
        sizes = self.part_sizes or [self.size]
        start = sum(sizes[: number - 1])
        return start, start + sizes[number - 1] - 1


@dataclass(frozen=True)
class Condition:
    """A conditional write: ``If-None-Match: *`` and/or ``If-Match: etag``, checked atomically
    with the write (S3's 412 PreconditionFailed, or 404 NoSuchKey for If-Match)."""

    if_none_match: bool = False
    if_match: str | None = None

    def check(self, current: ObjectInfo | None, key: str) -> None:
        if self.if_none_match and current is not None:
            raise precondition_failed("If-None-Match")
        if self.if_match is not None:
            if current is None:
                raise no_such_key(key)
            if not etag_matches(self.if_match, current.etag):
                raise precondition_failed("If-Match")


def etag_matches(header: str, etag: str) -> bool:
    return any(t.strip() in ("*", etag, etag.strip('"')) for t in header.split(","))


def precondition_failed(condition: str) -> StoreError:
    return StoreError(
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        412,
        Condition=condition,
    )


def _read_trailer(fh) -> ObjectInfo:
    fh.seek(-_TRAILER_LEN, os.SEEK_END)
    length = int.from_bytes(fh.read(_TRAILER_LEN), "big")
    fh.seek(-_TRAILER_LEN - length, os.SEEK_END)
    info = ObjectInfo.from_json(json.loads(fh.read(length)))
    fh.seek(0)
    return info


class ObjectWriter:
    """Streams an object's data into a temp file; :meth:`S3Store.commit` moves it into place."""

    def __init__(self, path: Path, fsync: bool):
        self.path = path
        self.fsync = fsync
        self.fh = open(path, "wb")  # noqa: SIM115 - closed by finish()/discard()
        self.md5 = hashlib.md5()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.fh.write(data)
        self.md5.update(data)
        self.size += len(data)

    def copy_from(
        self, fh, start: int, length: int, hasher=None, *, truncated: str = "Part file truncated"
    ) -> None:
        """Append ``length`` bytes of ``fh`` from ``start`` (also into ``hasher``); a file that
        ends early is an InternalError with the ``truncated`` message."""
        fh.seek(start)
        remaining = length
        while remaining:
            data = fh.read(min(remaining, 1 << 20))
            if not data:
                raise StoreError("InternalError", truncated, 500)
            self.write(data)
            if hasher is not None:
                hasher.update(data)
            remaining -= len(data)

    def finish(self, info: ObjectInfo) -> None:
        trailer = json.dumps(info.to_json(), separators=(",", ":")).encode("utf-8")
        self.fh.write(trailer)
        self.fh.write(len(trailer).to_bytes(_TRAILER_LEN, "big"))
        self.fh.flush()
        if self.fsync:
            os.fsync(self.fh.fileno())
        self.fh.close()

    def discard(self) -> None:
        if not self.fh.closed:
            self.fh.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


class S3Store:
    def __init__(self, root: Path, fsync: bool = True):
        self.root = root
        self.buckets_dir = root / "buckets"
        self.tmp_dir = root / "tmp"
        self.fsync = fsync
        self._lock = threading.Lock()
        self._index: dict[str, tuple[list[str], dict[str, ObjectInfo]]] = {}
        self.buckets_dir.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.tmp_dir, ignore_errors=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)

    # -- buckets ---------------------------------------------------------------------------
    def _bucket_dir(self, bucket: str) -> Path:
        validate_bucket_name(bucket)
        return self.buckets_dir / bucket

    def bucket_exists(self, bucket: str) -> bool:
        return (self._bucket_dir(bucket) / "bucket.json").is_file()

    def _require_bucket(self, bucket: str) -> Path:
        path = self._bucket_dir(bucket)
        if not (path / "bucket.json").is_file():
            raise no_such_bucket(bucket)
        return path

    def create_bucket(self, bucket: str) -> bool:
        """Create the bucket; False if it already existed."""
        path = self._bucket_dir(bucket)
        with self._lock:
            if (path / "bucket.json").is_file():
                return False
            (path / "objects").mkdir(parents=True, exist_ok=True)
            (path / "uploads").mkdir(exist_ok=True)
            self._atomic_write(path / "bucket.json", json.dumps({"created": time.time()}))
            self._index[bucket] = ([], {})
            return True

    def delete_bucket(self, bucket: str) -> None:
        path = self._require_bucket(bucket)
        keys, _ = self._bucket_index(bucket)
        if keys:
            raise StoreError(
                "BucketNotEmpty",
                "The bucket you tried to delete is not empty",
                409,
                BucketName=bucket,
            )
        with self._lock:
            os.unlink(path / "bucket.json")
            shutil.rmtree(path, ignore_errors=True)
            self._index.pop(bucket, None)

    def list_buckets(self) -> list[tuple[str, float]]:
        out = []
        for entry in sorted(os.scandir(self.buckets_dir), key=lambda e: e.name):
            try:
                with open(os.path.join(entry.path, "bucket.json")) as fh:
                    out.append((entry.name, json.load(fh)["created"]))
            except (OSError, ValueError, KeyError):
                continue
        return out

    # -- objects ---------------------------------------------------------------------------
    def _object_path(self, bucket_dir: Path, key: str) -> Path:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return bucket_dir / "objects" / digest[:2] / digest

    def new_writer(self) -> ObjectWriter:
        return ObjectWriter(self.tmp_dir / uuid.uuid4().hex, self.fsync)

    def commit(
        self,
        writer: ObjectWriter,
        bucket: str,
        key: str,
        info: ObjectInfo,
        condition: Condition | None = None,
    ) -> ObjectInfo:
        """Finish ``writer`` and make it visible as ``bucket/key`` in one ``os.replace``
        (after checking ``condition`` against the current object, under the same lock)."""
        validate_key(key)
        try:
            bucket_dir = self._require_bucket(bucket)
            info.key = key
            info.size = writer.size
            if not info.etag:
                info.etag = f'"{writer.md5.hexdigest()}"'
            info.last_modified = time.time()
            writer.finish(info)
            target = self._object_path(bucket_dir, key)
            target.parent.mkdir(exist_ok=True)
            with self._lock:
                if condition is not None:
                    condition.check(self._current(target), key)
                os.replace(writer.path, target)
                self._index_add(bucket, info)
            return info
        except BaseException:
            writer.discard()
            raise

    @staticmethod
    def _current(path: Path) -> ObjectInfo | None:
        try:
            with open(path, "rb") as fh:
                return _read_trailer(fh)
        except FileNotFoundError:
            return None

    def current(self, bucket: str, key: str) -> ObjectInfo | None:
        """The object's metadata, or None if there is none."""
        validate_key(key)
        return self._current(self._object_path(self._require_bucket(bucket), key))

    def put_bytes(
        self, bucket: str, key: str, data: bytes, headers: dict[str, str] | None = None
    ) -> ObjectInfo:
        validate_key(key)
        writer = self.new_writer()
        writer.write(data)
        return self.commit(writer, bucket, key, ObjectInfo(key, 0, "", 0.0, headers or {}))

    def open_object(self, bucket: str, key: str):
        """Return ``(info, file)``; the file is positioned at the first data byte."""
        validate_key(key)
        path = self._object_path(self._require_bucket(bucket), key)
        try:
            fh = open(path, "rb")  # noqa: SIM115 - the caller closes it
        except FileNotFoundError:
            raise no_such_key(key) from None
        try:
            return _read_trailer(fh), fh
        except BaseException:
            fh.close()
            raise

    def head_object(self, bucket: str, key: str) -> ObjectInfo:
        info, fh = self.open_object(bucket, key)
        fh.close()
        return info

    def read_bytes(self, bucket: str, key: str) -> tuple[ObjectInfo, bytes]:
        info, fh = self.open_object(bucket, key)
        with fh:
            return info, fh.read(info.size)

    def exists(self, bucket: str, key: str) -> bool:
        try:
            return self._object_path(self._require_bucket(bucket), key).is_file()
        except StoreError:
            return False

    def delete_object(self, bucket: str, key: str, condition: Condition | None = None) -> None:
        validate_key(key)
        path = self._object_path(self._require_bucket(bucket), key)
        with self._lock:
            if condition is not None:
                condition.check(self._current(path), key)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            self._index_remove(bucket, key)

    # -- listing ---------------------------------------------------------------------------
    def _bucket_index(self, bucket: str) -> tuple[list[str], dict[str, ObjectInfo]]:
        bucket_dir = self._require_bucket(bucket)
        with self._lock:
            index = self._index.get(bucket)
            if index is None:
                infos: dict[str, ObjectInfo] = {}
                for root, _dirs, files in os.walk(bucket_dir / "objects"):
                    for name in files:
                        try:
                            with open(os.path.join(root, name), "rb") as fh:
                                info = _read_trailer(fh)
                        except (OSError, ValueError):
                            continue
                        infos[info.key] = info
                index = (sorted(infos), infos)
                self._index[bucket] = index
            return index

    def _index_add(self, bucket: str, info: ObjectInfo) -> None:
        index = self._index.get(bucket)
        if index is None:
            return  # built from disk on first listing
        keys, infos = index
        if info.key not in infos:
            bisect.insort(keys, info.key)
        infos[info.key] = info

    def _index_remove(self, bucket: str, key: str) -> None:
        index = self._index.get(bucket)
        if index is None:
            return
        keys, infos = index
        if infos.pop(key, None) is not None:
            del keys[bisect.bisect_left(keys, key)]

    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str = "",
        after: str = "",
        max_keys: int = 1000,
    ) -> tuple[list[ObjectInfo], list[str], bool, str]:
        """Return ``(objects, common_prefixes, truncated, last_returned)`` for keys > ``after``."""
        keys, infos = self._bucket_index(bucket)
        with self._lock:
            start = bisect.bisect_right(keys, after) if after else 0
            start = max(start, bisect.bisect_left(keys, prefix))
            snapshot = keys[start:]
        objects: list[ObjectInfo] = []
        prefixes: list[str] = []
        last = ""
        i = 0
        while i < len(snapshot):
            key = snapshot[i]
            if not key.startswith(prefix):
                break
            if len(objects) + len(prefixes) >= max_keys:
                return objects, prefixes, True, last
            if delimiter:
                pos = key.find(delimiter, len(prefix))
                if pos >= 0:
                    common = key[: pos + len(delimiter)]
                    prefixes.append(common)
                    last = common
                    # skip every key under this common prefix
                    while i < len(snapshot) and snapshot[i].startswith(common):
                        i += 1
                    continue
            info = infos.get(key)
            if info is not None:
                objects.append(info)
            last = key
            i += 1
        return objects, prefixes, False, last

    # -- multipart -------------------------------------------------------------------------
    def _upload_dir(self, bucket: str, upload_id: str) -> Path:
        bucket_dir = self._require_bucket(bucket)
        if not _UPLOAD_ID_RE.match(upload_id):
            raise no_such_upload(upload_id)
        path = bucket_dir / "uploads" / upload_id
        if not (path / "upload.json").is_file():
            raise no_such_upload(upload_id)
        return path

    def create_upload(
        self,
        bucket: str,
        key: str,
        headers: dict[str, str],
        checksum_algorithm: str | None,
        checksum_type: str | None = None,
    ) -> str:
        validate_key(key)
        bucket_dir = self._require_bucket(bucket)
        upload_id = uuid.uuid4().hex
        path = bucket_dir / "uploads" / upload_id
        path.mkdir(parents=True)
        meta = {
            "key": key,
            "headers": headers,
            "checksum_algorithm": checksum_algorithm,
            "checksum_type": checksum_type,
            "created": time.time(),
        }
        self._atomic_write(path / "upload.json", json.dumps(meta))
        return upload_id

    def upload_meta(self, bucket: str, upload_id: str) -> dict:
        with open(self._upload_dir(bucket, upload_id) / "upload.json") as fh:
            return json.load(fh)

    def commit_part(
        self,
        writer: ObjectWriter,
        bucket: str,
        upload_id: str,
        number: int,
        checksum: dict[str, str],
    ) -> ObjectInfo:
        try:
            path = self._upload_dir(bucket, upload_id)
            info = ObjectInfo(
                str(number), writer.size, f'"{writer.md5.hexdigest()}"', time.time(), {}, checksum
            )
            writer.finish(info)
            os.replace(writer.path, path / f"part-{number:05d}")
            return info
        except BaseException:
            writer.discard()
            raise

    def list_uploads(self, bucket: str) -> list[tuple[str, str, float]]:
        """Every upload in progress as ``(key, upload_id, initiated)``, sorted."""
        uploads_dir = self._require_bucket(bucket) / "uploads"
        out = []
        for entry in os.scandir(uploads_dir):
            try:
                with open(os.path.join(entry.path, "upload.json")) as fh:
                    meta = json.load(fh)
            except (OSError, ValueError):
                continue
            out.append((meta["key"], entry.name, meta.get("created", 0.0)))
        return sorted(out, key=lambda item: (item[0], item[2], item[1]))

    def list_parts(self, bucket: str, upload_id: str) -> list[ObjectInfo]:
        """The parts uploaded so far (``key`` is the part number), in order."""
        path = self._upload_dir(bucket, upload_id)
        parts = []
        for name in sorted(os.listdir(path)):
            if not name.startswith("part-"):
                continue
            try:
                with open(path / name, "rb") as fh:
                    parts.append(_read_trailer(fh))
            except (OSError, ValueError):
                continue
        return parts

    def complete_upload(
        self,
        bucket: str,
        upload_id: str,
        parts: list[tuple[int, str, dict[str, str]]],
        condition: Condition | None = None,
        expected: dict[str, str] | None = None,
    ) -> ObjectInfo:
        """Assemble the listed parts ``(number, etag, {algorithm: checksum})`` into the object.

        With a checksum algorithm, the object's checksum is S3's: COMPOSITE (the checksum of
        the parts' checksums, ``…-N``) or FULL_OBJECT (of the whole data; CRCs only).
        """
        path = self._upload_dir(bucket, upload_id)
        meta = self.upload_meta(bucket, upload_id)
        if not parts:
            raise StoreError(
                "MalformedXML",
                "The XML you provided was not well-formed or did "
                "not validate against our published schema",
                400,
            )
        numbers = [n for n, _, _ in parts]
        if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
            raise StoreError(
                "InvalidPartOrder",
                "The list of parts was not in ascending order. "
                "Parts must be ordered by part number.",
                400,
            )
        algorithm = meta.get("checksum_algorithm")
        checksum_type = meta.get("checksum_type") or "COMPOSITE"
        infos = []
        for number, etag, declared in parts:
            part_path = path / f"part-{number:05d}"
            try:
                with open(part_path, "rb") as fh:
                    info = _read_trailer(fh)
            except FileNotFoundError:
                info = None
            if (
                info is None
                or info.etag.strip('"') != etag.strip('"')
                or any(info.checksum.get(a) != v for a, v in declared.items())
            ):
                raise StoreError(
                    "InvalidPart",
                    "One or more of the specified parts could not "
                    "be found.  The part may not have been uploaded, or the "
                    "specified entity tag may not have matched the part's entity "
                    "tag.",
                    400,
                    PartNumber=str(number),
                    ETag=etag,
                )
            if algorithm and algorithm not in info.checksum:
                raise StoreError(
                    "InvalidRequest",
                    f"The upload was created using a {algorithm.upper()} checksum. The "
                    f"complete request must include the checksum for each part. It was missing "
                    f"for part {number} in the request.",
                    400,
                )
            infos.append((part_path, info))
        for _path, info in infos[:-1]:
            if info.size < MIN_PART_SIZE:
                raise StoreError(
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed object size.",
                    400,
                    ProposedSize=str(info.size),
                    MinSizeAllowed=str(MIN_PART_SIZE),
                )
        if condition is not None:  # fail early; checked again atomically by commit()
            condition.check(self.current(bucket, meta["key"]), meta["key"])
        full = checksums.new(algorithm) if algorithm and checksum_type == "FULL_OBJECT" else None
        writer = self.new_writer()
        digests = b""
        try:
            for part_path, info in infos:
                digests += bytes.fromhex(info.etag.strip('"'))
                with open(part_path, "rb") as fh:
                    writer.copy_from(fh, 0, info.size, full)
        except BaseException:
            writer.discard()
            raise
        checksum: dict[str, str] = {}
        if full is not None and algorithm:
            checksum[algorithm] = checksums.encode(full.digest())
        elif algorithm:
            composite = checksums.new(algorithm)
            for _path, info in infos:
                composite.update(base64.b64decode(info.checksum[algorithm]))
            checksum[algorithm] = f"{checksums.encode(composite.digest())}-{len(infos)}"
        for name, value in (expected or {}).items():  # the client's checksum of the object
            if value.split("-")[0] != checksum.get(name, "").split("-")[0]:
                writer.discard()
                raise StoreError(
                    "BadDigest",
                    f"The {name.upper()} you specified did not match the calculated checksum.",
                    400,
                )
        etag = f'"{hashlib.md5(digests).hexdigest()}-{len(infos)}"'
        info = ObjectInfo(
            meta["key"],
            0,
            etag,
            0.0,
            meta["headers"],
            checksum,
            len(infos),
            [part.size for _path, part in infos],
            checksum_type if algorithm else "FULL_OBJECT",
        )
        result = self.commit(writer, bucket, meta["key"], info, condition)
        shutil.rmtree(path, ignore_errors=True)
        return result

    def abort_upload(self, bucket: str, upload_id: str) -> None:
        shutil.rmtree(self._upload_dir(bucket, upload_id), ignore_errors=True)

    # -- helpers ---------------------------------------------------------------------------
    def _atomic_write(self, target: Path, text: str) -> None:
        tmp = self.tmp_dir / uuid.uuid4().hex
        with open(tmp, "w") as fh:
            fh.write(text)
            fh.flush()
            if self.fsync:
                os.fsync(fh.fileno())
        os.replace(tmp, target)
