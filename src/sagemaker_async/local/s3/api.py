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
from typing import BinaryIO, Literal
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape

from sagemaker_async.local.http import sigv4
from sagemaker_async.local.http.bodies import AwsChunkedReader, BodyError
from sagemaker_async.local.http.wire import Request, Response
from sagemaker_async.local.s3 import checksums
from sagemaker_async.local.s3.store import (
    Condition,
    ObjectInfo,
    S3Store,
    StoreError,
    etag_matches,
    no_such_upload,
    precondition_failed,
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
        "versionId",
        "session",
        "renameObject",
        "metadataTable",
        "mfa",
    ]
)
# Request headers whose meaning serve does not implement: refused (501) rather than ignored.
# A value in the set is accepted (it asks for what serve does anyway); None: any value refused.
_UNSUPPORTED_HEADERS: dict[str, frozenset[str] | None] = {
    "x-amz-server-side-encryption": frozenset(["AES256"]),
    "x-amz-server-side-encryption-aws-kms-key-id": None,
    "x-amz-server-side-encryption-context": None,
    "x-amz-server-side-encryption-bucket-key-enabled": frozenset(["false"]),
    "x-amz-server-side-encryption-customer-algorithm": None,
    "x-amz-server-side-encryption-customer-key": None,
    "x-amz-server-side-encryption-customer-key-md5": None,
    "x-amz-copy-source-server-side-encryption-customer-algorithm": None,
    "x-amz-copy-source-server-side-encryption-customer-key": None,
    "x-amz-copy-source-server-side-encryption-customer-key-md5": None,
    "x-amz-tagging": None,
    "x-amz-tagging-directive": frozenset(["COPY"]),
    "x-amz-object-lock-mode": None,
    "x-amz-object-lock-retain-until-date": None,
    "x-amz-object-lock-legal-hold": None,
    "x-amz-bucket-object-lock-enabled": frozenset(["false"]),
    "x-amz-website-redirect-location": None,
    "x-amz-grant-full-control": None,
    "x-amz-grant-read": None,
    "x-amz-grant-read-acp": None,
    "x-amz-grant-write": None,
    "x-amz-grant-write-acp": None,
    "x-amz-acl": frozenset(["private", "bucket-owner-full-control"]),
    "x-amz-storage-class": frozenset(["STANDARD"]),
    "x-amz-write-offset-bytes": None,
    "x-amz-mfa": None,
    "x-amz-bypass-governance-retention": None,
    "x-amz-object-ownership": frozenset(["BucketOwnerEnforced"]),
    "x-amz-copy-source-version-id": None,
    "x-amz-checksum-xxhash64": None,
    "x-amz-checksum-xxhash3": None,
    "x-amz-checksum-xxhash128": None,
}
# Reads of features serve refuses to set, answered truthfully: an object never has tags (a
# PUT with tags is refused), versioning was never enabled, every ACL is the owner's.
_TRUTHFUL_READS = {("GET", "tagging"), ("DELETE", "tagging"), ("GET", "versioning"), ("GET", "acl")}
_SOURCE_TRUNCATED = "The source object ended early"  # a copy source shorter than its size
ACCOUNT_ID = "123456789012"
OWNER_ID = hashlib.sha256(ACCOUNT_ID.encode()).hexdigest()  # a canonical user ID's shape
OWNER_XML = f"<Owner><ID>{OWNER_ID}</ID><DisplayName>local</DisplayName></Owner>"


def _checksum_algorithm(value: str | None, header: str) -> str | None:
    """A checksum algorithm named in ``header``: one serve computes, 501 for the XXHASH ones
    S3 knows (no stdlib implementation), else InvalidRequest."""
    algorithm = (value or "").strip().lower() or None
    if algorithm is None or algorithm in checksums.ALGORITHMS:
        return algorithm
    if algorithm in checksums.NOT_IMPLEMENTED:
        raise _not_implemented(header, header=True)
    raise S3Error("InvalidRequest", f"Unsupported checksum algorithm: {algorithm}")


def _not_implemented(what: str, header: bool) -> StoreError:
    if header:
        return S3Error(
            "NotImplemented",
            "A header you provided implies functionality that is not implemented",
            501,
            Header=what,
        )
    return S3Error(
        "NotImplemented",
        f"A header or query you provided implies functionality that is not implemented: {what}",
        501,
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
        return S3Error(
            "AccessDenied",
            "Request has expired",
            403,
            Expires=err.message,
            ServerTime=_iso(time.time()),
        )
    if err.reason == sigv4.UNSIGNED_HEADERS:
        return S3Error(
            "AccessDenied",
            "There were headers present in the request which were not signed",
            403,
            HeadersNotSigned=err.message,
        )
    if err.reason == sigv4.BAD_QUERY:
        return S3Error("AuthorizationQueryParametersError", err.message, 400)
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

    def __init__(
        self,
        req: Request,
        signed: sigv4.SignedRequest | None,
        presigned: bool,
        upload_algorithm: str | None = None,
        object_checksums: bool = False,
    ):
        """``upload_algorithm``: a checksum to compute when the body declares none (multipart parts
        of an upload created with a checksum algorithm). ``object_checksums``: the
        ``x-amz-checksum-*`` headers describe the object being made, not this body
        (CompleteMultipartUpload)."""
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
            if value is not None and not object_checksums:
                self.algorithm, self.expected_checksum = algorithm, value
                break
        trailer = (headers.get("x-amz-trailer") or "").strip().lower()
        if trailer:
            if trailer not in checksums.HEADERS:
                if trailer.removeprefix("x-amz-checksum-") in checksums.NOT_IMPLEMENTED:
                    raise _not_implemented("x-amz-trailer", header=True)
                raise S3Error("InvalidRequest", f"Unsupported trailer: {trailer}")
            if self.chunked is None:
                raise S3Error("InvalidRequest", "x-amz-trailer requires an aws-chunked body")
            self.algorithm = checksums.HEADERS[trailer]
        if self.algorithm is None:
            _checksum_algorithm(
                headers.get("x-amz-sdk-checksum-algorithm"), "x-amz-sdk-checksum-algorithm"
            )
        if upload_algorithm is not None and self.algorithm not in (None, upload_algorithm):
            raise S3Error(
                "InvalidRequest",
                f"Checksum Type mismatch occurred, expected checksum Type: {upload_algorithm}, "
                f"actual checksum Type: {self.algorithm}",
            )
        self.computed_only = self.algorithm is None and upload_algorithm is not None
        if self.computed_only:
            self.algorithm = upload_algorithm
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
        if self.computed_only:
            return {self.algorithm: checksums.encode(self.hasher.digest())}
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


def _parse_range(value: str, size: int) -> tuple[int, int] | None | Literal[False]:
    """``bytes=a-b``, ``bytes=a-``, ``bytes=-n`` → inclusive (start, end); False if it cannot
    be satisfied (416); None to ignore it and answer the whole object with 200, as S3 does for
    a malformed Range or several ranges (which it does not support)."""
    match = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", value)
    if not match or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.groups()
    if not first:
        length = int(last)
        if length == 0 or size == 0:
            return False
        return max(0, size - length), size - 1
    start = int(first)
    if last and int(last) < start:
        return None  # RFC 9110: an invalid range-spec is ignored
    if start >= size:
        return False
    end = int(last) if last else size - 1
    return start, min(end, size - 1)


def _method_not_allowed() -> StoreError:
    return S3Error(
        "MethodNotAllowed", "The specified method is not allowed against this resource.", 405
    )


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
        params = sigv4.query_pairs(req.raw_query)
        try:
            signed = self._authenticate(req)
            presigned = signed is None or "X-Amz-Signature=" in req.raw_query
            bucket, key = self._split(req)
            resource = f"/{bucket}/{key}" if key else f"/{bucket}" if bucket else "/"
            self._refuse_unsupported(req, params)
            owner = req.headers.get("x-amz-expected-bucket-owner")
            source_owner = req.headers.get("x-amz-source-expected-bucket-owner")
            if (owner is not None and owner != ACCOUNT_ID) or (
                source_owner is not None and source_owner != ACCOUNT_ID
            ):
                raise S3Error("AccessDenied", "Access Denied", 403)
            response = self._dispatch(req, signed, presigned, bucket, key, params)
        except sigv4.AuthError as err:
            signature = (req.headers.get("Authorization") or "").rpartition("Signature=")[2]
            if not signature:
                signature = params.get("Signature", "")
            response = error_response(_auth_error(err, signature), req, resource)
        except StoreError as err:
            response = error_response(err, req, resource)
        except BodyError as err:
            response = error_response(S3Error(err.code, err.message, err.status), req, resource)
            response.close = True
        response.headers.setdefault("x-amz-request-id", req.request_id)
        response.headers.setdefault("x-amz-id-2", req.request_id)
        return response

    def _authenticate(self, req: Request) -> sigv4.SignedRequest | None:
        """Verify SigV4 (header or query) from the headers alone; a SigV2 presigned URL
        verifies to None (its payload is unsigned, like a SigV4 presigned one)."""
        if (req.headers.get("Authorization") or "").startswith("AWS "):
            raise S3Error(
                "InvalidRequest",
                "The authorization mechanism you have provided is not supported. Please use "
                "AWS4-HMAC-SHA256.",
            )
        if req.headers.get("Authorization") is None and sigv4.is_v2_presigned(req.raw_query):
            sigv4.verify_v2_query(
                method=req.method,
                raw_path=req.raw_path,
                raw_query=req.raw_query,
                headers=req.headers,
                host_bucket=req.host_bucket,
                credentials=self.credentials,
            )
            return None
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

    @staticmethod
    def _refuse_unsupported(req: Request, params: dict[str, str]) -> None:
        for name in params:
            if name in _UNSUPPORTED and (req.method, name) not in _TRUTHFUL_READS:
                raise _not_implemented(name, header=False)
        present = {name.lower() for name in req.headers}  # one pass, not one per name
        for name, accepted in _UNSUPPORTED_HEADERS.items():
            if name not in present:
                continue
            value = req.headers.get(name)
            if value is not None and (accepted is None or value.strip() not in accepted):
                raise _not_implemented(name, header=True)
        if_none = req.headers.get("If-None-Match")
        if req.method == "PUT" and if_none is not None and if_none.strip() != "*":
            raise _not_implemented("If-None-Match", header=True)
        if "?" in (req.headers.get("x-amz-copy-source") or ""):
            raise _not_implemented("x-amz-copy-source", header=True)  # a versionId: no versions

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

    def _dispatch(self, req, signed, presigned, bucket, key, params) -> Response:
        method = req.method
        if not bucket:
            if method == "GET":
                self._drain_body(req, signed, presigned)
                return self.list_buckets()
            raise _method_not_allowed()
        if not key:
            return self._bucket_call(req, signed, presigned, bucket, params)
        if method == "PUT":
            if "uploadId" in params or "partNumber" in params:
                if req.headers.get("x-amz-copy-source"):
                    self._drain_body(req, signed, presigned)
                    return self.upload_part_copy(req, bucket, key, params)
                return self.upload_part(req, signed, presigned, bucket, key, params)
            if req.headers.get("x-amz-copy-source"):
                self._drain_body(req, signed, presigned)
                return self.copy_object(req, bucket, key)
            return self.put_object(req, signed, presigned, bucket, key)
        if method == "POST":
            data = self._read_body(req, signed, presigned, object_checksums="uploadId" in params)
            if "uploads" in params:
                return self.create_upload(req, bucket, key)
            if "uploadId" in params:
                return self.complete_upload(req, bucket, key, params["uploadId"], data)
            raise _method_not_allowed()
        self._drain_body(req, signed, presigned)
        if {"tagging", "acl", "versioning"} & params.keys():
            return self._truthful_read(req, bucket, key, params)
        if method in ("GET", "HEAD"):
            if "uploadId" in params:
                if method == "HEAD":
                    raise _method_not_allowed()
                return self.list_parts(bucket, key, params)
            return self.get_object(req, bucket, key, params, head=method == "HEAD")
        if method == "DELETE":
            if "uploadId" in params:
                self._upload_for(bucket, key, params["uploadId"])
                self.store.abort_upload(bucket, params["uploadId"])
                return Response(204)
            if_match = req.headers.get("If-Match")  # a conditional delete: that object only
            condition = Condition(if_match=if_match) if if_match is not None else None
            self.store.delete_object(bucket, key, condition)
            return Response(204)
        raise _method_not_allowed()

    def _bucket_call(self, req, signed, presigned, bucket, params) -> Response:
        method = req.method
        if method == "PUT":
            data = self._read_body(req, signed, presigned) if req.body is not None else b""
            return self.create_bucket(bucket, data)
        if method == "POST" and "delete" not in params:
            raise _not_implemented("POST Object (browser-based upload)", header=False)
        if method == "POST":
            return self.delete_objects(bucket, self._read_body(req, signed, presigned))
        self._drain_body(req, signed, presigned)
        if {"tagging", "acl", "versioning"} & params.keys():
            return self._truthful_read(req, bucket, "", params)
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
            if "uploads" in params:
                return self.list_uploads(bucket, params)
            return self.list_objects(bucket, params)
        if method == "DELETE":
            self.store.delete_bucket(bucket)
            return Response(204)
        raise _method_not_allowed()

    @staticmethod
    def _read_body(req, signed, presigned, object_checksums: bool = False) -> bytes:
        """A small (XML) body, read whole and checked against what it declares."""
        body = Payload(req, signed, presigned, object_checksums=object_checksums)
        data = body.read_all(MAX_XML_BYTES)
        body.finish()
        return data

    def _drain_body(self, req, signed, presigned) -> None:
        """Read, check and drop a body the operation does not use (if there is one)."""
        if req.body is not None:
            self._read_body(req, signed, presigned)

    def _truthful_read(self, req, bucket: str, key: str, params) -> Response:
        """GetObjectTagging/DeleteObjectTagging, Get(Bucket|Object)Acl, GetBucketVersioning."""
        if key:
            self.store.head_object(bucket, key)  # NoSuchKey / NoSuchBucket
        elif not self.store.bucket_exists(bucket):
            raise S3Error("NoSuchBucket", "The specified bucket does not exist", 404)
        if "tagging" in params:
            if not key:
                raise S3Error("NoSuchTagSet", "The TagSet does not exist", 404, BucketName=bucket)
            if req.method == "DELETE":
                return Response(204)
            body = _xml("Tagging", "<TagSet></TagSet>")
        elif "acl" in params:
            grant = (
                '<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                f'xsi:type="CanonicalUser">{OWNER_XML[7:-8]}</Grantee>'
                "<Permission>FULL_CONTROL</Permission></Grant>"
            )
            acl = f"{OWNER_XML}<AccessControlList>{grant}</AccessControlList>"
            body = _xml("AccessControlPolicy", acl)
        elif "versioning" in params and not key:
            body = _xml("VersioningConfiguration", "")
        else:
            raise _method_not_allowed()
        return Response(200, {"Content-Type": "application/xml"}, body)

    # -- buckets ---------------------------------------------------------------------------
    def list_buckets(self) -> Response:
        items = "".join(
            f"<Bucket>{_tag('Name', name)}{_tag('CreationDate', _iso(created))}</Bucket>"
            for name, created in self.store.list_buckets()
        )
        body = _xml("ListAllMyBucketsResult", f"{OWNER_XML}<Buckets>{items}</Buckets>")
        return Response(200, {"Content-Type": "application/xml"}, body)

    def create_bucket(self, bucket: str, data: bytes = b"") -> Response:
        constraint = (_parse_xml(data).findtext("LocationConstraint") or "") if data.strip() else ""
        if constraint and constraint != self.region:
            # the bucket would be made in serve's region, not the one asked for
            raise S3Error(
                "IllegalLocationConstraintException",
                f"The {constraint} location constraint is incompatible for the region specific "
                "endpoint this request was sent to.",
            )
        validate_bucket_name(bucket)
        if not self.store.create_bucket(bucket) and self.region != "us-east-1":
            # us-east-1 answers 200 to its owner creating the bucket again (a legacy behaviour)
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
        owner = OWNER_XML if not v2 or params.get("fetch-owner") == "true" else ""
        for info in objects:
            algorithm = "".join(_tag("ChecksumAlgorithm", a.upper()) for a in sorted(info.checksum))
            parts.append(
                f"<Contents>{_tag('Key', enc(info.key))}"
                f"{_tag('LastModified', _iso(info.last_modified))}{_tag('ETag', info.etag)}"
                f"{algorithm}{_tag('Size', info.size)}{owner}"
                "<StorageClass>STANDARD</StorageClass></Contents>"
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
            version = obj.findtext("VersionId")
            etag = obj.findtext("ETag")
            try:
                if version not in (None, "null"):  # objects are unversioned: only "null" exists
                    raise S3Error("NoSuchVersion", "The specified version does not exist.", 404)
                condition = Condition(if_match=etag) if etag is not None else None
                self.store.delete_object(bucket, key, condition)
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
    def _receive(self, req, signed, presigned, writer, algorithm=None) -> dict[str, str]:
        """Stream the body into ``writer``; return the verified checksum (if any), or the
        ``algorithm`` checksum computed here when the client sent none."""
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
        body = Payload(req, signed, presigned, algorithm)
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

    @staticmethod
    def _write_condition(req) -> Condition | None:
        if_none = req.headers.get("If-None-Match")
        if_match = req.headers.get("If-Match")
        if if_none is None and if_match is None:
            return None
        return Condition(if_none_match=if_none is not None, if_match=if_match)

    def put_object(self, req, signed, presigned, bucket, key) -> Response:
        if not self.store.bucket_exists(bucket):
            raise S3Error(
                "NoSuchBucket", "The specified bucket does not exist", 404, BucketName=bucket
            )
        condition = self._write_condition(req)
        if condition is not None:  # refuse before the body; checked again when committing
            condition.check(self.store.current(bucket, key), key)
        writer = self.store.new_writer()
        try:
            checksum = self._receive(req, signed, presigned, writer)
        except BaseException:
            writer.discard()
            raise
        info = ObjectInfo(key, 0, "", 0.0, _stored_headers(req.headers), checksum)
        info = self.store.commit(writer, bucket, key, info, condition)
        headers = {"ETag": info.etag}
        for algorithm, value in checksum.items():
            headers[f"x-amz-checksum-{algorithm}"] = value
            headers["x-amz-checksum-type"] = "FULL_OBJECT"
        return Response(200, headers)

    def _copy_source(self, req) -> tuple[ObjectInfo, BinaryIO]:
        """Open ``x-amz-copy-source`` after checking its ``x-amz-copy-source-if-*`` headers."""
        source = unquote(req.headers.get("x-amz-copy-source", "")).lstrip("/")
        src_bucket, _, src_key = source.partition("/")
        validate_bucket_name(src_bucket)
        if not src_key:
            raise S3Error("InvalidArgument", "Invalid copy source object key")
        validate_key(src_key)
        info, fh = self.store.open_object(src_bucket, src_key)
        try:
            _check_conditions(req.headers, info, prefix="x-amz-copy-source-")
        except BaseException:
            fh.close()
            raise
        return info, fh

    def copy_object(self, req, bucket, key) -> Response:
        info, fh = self._copy_source(req)
        replace = (req.headers.get("x-amz-metadata-directive") or "").upper() == "REPLACE"
        try:
            algorithm = _checksum_algorithm(
                req.headers.get("x-amz-checksum-algorithm"), "x-amz-checksum-algorithm"
            )
        except StoreError:
            fh.close()
            raise
        source = unquote(req.headers.get("x-amz-copy-source", "")).lstrip("/")
        if source == f"{bucket}/{key}" and not replace and algorithm is None:
            fh.close()
            raise S3Error(
                "InvalidRequest",
                "This copy request is illegal because it is trying to copy an object to itself "
                "without changing the object's metadata, storage class, website redirect "
                "location or encryption attributes.",
            )
        writer = self.store.new_writer()
        hasher = checksums.new(algorithm) if algorithm else None
        try:
            with fh:
                writer.copy_from(fh, 0, info.size, hasher, truncated=_SOURCE_TRUNCATED)
        except BaseException:
            writer.discard()
            raise
        headers = _stored_headers(req.headers) if replace else dict(info.headers)
        if hasher is not None and algorithm:
            checksum, checksum_type = {algorithm: checksums.encode(hasher.digest())}, "FULL_OBJECT"
        else:
            checksum, checksum_type = dict(info.checksum), info.checksum_type
        new = ObjectInfo(key, 0, "", 0.0, headers, checksum, checksum_type=checksum_type)
        new = self.store.commit(writer, bucket, key, new, self._write_condition(req))
        inner = _tag("LastModified", _iso(new.last_modified)) + _tag("ETag", new.etag)
        inner += "".join(_tag(f"Checksum{a.upper()}", v) for a, v in sorted(new.checksum.items()))
        return Response(200, {"Content-Type": "application/xml"}, _xml("CopyObjectResult", inner))

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
            if not _check_conditions(req.headers, info):
                fh.close()
                return Response(304, {"ETag": info.etag, "Last-Modified": headers["Last-Modified"]})
            start, end = 0, info.size - 1
            status = 200
            range_header = req.headers.get("Range")
            part_number = params.get("partNumber")
            if part_number is not None:
                if range_header:
                    raise S3Error(
                        "InvalidRequest",
                        "Cannot specify both Range header and partNumber query parameter",
                    )
                number = _part_number(part_number)
                if number > max(1, info.parts):
                    raise S3Error(
                        "InvalidPartNumber",
                        "The requested partnumber is not satisfiable",
                        416,
                        PartNumberRequested=str(number),
                        ActualPartCount=str(max(1, info.parts)),
                    )
                start, end = info.part_range(number)
                status = 206
                headers["Content-Range"] = f"bytes {start}-{end}/{info.size}"
                if info.parts:
                    headers["x-amz-mp-parts-count"] = str(info.parts)
            elif range_header:
                bounds = _parse_range(range_header, info.size)
                if bounds is False:
                    raise S3Error(
                        "InvalidRange",
                        "The requested range is not satisfiable",
                        416,
                        ActualObjectSize=str(info.size),
                        RangeRequested=range_header,
                    )
                if bounds:
                    start, end = bounds
                    status = 206
                    headers["Content-Range"] = f"bytes {start}-{end}/{info.size}"
            # (S3 sends x-amz-mp-parts-count only with partNumber)
            elif (req.headers.get("x-amz-checksum-mode") or "").upper() == "ENABLED":
                for algorithm, value in info.checksum.items():
                    headers[f"x-amz-checksum-{algorithm}"] = value
                    headers["x-amz-checksum-type"] = info.checksum_type
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
        algorithm = _checksum_algorithm(
            req.headers.get("x-amz-checksum-algorithm"), "x-amz-checksum-algorithm"
        )
        checksum_type = (req.headers.get("x-amz-checksum-type") or "").upper() or None
        if checksum_type is not None:
            if checksum_type not in ("COMPOSITE", "FULL_OBJECT"):
                raise S3Error(
                    "InvalidRequest", f"Value for x-amz-checksum-type is invalid: {checksum_type}"
                )
            if algorithm is None:
                raise S3Error(
                    "InvalidRequest",
                    "The x-amz-checksum-type header can only be used with the "
                    "x-amz-checksum-algorithm header.",
                )
        if algorithm is not None and checksum_type is None:
            checksum_type = "FULL_OBJECT" if algorithm == "crc64nvme" else "COMPOSITE"
        if algorithm is not None and checksum_type != _ALLOWED_TYPES.get(algorithm, checksum_type):
            raise S3Error(
                "InvalidRequest",
                f"The {checksum_type} checksum type cannot be used with the "
                f"{algorithm} checksum algorithm.",
            )
        upload_id = self.store.create_upload(
            bucket, key, _stored_headers(req.headers), algorithm, checksum_type
        )
        body = _xml(
            "InitiateMultipartUploadResult",
            _tag("Bucket", bucket) + _tag("Key", key) + _tag("UploadId", upload_id),
        )
        headers = {"Content-Type": "application/xml"}
        if algorithm and checksum_type:
            headers["x-amz-checksum-algorithm"] = algorithm.upper()
            headers["x-amz-checksum-type"] = checksum_type
        return Response(200, headers, body)

    def _upload_for(self, bucket: str, key: str, upload_id: str) -> dict:
        meta = self.store.upload_meta(bucket, upload_id)
        if meta["key"] != key:
            raise no_such_upload(upload_id)
        return meta

    def upload_part(self, req, signed, presigned, bucket, key, params) -> Response:
        upload_id = params.get("uploadId", "")
        number = _part_number(params.get("partNumber", ""))
        meta = self._upload_for(bucket, key, upload_id)  # NoSuchUpload before reading the body
        writer = self.store.new_writer()
        try:
            checksum = self._receive(req, signed, presigned, writer, meta.get("checksum_algorithm"))
        except BaseException:
            writer.discard()
            raise
        info = self.store.commit_part(writer, bucket, upload_id, number, checksum)
        headers = {"ETag": info.etag}
        for algorithm, value in checksum.items():
            headers[f"x-amz-checksum-{algorithm}"] = value
        return Response(200, headers)

    def upload_part_copy(self, req, bucket, key, params) -> Response:
        """UploadPartCopy: a part made of (a range of) an existing object."""
        upload_id = params.get("uploadId", "")
        number = _part_number(params.get("partNumber", ""))
        meta = self._upload_for(bucket, key, upload_id)
        info, fh = self._copy_source(req)
        with fh:
            start, end = 0, info.size - 1
            range_header = req.headers.get("x-amz-copy-source-range")
            if range_header is not None:
                match = re.fullmatch(r"bytes=(\d+)-(\d+)", range_header.strip())
                if not match or int(match.group(2)) < int(match.group(1)):
                    raise S3Error(
                        "InvalidArgument",
                        "The x-amz-copy-source-range value must be of the form bytes=first-last "
                        "where first and last are the zero-based offsets of the first and last "
                        "bytes to copy",
                        ArgumentName="x-amz-copy-source-range",
                        ArgumentValue=range_header,
                    )
                start, end = int(match.group(1)), int(match.group(2))
                if end >= info.size:
                    raise S3Error(
                        "InvalidRange",
                        "The requested range is not satisfiable",
                        416,
                        ActualObjectSize=str(info.size),
                        RangeRequested=range_header,
                    )
            if end - start + 1 > MAX_PUT_BYTES:
                raise S3Error(
                    "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"
                )
            algorithm = meta.get("checksum_algorithm")
            hasher = checksums.new(algorithm) if algorithm else None
            writer = self.store.new_writer()
            try:
                writer.copy_from(fh, start, end - start + 1, hasher, truncated=_SOURCE_TRUNCATED)
            except BaseException:
                writer.discard()
                raise
        checksum = {algorithm: checksums.encode(hasher.digest())} if hasher and algorithm else {}
        part = self.store.commit_part(writer, bucket, upload_id, number, checksum)
        inner = _tag("LastModified", _iso(part.last_modified)) + _tag("ETag", part.etag)
        inner += "".join(_tag(f"Checksum{a.upper()}", v) for a, v in sorted(checksum.items()))
        return Response(200, {"Content-Type": "application/xml"}, _xml("CopyPartResult", inner))

    def complete_upload(self, req, bucket, key, upload_id, data: bytes) -> Response:
        root = _parse_xml(data)
        parts = []
        for part in root.findall("Part"):
            try:
                number = int(part.findtext("PartNumber") or "")
            except ValueError:
                raise S3Error(
                    "MalformedXML",
                    "The XML you provided was not well-formed or did "
                    "not validate against our published schema",
                ) from None
            declared = {
                name: (part.findtext(f"Checksum{name.upper()}") or "").strip()
                for name in checksums.ALGORITHMS
                if part.find(f"Checksum{name.upper()}") is not None
            }
            parts.append((number, part.findtext("ETag") or "", declared))
        meta = self._upload_for(bucket, key, upload_id)
        declared = {
            algorithm: value.strip()
            for header, algorithm in checksums.HEADERS.items()
            if (value := req.headers.get(header)) is not None
        }
        declared_type = (req.headers.get("x-amz-checksum-type") or "").upper()
        if declared and set(declared) != {meta.get("checksum_algorithm")}:
            raise S3Error(
                "InvalidRequest",
                "The checksum algorithm of the complete request does not match the one the "
                "upload was created with.",
            )
        if declared_type and declared_type != (meta.get("checksum_type") or declared_type):
            raise S3Error(
                "InvalidRequest",
                f"The upload was created using the {meta.get('checksum_type')} checksum mode. "
                f"The complete request must use the same checksum mode.",
            )
        info = self.store.complete_upload(
            bucket, upload_id, parts, self._write_condition(req), declared
        )
        size = req.headers.get("x-amz-mp-object-size")
        inner = (
            _tag("Location", f"/{bucket}/{quote(key)}")
            + _tag("Bucket", bucket)
            + _tag("Key", key)
            + _tag("ETag", info.etag)
        )
        headers = {"Content-Type": "application/xml"}
        for algorithm, value in sorted(info.checksum.items()):
            inner += _tag(f"Checksum{algorithm.upper()}", value)
            inner += _tag("ChecksumType", info.checksum_type)
            headers["x-amz-checksum-type"] = info.checksum_type
        if size is not None and size.strip() != str(info.size):
            # checked after the fact: the parts are already assembled, as S3 reports it
            raise S3Error(
                "InvalidRequest",
                f"The provided 'x-amz-mp-object-size' header value {size} does not match what "
                f"was computed: {info.size}",
            )
        return Response(200, headers, _xml("CompleteMultipartUploadResult", inner))

    def list_parts(self, bucket, key, params) -> Response:
        upload_id = params["uploadId"]
        meta = self._upload_for(bucket, key, upload_id)
        max_parts = _bounded_int(params, "max-parts", 1000)
        marker = _bounded_int(params, "part-number-marker", 0)
        parts = [p for p in self.store.list_parts(bucket, upload_id) if int(p.key) > marker]
        page, truncated = parts[:max_parts], len(parts) > max_parts
        inner = [
            _tag("Bucket", bucket),
            _tag("Key", key),
            _tag("UploadId", upload_id),
            _tag("PartNumberMarker", marker),
        ]
        if page:
            inner.append(_tag("NextPartNumberMarker", page[-1].key))
        inner += [_tag("MaxParts", max_parts), _tag("IsTruncated", str(truncated).lower())]
        algorithm = meta.get("checksum_algorithm")
        if algorithm:
            inner.append(_tag("ChecksumAlgorithm", algorithm.upper()))
            inner.append(_tag("ChecksumType", meta.get("checksum_type") or "COMPOSITE"))
        for part in page:
            sums = "".join(
                _tag(f"Checksum{a.upper()}", v) for a, v in sorted(part.checksum.items())
            )
            inner.append(
                f"<Part>{_tag('PartNumber', part.key)}"
                f"{_tag('LastModified', _iso(part.last_modified))}{_tag('ETag', part.etag)}"
                f"{_tag('Size', part.size)}{sums}</Part>"
            )
        initiator = f"<Initiator>{OWNER_XML[7:-8]}</Initiator>"
        inner += [initiator, OWNER_XML, _tag("StorageClass", "STANDARD")]
        body = _xml("ListPartsResult", "".join(inner))
        return Response(200, {"Content-Type": "application/xml"}, body)

    def list_uploads(self, bucket, params) -> Response:
        prefix = params.get("prefix", "")
        delimiter = params.get("delimiter", "")
        key_marker = params.get("key-marker", "")
        id_marker = params.get("upload-id-marker", "")
        max_uploads = _bounded_int(params, "max-uploads", 1000)
        encode = params.get("encoding-type") == "url"

        def enc(value: str) -> str:
            return quote(value, safe="/") if encode else value

        uploads: list[tuple[str, str, float]] = []
        prefixes: list[str] = []
        truncated = False
        for key, upload_id, created in self.store.list_uploads(bucket):
            if not key.startswith(prefix):
                continue
            if key_marker and (key < key_marker or (key == key_marker and not id_marker)):
                continue
            if key == key_marker and id_marker and upload_id <= id_marker:
                continue
            if delimiter:
                pos = key.find(delimiter, len(prefix))
                if pos >= 0:
                    common = key[: pos + len(delimiter)]
                    if common not in prefixes:
                        if len(uploads) + len(prefixes) >= max_uploads:
                            truncated = True
                            break
                        prefixes.append(common)
                    continue
            if len(uploads) + len(prefixes) >= max_uploads:
                truncated = True
                break
            uploads.append((key, upload_id, created))
        inner = [
            _tag("Bucket", bucket),
            _tag("KeyMarker", enc(key_marker)),
            _tag("UploadIdMarker", id_marker),
        ]
        if truncated and uploads:
            inner.append(_tag("NextKeyMarker", enc(uploads[-1][0])))
            inner.append(_tag("NextUploadIdMarker", uploads[-1][1]))
        if prefix:
            inner.append(_tag("Prefix", enc(prefix)))
        if delimiter:
            inner.append(_tag("Delimiter", enc(delimiter)))
        if encode:
            inner.append(_tag("EncodingType", "url"))
        inner += [_tag("MaxUploads", max_uploads), _tag("IsTruncated", str(truncated).lower())]
        initiator = f"<Initiator>{OWNER_XML[7:-8]}</Initiator>"
        for key, upload_id, created in uploads:
            inner.append(
                f"<Upload>{_tag('Key', enc(key))}{_tag('UploadId', upload_id)}{initiator}"
                f"{OWNER_XML}{_tag('StorageClass', 'STANDARD')}"
                f"{_tag('Initiated', _iso(created))}</Upload>"
            )
        inner += [f"<CommonPrefixes>{_tag('Prefix', enc(p))}</CommonPrefixes>" for p in prefixes]
        body = _xml("ListMultipartUploadsResult", "".join(inner))
        return Response(200, {"Content-Type": "application/xml"}, body)


# Checksum types each algorithm allows in a multipart upload (the SHAs: composite only).
_ALLOWED_TYPES = {
    "md5": "COMPOSITE",
    "sha1": "COMPOSITE",
    "sha256": "COMPOSITE",
    "sha512": "COMPOSITE",
}


def _part_number(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= 10000:
        raise S3Error(
            "InvalidArgument",
            "Part number must be an integer between 1 and 10000, inclusive",
            ArgumentName="partNumber",
            ArgumentValue=value,
        )
    return number


def _bounded_int(params: dict[str, str], name: str, default: int) -> int:
    value = params.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise S3Error(
            "InvalidArgument",
            f"Provided {name} not an integer or within integer range",
            ArgumentName=name,
            ArgumentValue=value,
        )
    return min(number, 1000) if default == 1000 else number


def _parse_http_date(value: str) -> float | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.timestamp()


def _check_conditions(headers, info: ObjectInfo, prefix: str = "") -> bool:
    """RFC 7232 preconditions as S3 evaluates them; False means "not modified" (304).

    With ``prefix="x-amz-copy-source-"`` the copy-source forms, where every failure is 412.
    """
    if_match = headers.get(f"{prefix}if-match")
    if_unmodified = headers.get(f"{prefix}if-unmodified-since")
    if_none = headers.get(f"{prefix}if-none-match")
    if_modified = headers.get(f"{prefix}if-modified-since")
    modified = int(info.last_modified)
    if if_match is not None:
        if not etag_matches(if_match, info.etag):
            raise precondition_failed(f"{prefix}If-Match")
    elif if_unmodified is not None:
        when = _parse_http_date(if_unmodified)
        if when is not None and modified > when:
            raise precondition_failed(f"{prefix}If-Unmodified-Since")
    if if_none is not None:
        if etag_matches(if_none, info.etag):
            if prefix:
                raise precondition_failed(f"{prefix}If-None-Match")
            return False
    elif if_modified is not None:
        when = _parse_http_date(if_modified)
        if when is not None and modified <= when:
            if prefix:
                raise precondition_failed(f"{prefix}If-Modified-Since")
            return False
    return True
