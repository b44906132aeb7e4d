"""The S3 subset real clients need, answered in S3's XML and error codes.

Buckets: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation,
ListObjects (v1 and v2), DeleteObjects. Objects: PutObject, CopyObject, GetObject (one
range), HeadObject, DeleteObject, CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
AbortMultipartUpload. Anything else is 501 NotImplemented.

Payloads are verified while they stream to a temp file: ``x-amz-content-sha256`` (hex,
``UNSIGNED-PAYLOAD`` or the ``STREAMING-*`` aws-chunked forms with chunk/trailer signatures),
``Content-MD5`` and flexible checksums (``x-amz-checksum-*`` header or trailer). A failed check
discards the temp file: nothing is stored.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import hashlib
import hmac
import re
import time
import xml.etree.ElementTree as ET
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape

from sagemaker_async.local.http import sigv4
from sagemaker_async.local.http.bodies import AwsChunkedReader, BodyError
from sagemaker_async.local.http.wire import Request, Response
from sagemaker_async.local.s3 import checksums
from sagemaker_async.local.s3.store import (
    ObjectInfo,
    S3Store,
    StoreError,
    validate_bucket_name,
    validate_key,
)

NS = "http://s3.amazonaws.com/doc/2006-03-01/"
MAX_PUT_BYTES = 5 * 1024**3
MAX_XML_BYTES = 1024 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_STORED_HEADERS = (
    "content-type",
    "content-encoding",
    "content-disposition",
    "cache-control",
    "content-language",
    "expires",
)
_UNSUPPORTED = set(
    [
        "acl",
        "policy",
        "cors",
        "lifecycle",
        "tagging",
        "versioning",
        "versions",
        "website",
        "logging",
        "notification",
        "replication",
        "encryption",
        "object-lock",
        "retention",
        "legal-hold",
        "attributes",
        "torrent",
        "restore",
        "select",
        "accelerate",
        "analytics",
        "inventory",
        "metrics",
        "ownershipControls",
        "publicAccessBlock",
        "requestPayment",
        "intelligent-tiering",
        "policyStatus",
        "uploads",
    ]
)


def S3Error(code: str, message: str, status: int = 400, **extra: str) -> StoreError:
    return StoreError(code, message, status, **extra)


def _auth_error(err: sigv4.AuthError, signature: str = "") -> StoreError:
    if err.reason == sigv4.MISSING:
        return S3Error("AccessDenied", "Access Denied", 403)
    if err.reason == sigv4.UNKNOWN_KEY:
        return S3Error(
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            403,
            AWSAccessKeyId=err.message,
        )
    if err.reason == sigv4.SKEWED:
        return S3Error(
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
            403,
            RequestTime=err.message,
            ServerTime=_iso(time.time()),
            MaxAllowedSkewMilliseconds=str(sigv4.MAX_SKEW_SECONDS * 1000),
        )
    if err.reason == sigv4.EXPIRED:
        return S3Error("AccessDenied", "Request has expired", 403, ServerTime=_iso(time.time()))
    if err.reason == sigv4.BAD_TOKEN:
        return S3Error("InvalidToken", "The provided token is malformed or otherwise invalid.")
    if err.reason == sigv4.BAD_SIGNATURE:
        return S3Error(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
            403,
            StringToSign=err.message,
            SignatureProvided=signature,
        )
    return S3Error("AuthorizationHeaderMalformed", err.message, 400)


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + ".000Z"


def _http_date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


def _xml(root: str, inner: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{NS}">{inner}</{root}>'
    ).encode()


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _tag(name: str, value: object) -> str:
    text = _XML_INVALID.sub("\ufffd", str(value))
    return f"<{name}>{escape(text)}</{name}>"


def error_response(err: StoreError, req: Request, resource: str = "") -> Response:
    headers = {"x-amz-request-id": req.request_id, "x-amz-id-2": req.request_id}
    if req.method == "HEAD":
        return Response(err.status, headers)
    extra = "".join(_tag(k, v) for k, v in err.extra.items())
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error>'
        f"{_tag('Code', err.code)}{_tag('Message', err.message)}{extra}"
        f"{_tag('Resource', resource) if resource else ''}"
        f"{_tag('RequestId', req.request_id)}{_tag('HostId', req.request_id)}</Error>"
    ).encode()
    headers["Content-Type"] = "application/xml"
    return Response(err.status, headers, body)


class Payload:
    """Reads the decoded request body and checks every hash and checksum it declares."""

    def __init__(self, req: Request, signed: sigv4.SignedRequest | None, presigned: bool):
        headers = req.headers
        if req.body is None:
            raise S3Error(
                "MissingContentLength", "You must provide the Content-Length HTTP header.", 411
            )
        declared = headers.get("x-amz-content-sha256")
        if presigned:
            declared = "UNSIGNED-PAYLOAD"
        elif declared is None:
            raise S3Error(
                "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"
            )
        self.reader = req.body
        self.sha256 = None
        self.expected_sha256 = None
        self.chunked: AwsChunkedReader | None = None
        if declared.startswith("STREAMING-"):
            signed_chunks = declared.startswith("STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
            if declared not in (
                "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
            ):
                raise S3Error("InvalidArgument", f"Unsupported x-amz-content-sha256: {declared}")
            self.chunked = AwsChunkedReader(
                req.body, signed if signed_chunks else None, declared.endswith("-TRAILER")
            )
            self.reader = self.chunked
        elif declared != "UNSIGNED-PAYLOAD":
            if not _HEX64.match(declared):
                raise S3Error(
                    "InvalidArgument",
                    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-"
                    "TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD or a valid sha256 value.",
                    ArgumentName="x-amz-content-sha256",
                    ArgumentValue=declared,
                )
            self.sha256 = hashlib.sha256()
            self.expected_sha256 = declared
        decoded = headers.get("x-amz-decoded-content-length")
        self.decoded_length = int(decoded) if decoded and decoded.isdigit() else None
        self.md5 = None
        self.expected_md5 = headers.get("Content-MD5")
        if self.expected_md5 is not None:
            try:
                self.expected_md5 = base64.b64decode(self.expected_md5, validate=True)
            except (binascii.Error, ValueError):
                raise S3Error(
                    "InvalidDigest", "The Content-MD5 you specified was invalid."
                ) from None
            if len(self.expected_md5) != 16:
                raise S3Error("InvalidDigest", "The Content-MD5 you specified was invalid.")
            self.md5 = hashlib.md5()
        # flexible checksum: a value in a header, or named by x-amz-trailer
        self.algorithm: str | None = None
        self.expected_checksum: str | None = None
        for header, algorithm in checksums.HEADERS.items():
            value = headers.get(header)
            if value is not None:
                self.algorithm, self.expected_checksum = algorithm, value
                break
        trailer = (headers.get("x-amz-trailer") or "").strip().lower()
        if trailer:
            if trailer not in checksums.HEADERS:
                raise S3Error("InvalidRequest", f"Unsupported trailer: {trailer}")
            if self.chunked is None:
                raise S3Error("InvalidRequest", "x-amz-trailer requires an aws-chunked body")
            self.algorithm = checksums.HEADERS[trailer]
        if self.algorithm is None:
            sdk = (headers.get("x-amz-sdk-checksum-algorithm") or "").lower()
            if sdk and sdk not in checksums.ALGORITHMS:
                raise S3Error("InvalidRequest", f"Unsupported checksum algorithm: {sdk}")
        self.hasher = checksums.new(self.algorithm) if self.algorithm else None
        self.size = 0

    def read(self, size: int = 1 << 20) -> bytes:
        data = self.reader.read(size)
        if data:
            self.size += len(data)
            if self.sha256 is not None and self.chunked is None:
                self.sha256.update(data)
            if self.md5 is not None:
                self.md5.update(data)
            if self.hasher is not None:
                self.hasher.update(data)
        return data

    def read_all(self, limit: int) -> bytes:
        out = bytearray()
        while True:
            data = self.read()
            if not data:
                return bytes(out)
            out += data
            if len(out) > limit:
                raise S3Error("MaxMessageLengthExceeded", "Your request was too big.")

    def finish(self) -> dict[str, str]:
        """Check what the body declared; returns ``{algorithm: base64 checksum}``."""
        # sha256 and expected_sha256 are set together (a hex x-amz-content-sha256)
        if (
            self.sha256 is not None
            and self.expected_sha256 is not None
            and self.sha256.hexdigest() != self.expected_sha256
        ):
            raise S3Error(
                "XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
                ClientComputedContentSHA256=self.expected_sha256,
                S3ComputedContentSHA256=self.sha256.hexdigest(),
            )
        if self.chunked is not None and self.decoded_length not in (None, self.size):
            raise S3Error(
                "IncompleteBody",
                "You did not provide the number of bytes specified by the "
                "x-amz-decoded-content-length header",
            )
        if self.md5 is not None and not hmac.compare_digest(self.md5.digest(), self.expected_md5):
            raise S3Error(
                "BadDigest", "The Content-MD5 you specified did not match what we received."
            )
        if self.hasher is None or self.algorithm is None:  # set together, from a checksum
            return {}
        if self.expected_checksum is None and self.chunked is not None:
            self.expected_checksum = self.chunked.trailers.get(f"x-amz-checksum-{self.algorithm}")
            if self.expected_checksum is None:
                raise S3Error("InvalidRequest", "The checksum trailer was not sent.")
        computed = checksums.encode(self.hasher.digest())
        if computed != self.expected_checksum:
            raise S3Error(
                "BadDigest",
                f"The {self.algorithm.upper()} you specified did not match the calculated "
                "checksum.",
            )
        return {self.algorithm: computed}


def _stored_headers(headers) -> dict[str, str]:
    out = {}
    for name in _STORED_HEADERS:
        value = headers.get(name)
        if value is not None:
            out[name] = value
    encodings = [
        e.strip()
        for e in out.get("content-encoding", "").split(",")
        if e.strip() and e.strip() != "aws-chunked"
    ]
    if encodings:
        out["content-encoding"] = ",".join(encodings)
    else:
        out.pop("content-encoding", None)
    for name, value in headers.items():
        if name.lower().startswith("x-amz-meta-"):
            out[name.lower()] = value
    out.setdefault("content-type", "binary/octet-stream")
    return out


def _parse_range(value: str, size: int) -> tuple[int, int] | None:
    """``bytes=a-b`` → inclusive (start, end); None if it cannot be satisfied."""
    match = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", value)
    if not match or (not match.group(1) and not match.group(2)):
        return (0, size - 1) if size else None  # S3 ignores a malformed Range
    first, last = match.groups()
    if not first:
        length = int(last)
        if length == 0 or size == 0:
            return None
        return max(0, size - length), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        return None
    return start, min(end, size - 1)


def _etag_matches(header: str, etag: str) -> bool:
    return any(t.strip() in ("*", etag, etag.strip('"')) for t in header.split(","))


def _parse_xml(data: bytes) -> ET.Element:
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        raise S3Error(
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our "
            "published schema",
        ) from None
    for element in root.iter():  # drop namespaces
        if "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]
    return root


class S3Api:
    def __init__(self, store: S3Store, credentials: sigv4.Credentials, region: str):
        self.store = store
        self.credentials = credentials
        self.region = region

    # -- entry -----------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        resource = unquote(req.raw_path)
        try:
            presigned = "X-Amz-Signature=" in req.raw_query
            signed = self._authenticate(req)
            bucket, key = self._split(req)
            resource = f"/{bucket}/{key}" if key else f"/{bucket}" if bucket else "/"
            params = self._params(req.raw_query)
            for name in params:
                if name in _UNSUPPORTED and not (name == "uploads" and req.method == "POST"):
                    raise S3Error(
                        "NotImplemented",
                        "A header or query you provided implies "
                        f"functionality that is not implemented: {name}",
                        501,
                    )
            response = self._dispatch(req, signed, presigned, bucket, key, params)
        except sigv4.AuthError as err:
            signature = (req.headers.get("Authorization") or "").rpartition("Signature=")[2]
            response = error_response(_auth_error(err, signature), req, resource)
        except StoreError as err:
            response = error_response(err, req, resource)
        except BodyError as err:
            response = error_response(S3Error(err.code, err.message, err.status), req, resource)
            response.close = True
        response.headers.setdefault("x-amz-request-id", req.request_id)
        response.headers.setdefault("x-amz-id-2", req.request_id)
        return response

    def _authenticate(self, req: Request) -> sigv4.SignedRequest:
        signed = sigv4.verify(
            method=req.method,
            raw_path=req.raw_path,
            raw_query=req.raw_query,
            headers=req.headers,
            credentials=self.credentials,
        )
        if signed.service != "s3":
            raise sigv4.AuthError(sigv4.BAD_SIGNATURE, "Credential should be scoped to s3")
        return signed

    def _split(self, req: Request) -> tuple[str, str]:
        path = unquote(req.raw_path)
        if req.host_bucket is not None:
            bucket, key = req.host_bucket, path[1:]
        else:
            bucket, _, key = path[1:].partition("/")
        if bucket:
            validate_bucket_name(bucket)
        if key:
            validate_key(key)
        return bucket, key

    @staticmethod
    def _params(raw_query: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for part in raw_query.split("&") if raw_query else []:
            name, _, value = part.partition("=")
            out.setdefault(unquote(name), unquote(value))
        return out

    def _dispatch(self, req, signed, presigned, bucket, key, params) -> Response:
        method = req.method
        if not bucket:
            if method == "GET":
                self._empty_body(req, signed, presigned)
                return self.list_buckets()
            raise S3Error(
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
                405,
            )
        if not key:
            if method == "PUT":
                self._drain_body(req, signed, presigned)
                return self.create_bucket(bucket)
            if method == "POST" and "delete" in params:
                body = Payload(req, signed, presigned)
                data = body.read_all(MAX_XML_BYTES)
                body.finish()
                return self.delete_objects(bucket, data)
            self._empty_body(req, signed, presigned)
            if method == "HEAD":
                if not self.store.bucket_exists(bucket):
                    raise S3Error("NoSuchBucket", "", 404)
                return Response(200, {"x-amz-bucket-region": self.region})
            if method == "GET":
                if "location" in params:
                    if not self.store.bucket_exists(bucket):
                        raise S3Error("NoSuchBucket", "The specified bucket does not exist", 404)
                    value = "" if self.region == "us-east-1" else escape(self.region)
                    return Response(
                        200, {"Content-Type": "application/xml"}, _xml("LocationConstraint", value)
                    )
                return self.list_objects(bucket, params)
            if method == "DELETE":
                self.store.delete_bucket(bucket)
                return Response(204)
            raise S3Error(
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
                405,
            )
        if method == "PUT":
            if "uploadId" in params or "partNumber" in params:
                return self.upload_part(req, signed, presigned, bucket, params)
            if req.headers.get("x-amz-copy-source"):
                self._drain_body(req, signed, presigned)
                return self.copy_object(req, bucket, key)
            return self.put_object(req, signed, presigned, bucket, key)
        if method == "POST":
            body = Payload(req, signed, presigned)
            data = body.read_all(MAX_XML_BYTES)
            body.finish()
            if "uploads" in params:
                return self.create_upload(req, bucket, key)
            if "uploadId" in params:
                return self.complete_upload(bucket, key, params["uploadId"], data)
            raise S3Error(
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
                405,
            )
        self._empty_body(req, signed, presigned)
        if method in ("GET", "HEAD"):
            if "uploadId" in params:
                raise S3Error("NotImplemented", "ListParts is not implemented", 501)
            return self.get_object(req, bucket, key, params, head=method == "HEAD")
        if method == "DELETE":
            if "uploadId" in params:
                self.store.abort_upload(bucket, params["uploadId"])
                return Response(204)
            self.store.delete_object(bucket, key)
            return Response(204)
        raise S3Error(
            "MethodNotAllowed", "The specified method is not allowed against this resource.", 405
        )

    def _empty_body(self, req, signed, presigned) -> None:
        if req.body is not None:
            self._drain_body(req, signed, presigned)

    def _drain_body(self, req, signed, presigned) -> None:
        if req.body is None:
            return
        body = Payload(req, signed, presigned)
        body.read_all(MAX_XML_BYTES)
        body.finish()

    # -- buckets ---------------------------------------------------------------------------
    def list_buckets(self) -> Response:
        items = "".join(
            f"<Bucket>{_tag('Name', name)}{_tag('CreationDate', _iso(created))}</Bucket>"
            for name, created in self.store.list_buckets()
        )
        owner = "<Owner><ID>local</ID><DisplayName>local</DisplayName></Owner>"
        body = _xml("ListAllMyBucketsResult", f"{owner}<Buckets>{items}</Buckets>")
        return Response(200, {"Content-Type": "application/xml"}, body)

    def create_bucket(self, bucket: str) -> Response:
        if not self.store.create_bucket(bucket):
            raise S3Error(
                "BucketAlreadyOwnedByYou",
                "Your previous request to create the named bucket succeeded and you already "
                "own it.",
                409,
                BucketName=bucket,
            )
        return Response(200, {"Location": f"/{bucket}"})

    def list_objects(self, bucket: str, params: dict[str, str]) -> Response:
        v2 = params.get("list-type") == "2"
        prefix = params.get("prefix", "")
        delimiter = params.get("delimiter", "")
        encode = params.get("encoding-type") == "url"
        try:
            max_keys = max(0, min(1000, int(params.get("max-keys", "1000"))))
        except ValueError:
            raise S3Error(
                "InvalidArgument",
                "Provided max-keys not an integer or within integer range",
                ArgumentName="max-keys",
            ) from None
        token = params.get("continuation-token")
        if v2:
            after = params.get("start-after", "")
            if token:
                try:
                    after = base64.urlsafe_b64decode(token.encode()).decode("utf-8")
                except (binascii.Error, ValueError):
                    raise S3Error(
                        "InvalidArgument",
                        "The continuation token provided is incorrect",
                        ArgumentName="continuation-token",
                    ) from None
        else:
            after = params.get("marker", "")
        objects, prefixes, truncated, last = self.store.list_objects(
            bucket, prefix, delimiter, after, max_keys
        )

        def enc(value: str) -> str:
            return quote(value, safe="/") if encode else value

        parts = [_tag("Name", bucket), _tag("Prefix", enc(prefix))]
        if delimiter:
            parts.append(_tag("Delimiter", enc(delimiter)))
        parts.append(_tag("MaxKeys", max_keys))
        if encode:
            parts.append(_tag("EncodingType", "url"))
        parts.append(_tag("IsTruncated", "true" if truncated else "false"))
        if v2:
            parts.append(_tag("KeyCount", len(objects) + len(prefixes)))
            if token:
                parts.append(_tag("ContinuationToken", token))
            if "start-after" in params:
                parts.append(_tag("StartAfter", enc(params["start-after"])))
            if truncated:
                next_token = base64.urlsafe_b64encode(last.encode("utf-8")).decode()
                parts.append(_tag("NextContinuationToken", next_token))
        else:
            parts.append(_tag("Marker", enc(after)))
            if truncated and delimiter:
                parts.append(_tag("NextMarker", enc(last)))
        for info in objects:
            parts.append(
                f"<Contents>{_tag('Key', enc(info.key))}"
                f"{_tag('LastModified', _iso(info.last_modified))}{_tag('ETag', info.etag)}"
                f"{_tag('Size', info.size)}<StorageClass>STANDARD</StorageClass></Contents>"
            )
        for common in prefixes:
            parts.append(f"<CommonPrefixes>{_tag('Prefix', enc(common))}</CommonPrefixes>")
        return Response(
            200, {"Content-Type": "application/xml"}, _xml("ListBucketResult", "".join(parts))
        )

    def delete_objects(self, bucket: str, data: bytes) -> Response:
        root = _parse_xml(data)
        quiet = (root.findtext("Quiet") or "").strip().lower() == "true"
        deleted, errors = [], []
        for obj in root.findall("Object"):
            key = obj.findtext("Key") or ""
            try:
                self.store.delete_object(bucket, key)
                deleted.append(key)
            except StoreError as err:
                errors.append((key, err))
        inner = "" if quiet else "".join(f"<Deleted>{_tag('Key', k)}</Deleted>" for k in deleted)
        inner += "".join(
            f"<Error>{_tag('Key', k)}{_tag('Code', e.code)}{_tag('Message', e.message)}</Error>"
            for k, e in errors
        )
        return Response(200, {"Content-Type": "application/xml"}, _xml("DeleteResult", inner))

    # -- objects ---------------------------------------------------------------------------
    def _receive(self, req, signed, presigned, writer) -> dict[str, str]:
        """Stream the body into ``writer``; return the verified checksum (if any)."""
        length = req.headers.get("x-amz-decoded-content-length") or req.headers.get(
            "Content-Length"
        )
        if length and length.isdigit() and int(length) > MAX_PUT_BYTES:
            raise S3Error(
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size",
                ProposedSize=length,
                MaxSizeAllowed=str(MAX_PUT_BYTES),
            )
        body = Payload(req, signed, presigned)
        while True:
            data = body.read(1 << 20)
            if not data:
                break
            writer.write(data)
            if writer.size > MAX_PUT_BYTES:
                raise S3Error(
                    "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"
                )
        return body.finish()

    def put_object(self, req, signed, presigned, bucket, key) -> Response:
        if not self.store.bucket_exists(bucket):
            raise S3Error(
                "NoSuchBucket", "The specified bucket does not exist", 404, BucketName=bucket
            )
        writer = self.store.new_writer()
        try:
            checksum = self._receive(req, signed, presigned, writer)
        except BaseException:
            writer.discard()
            raise
        info = ObjectInfo(key, 0, "", 0.0, _stored_headers(req.headers), checksum)
        info = self.store.commit(writer, bucket, key, info)
        headers = {"ETag": info.etag}
        for algorithm, value in checksum.items():
            headers[f"x-amz-checksum-{algorithm}"] = value
        return Response(200, headers)

    def copy_object(self, req, bucket, key) -> Response:
        source = unquote(req.headers.get("x-amz-copy-source", "").split("?", 1)[0]).lstrip("/")
        src_bucket, _, src_key = source.partition("/")
        validate_bucket_name(src_bucket)
        info, fh = self.store.open_object(src_bucket, src_key)
        writer = self.store.new_writer()
        try:
            with fh:
                remaining = info.size
                while remaining:
                    data = fh.read(min(remaining, 1 << 20))
                    writer.write(data)
                    remaining -= len(data)
        except BaseException:
            writer.discard()
            raise
        replace = (req.headers.get("x-amz-metadata-directive") or "").upper() == "REPLACE"
        headers = _stored_headers(req.headers) if replace else dict(info.headers)
        new = self.store.commit(
            writer, bucket, key, ObjectInfo(key, 0, "", 0.0, headers, dict(info.checksum))
        )
        body = _xml(
            "CopyObjectResult",
            _tag("LastModified", _iso(new.last_modified)) + _tag("ETag", new.etag),
        )
        return Response(200, {"Content-Type": "application/xml"}, body)

    def get_object(self, req, bucket, key, params, head: bool) -> Response:
        info, fh = self.store.open_object(bucket, key)
        try:
            headers = {
                "ETag": info.etag,
                "Last-Modified": _http_date(info.last_modified),
                "Accept-Ranges": "bytes",
            }
            headers.update(info.headers)
            for name, value in params.items():
                if name.startswith("response-") and name != "response-":
                    headers[name[len("response-") :]] = value
            if info.parts:
                headers["x-amz-mp-parts-count"] = str(info.parts)
            if_match = req.headers.get("If-Match")
            if if_match is not None and not _etag_matches(if_match, info.etag):
                raise S3Error(
                    "PreconditionFailed",
                    "At least one of the pre-conditions you specified did not hold",
                    412,
                    Condition="If-Match",
                )
            if_none = req.headers.get("If-None-Match")
            if if_none is not None and _etag_matches(if_none, info.etag):
                fh.close()
                return Response(304, {"ETag": info.etag})
            start, end = 0, info.size - 1
            status = 200
            range_header = req.headers.get("Range")
            if range_header:
                bounds = _parse_range(range_header, info.size)
                if bounds is None:
                    raise S3Error(
                        "InvalidRange",
                        "The requested range is not satisfiable",
                        416,
                        ActualObjectSize=str(info.size),
                        RangeRequested=range_header,
                    )
                start, end = bounds
                status = 206
                headers["Content-Range"] = f"bytes {start}-{end}/{info.size}"
            elif (req.headers.get("x-amz-checksum-mode") or "").upper() == "ENABLED":
                for algorithm, value in info.checksum.items():
                    headers[f"x-amz-checksum-{algorithm}"] = value
                    headers["x-amz-checksum-type"] = "FULL_OBJECT"
            length = max(0, end - start + 1)
            headers["Content-Length"] = str(length)
            if head:
                fh.close()
                return Response(status, headers)
            fh.seek(start)
            return Response(status, headers, stream=fh, stream_length=length)
        except BaseException:
            fh.close()
            raise

    # -- multipart -------------------------------------------------------------------------
    def create_upload(self, req, bucket, key) -> Response:
        algorithm = (req.headers.get("x-amz-checksum-algorithm") or "").lower() or None
        if algorithm and algorithm not in checksums.ALGORITHMS:
            raise S3Error("InvalidRequest", f"Unsupported checksum algorithm: {algorithm}")
        upload_id = self.store.create_upload(bucket, key, _stored_headers(req.headers), algorithm)
        body = _xml(
            "InitiateMultipartUploadResult",
            _tag("Bucket", bucket) + _tag("Key", key) + _tag("UploadId", upload_id),
        )
        headers = {"Content-Type": "application/xml"}
        if algorithm:
            headers["x-amz-checksum-algorithm"] = algorithm.upper()
        return Response(200, headers, body)

    def upload_part(self, req, signed, presigned, bucket, params) -> Response:
        upload_id = params.get("uploadId", "")
        try:
            number = int(params.get("partNumber", ""))
        except ValueError:
            number = 0
        if not 1 <= number <= 10000:
            raise S3Error(
                "InvalidArgument",
                "Part number must be an integer between 1 and 10000, inclusive",
                ArgumentName="partNumber",
            )
        self.store.upload_meta(bucket, upload_id)  # NoSuchUpload before reading the body
        writer = self.store.new_writer()
        try:
            checksum = self._receive(req, signed, presigned, writer)
        except BaseException:
            writer.discard()
            raise
        info = self.store.commit_part(writer, bucket, upload_id, number, checksum)
        headers = {"ETag": info.etag}
        for algorithm, value in checksum.items():
            headers[f"x-amz-checksum-{algorithm}"] = value
        return Response(200, headers)

    def complete_upload(self, bucket, key, upload_id, data: bytes) -> Response:
        root = _parse_xml(data)
        parts = []
        for part in root.findall("Part"):
            try:
                parts.append((int(part.findtext("PartNumber") or ""), part.findtext("ETag") or ""))
            except ValueError:
                raise S3Error(
                    "MalformedXML",
                    "The XML you provided was not well-formed or did "
                    "not validate against our published schema",
                ) from None
        meta = self.store.upload_meta(bucket, upload_id)
        if meta["key"] != key:
            raise S3Error("NoSuchUpload", "The specified upload does not exist.", 404)
        info = self.store.complete_upload(bucket, upload_id, parts)
        body = _xml(
            "CompleteMultipartUploadResult",
            _tag("Location", f"/{bucket}/{quote(key)}")
            + _tag("Bucket", bucket)
            + _tag("Key", key)
            + _tag("ETag", info.etag),
        )
        return Response(200, {"Content-Type": "application/xml"}, body)
