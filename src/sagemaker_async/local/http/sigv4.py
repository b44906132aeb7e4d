"""Server-side AWS request signatures: SigV4 (header and presigned-query forms) and S3's
SigV2 query-string form (``AWSAccessKeyId``/``Signature``/``Expires``, boto3's default for S3
presigned URLs).

The canonical request is rebuilt from what the client declared it signed (``SignedHeaders``),
so any SDK's choice of headers verifies, not only botocore's; but, as AWS does, every
``x-amz-*`` header present (and SageMaker's ``x-amzn-sagemaker-*``) must be among them.

Verification is in two steps so that a body is never read before the headers are checked:
:func:`check` validates everything the headers carry and returns a :class:`Pending`, whose
:meth:`Pending.finish` computes the HMAC once the payload hash is known (from the signed
``x-amz-content-sha256`` header at once, or after hashing a bounded body). Failures raise
:class:`AuthError` carrying a neutral reason; the S3 and runtime fronts translate the reason
into their own error codes.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW_SECONDS = 15 * 60
MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # X-Amz-Expires limit: one week
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

# Reasons, mapped to each service's error code by the fronts.
MISSING = "missing"  # no Authorization header and no presigned query
MALFORMED = "malformed"  # unparsable Authorization / credential scope
UNKNOWN_KEY = "unknown-key"
BAD_SIGNATURE = "bad-signature"
SKEWED = "skewed"  # X-Amz-Date more than 15 minutes away from now
EXPIRED = "expired"  # presigned URL past X-Amz-Expires
BAD_TOKEN = "bad-token"  # session token missing or different
UNSIGNED_HEADERS = "unsigned-headers"  # x-amz-* headers present but not signed (message: names)
BAD_QUERY = "bad-query"  # presigned-URL parameters out of bounds (message: the service's text)


class AuthError(Exception):
    def __init__(self, reason: str, message: str = ""):
        super().__init__(message or reason)
        self.reason = reason
        self.message = message or reason


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    token: str | None = None


@dataclass(frozen=True)
class SignedRequest:
    """What a verified signature establishes; needed again for aws-chunked chunk signatures."""

    access_key: str
    amz_date: str
    scope: str  # yyyymmdd/region/service/aws4_request
    region: str
    service: str
    signature: str
    signing_key: bytes
    payload_hash: str  # the x-amz-content-sha256 value, or the body hash used


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


_KEY_CACHE: dict[tuple[str, str, str, str], bytes] = {}


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    cache_key = (secret, date, region, service)
    key = _KEY_CACHE.get(cache_key)
    if key is None:
        k = _hmac(("AWS4" + secret).encode("utf-8"), date)
        k = _hmac(k, region)
        k = _hmac(k, service)
        key = _hmac(k, "aws4_request")
        if len(_KEY_CACHE) > 64:
            _KEY_CACHE.clear()
        _KEY_CACHE[cache_key] = key
    return key


def sign(key: bytes, string_to_sign: str) -> str:
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def _uri_encode(value: str, safe: str) -> str:
    return quote(value, safe=safe)


def _normalize_path(path: str) -> str:
    """RFC 3986 dot-segment removal, as non-S3 services do before signing."""
    if not path:
        return "/"
    out: list[str] = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if out:
                out.pop()
        else:
            out.append(seg)
    norm = "/" + "/".join(out)
    if path.endswith("/") and norm != "/":
        norm += "/"
    return norm


def canonical_uri(raw_path: str, service: str) -> str:
    if service == "s3":
        # S3 encodes each character once and keeps the path as it is (no normalization).
        return _uri_encode(unquote(raw_path), safe="/~") or "/"
    # Other services sign the already-encoded, normalized path encoded once more.
    return _uri_encode(_normalize_path(raw_path), safe="/~")


def canonical_query(raw_query: str, drop: str | None = None) -> str:
    pairs = []
    for part in raw_query.split("&") if raw_query else []:
        if not part:
            continue
        key, _, value = part.partition("=")
        key = _uri_encode(unquote(key), safe="-_.~")
        if drop and key == drop:
            continue
        pairs.append((key, _uri_encode(unquote(value), safe="-_.~")))
    pairs.sort()
    return "&".join(f"{k}={v}" for k, v in pairs)


def canonical_headers(names: list[str], get_all) -> str:
    lines = []
    for name in names:
        values = get_all(name)
        if values is None:
            values = []
        joined = ",".join(" ".join(v.split()) for v in values)
        lines.append(f"{name}:{joined}\n")
    return "".join(lines)


def parse_amz_date(value: str) -> float:
    try:
        return float(calendar.timegm(time.strptime(value, "%Y%m%dT%H%M%SZ")))
    except (ValueError, TypeError, OverflowError):
        raise AuthError(MALFORMED, f"Invalid X-Amz-Date: {value!r}") from None


def _parse_authorization(value: str) -> tuple[str, list[str], str]:
    if not value.startswith(ALGORITHM + " "):
        raise AuthError(MALFORMED, "Unsupported Authorization type")
    fields: dict[str, str] = {}
    for item in value[len(ALGORITHM) + 1 :].split(","):
        key, sep, val = item.strip().partition("=")
        if sep:
            fields[key] = val
    try:
        credential = fields["Credential"]
        signed = fields["SignedHeaders"]
        signature = fields["Signature"]
    except KeyError as exc:
        raise AuthError(MALFORMED, f"Authorization header requires '{exc.args[0]}'") from None
    return credential, signed.split(";"), signature


def _parse_credential(credential: str) -> tuple[str, str, str, str]:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or len(parts[1]) != 8:
        raise AuthError(MALFORMED, f"Malformed credential scope: {credential!r}")
    return parts[0], parts[1], parts[2], parts[3]


def _must_be_signed(name: str, service: str) -> bool:
    """Headers AWS refuses to see unsigned: ``x-amz-*`` and, for SageMaker, its own."""
    if name.startswith("x-amz-"):
        # S3 tolerates an unsigned payload hash: it is part of the canonical request anyway
        return not (service == "s3" and name == "x-amz-content-sha256")
    return service == "sagemaker" and name.startswith("x-amzn-sagemaker-")


@dataclass(frozen=True)
class Pending:
    """A request whose headers passed :func:`check`; :meth:`finish` completes the HMAC."""

    method: str
    raw_path: str
    raw_query: str
    headers: Any
    signed_names: tuple[str, ...]
    signature: str
    access_key: str
    amz_date: str
    date: str
    region: str
    service: str
    secret_key: str
    presigned: bool

    @property
    def payload_hash(self) -> str | None:
        """The payload hash the signature covers, if the headers name it (else hash the body)."""
        if self.presigned:
            return "UNSIGNED-PAYLOAD"
        return self.headers.get("X-Amz-Content-SHA256")

    def finish(self, payload_hash: str) -> SignedRequest:
        creq = "\n".join(
            [
                self.method,
                canonical_uri(self.raw_path, self.service),
                canonical_query(self.raw_query, drop="X-Amz-Signature" if self.presigned else None),
                canonical_headers(list(self.signed_names), self.headers.get_all),
                ";".join(self.signed_names),
                payload_hash,
            ]
        )
        scope = f"{self.date}/{self.region}/{self.service}/aws4_request"
        string_to_sign = "\n".join(
            [ALGORITHM, self.amz_date, scope, hashlib.sha256(creq.encode("utf-8")).hexdigest()]
        )
        key = signing_key(self.secret_key, self.date, self.region, self.service)
        expected = sign(key, string_to_sign)
        if not hmac.compare_digest(expected, self.signature):
            raise AuthError(BAD_SIGNATURE, string_to_sign)
        return SignedRequest(
            access_key=self.access_key,
            amz_date=self.amz_date,
            scope=scope,
            region=self.region,
            service=self.service,
            signature=self.signature,
            signing_key=key,
            payload_hash=payload_hash,
        )


def _presign_expires(value: str | None) -> int:
    """``X-Amz-Expires`` as S3 bounds it (its messages, AuthorizationQueryParametersError)."""
    if value is None:
        raise AuthError(
            BAD_QUERY,
            "Query-string authentication version 4 requires the X-Amz-Algorithm, "
            "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
            "X-Amz-Expires parameters.",
        )
    try:
        expires = int(value)
    except ValueError:
        raise AuthError(BAD_QUERY, "X-Amz-Expires should be a number") from None
    if expires < 0:
        raise AuthError(BAD_QUERY, "X-Amz-Expires must be non-negative")
    if expires > MAX_PRESIGN_SECONDS:
        raise AuthError(
            BAD_QUERY,
            "X-Amz-Expires must be less than a week (in seconds) that is; 604800 seconds",
        )
    return expires


def check(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers,
    credentials: Credentials,
    now: float | None = None,
) -> Pending:
    """Check everything the request line and headers carry; raise AuthError or return a
    :class:`Pending` whose ``finish(payload_hash)`` checks the signature itself.

    ``headers`` is an ``email.message.Message``-like mapping (``get``/``get_all``/``keys``).
    """
    now = time.time() if now is None else now
    authorization = headers.get("Authorization")
    query_params = _query_dict(raw_query)
    presigned = authorization is None and "X-Amz-Signature" in query_params
    if authorization is None and not presigned:
        raise AuthError(MISSING, "Missing Authentication Token")

    if presigned:
        if query_params.get("X-Amz-Algorithm") != ALGORITHM:
            raise AuthError(MALFORMED, "Unsupported X-Amz-Algorithm")
        credential = query_params.get("X-Amz-Credential", "")
        signed_names = query_params.get("X-Amz-SignedHeaders", "").split(";")
        signature = query_params["X-Amz-Signature"]
        amz_date = query_params.get("X-Amz-Date", "")
        token = query_params.get("X-Amz-Security-Token")
    else:
        credential, signed_names, signature = _parse_authorization(authorization)
        amz_date = headers.get("X-Amz-Date") or ""
        token = headers.get("X-Amz-Security-Token")

    access_key, date, region, service = _parse_credential(credential)
    if access_key != credentials.access_key:
        raise AuthError(UNKNOWN_KEY, access_key)
    if credentials.token is not None and token != credentials.token:
        raise AuthError(BAD_TOKEN, "The security token included in the request is invalid.")
    if not amz_date:
        raise AuthError(MALFORMED, "Missing X-Amz-Date")
    request_time = parse_amz_date(amz_date)
    if amz_date[:8] != date:
        raise AuthError(BAD_SIGNATURE, "Credential date does not match X-Amz-Date")
    if presigned:
        expires = _presign_expires(query_params.get("X-Amz-Expires"))
        if now > request_time + expires:
            raise AuthError(EXPIRED, _iso(request_time + expires))
        if request_time - now > MAX_SKEW_SECONDS:
            raise AuthError(SKEWED, amz_date)
    elif abs(now - request_time) > MAX_SKEW_SECONDS:
        raise AuthError(SKEWED, amz_date)

    if "host" not in signed_names:
        raise AuthError(BAD_SIGNATURE, "Host header is not signed")
    present = sorted({name.lower() for name in headers})
    unsigned = [n for n in present if _must_be_signed(n, service) and n not in signed_names]
    if unsigned:
        raise AuthError(UNSIGNED_HEADERS, ",".join(unsigned))
    return Pending(
        method=method,
        raw_path=raw_path,
        raw_query=raw_query,
        headers=headers,
        signed_names=tuple(signed_names),
        signature=signature,
        access_key=access_key,
        amz_date=amz_date,
        date=date,
        region=region,
        service=service,
        secret_key=credentials.secret_key,
        presigned=presigned,
    )


def verify(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers,
    credentials: Credentials,
    body_hash: str | None = None,
    now: float | None = None,
) -> SignedRequest:
    """:func:`check` then :meth:`Pending.finish` in one call (for bodiless requests).

    ``body_hash`` is the hex SHA-256 of the body, used when the request carries no
    ``x-amz-content-sha256`` header (non-S3 services).
    """
    pending = check(
        method=method,
        raw_path=raw_path,
        raw_query=raw_query,
        headers=headers,
        credentials=credentials,
        now=now,
    )
    return pending.finish(pending.payload_hash or body_hash or EMPTY_SHA256)


# Query parameters S3's SigV2 string-to-sign includes in the canonical resource.
V2_SUBRESOURCES = frozenset(
    [
        "accelerate",
        "acl",
        "cors",
        "defaultObjectAcl",
        "delete",
        "inventory",
        "lifecycle",
        "location",
        "logging",
        "metrics",
        "notification",
        "object-lock",
        "partNumber",
        "policy",
        "replication",
        "requestPayment",
        "restore",
        "response-cache-control",
        "response-content-disposition",
        "response-content-encoding",
        "response-content-language",
        "response-content-type",
        "response-expires",
        "select",
        "select-type",
        "storageClass",
        "tagging",
        "torrent",
        "uploadId",
        "uploads",
        "versionId",
        "versioning",
        "versions",
        "website",
        "analytics",
    ]
)


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def is_v2_presigned(raw_query: str) -> bool:
    params = query_pairs(raw_query)
    return "AWSAccessKeyId" in params and "Signature" in params


def verify_v2_query(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers,
    host_bucket: str | None,
    credentials: Credentials,
    now: float | None = None,
) -> None:
    """S3's SigV2 query-string authentication: HMAC-SHA1 over the verb, Content-MD5,
    Content-Type, ``Expires``, the ``x-amz-*`` headers (as headers or query parameters) and
    the canonical resource. Raises AuthError (``message`` of BAD_SIGNATURE: the string to sign).
    """
    now = time.time() if now is None else now
    params = query_pairs(raw_query)
    access_key = params["AWSAccessKeyId"]
    if access_key != credentials.access_key:
        raise AuthError(UNKNOWN_KEY, access_key)
    expires_text = params.get("Expires")
    if expires_text is None:
        raise AuthError(
            MISSING,
            "Query-string authentication requires the Signature, "
            "Expires and AWSAccessKeyId parameters",
        )
    try:
        expires = int(expires_text)
    except ValueError:
        raise AuthError(
            MALFORMED, f"Invalid date (should be seconds since epoch): {expires_text}"
        ) from None
    if now > expires:
        raise AuthError(EXPIRED, _iso(expires))
    amz: dict[str, list[str]] = {}
    for name in headers:
        lower = name.lower()
        if lower.startswith("x-amz-") and lower not in amz:
            amz[lower] = [" ".join(v.split()) for v in headers.get_all(name) or []]
    for name, value in params.items():
        lower = name.lower()
        if lower.startswith("x-amz-"):
            amz.setdefault(lower, []).append(value)
    token = next(iter(amz.get("x-amz-security-token", [])), None)
    if credentials.token is not None and token != credentials.token:
        raise AuthError(BAD_TOKEN, "The provided token is malformed or otherwise invalid.")
    resource = (f"/{host_bucket}" if host_bucket else "") + raw_path
    subresources = sorted(
        (name, value) for name, value in params.items() if name in V2_SUBRESOURCES
    )
    if subresources:
        resource += "?" + "&".join(f"{n}={v}" if v else n for n, v in subresources)
    string_to_sign = "".join(
        [
            f"{method}\n",
            f"{params.get('Content-MD5', headers.get('Content-MD5') or '')}\n",
            f"{params.get('Content-Type', headers.get('Content-Type') or '')}\n",
            f"{expires_text}\n",
            "".join(f"{name}:{','.join(amz[name])}\n" for name in sorted(amz)),
            resource,
        ]
    )
    digest = hmac.new(
        credentials.secret_key.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha1
    ).digest()
    expected = base64.b64encode(digest).decode("ascii")
    if not hmac.compare_digest(expected, params["Signature"]):
        raise AuthError(BAD_SIGNATURE, string_to_sign)


def query_pairs(raw_query: str) -> dict[str, str]:
    """The decoded query parameters; the first of a repeated name wins."""
    out: dict[str, str] = {}
    for part in raw_query.split("&") if raw_query else []:
        key, _, value = part.partition("=")
        out.setdefault(unquote(key), unquote(value))
    return out


def scope_service(headers, raw_query: str) -> str | None:
    """The service named in the credential scope, without verifying anything."""
    authorization = headers.get("Authorization") or ""
    if authorization.startswith(ALGORITHM + " "):
        start = authorization.find("Credential=")
        if start >= 0:
            credential = authorization[start + 11 :].split(",", 1)[0]
            parts = credential.split("/")
            if len(parts) == 5:
                return parts[3]
        return None
    credential = _query_dict(raw_query).get("X-Amz-Credential")
    if credential:
        parts = credential.split("/")
        if len(parts) == 5:
            return parts[3]
    return None


def _query_dict(raw_query: str) -> dict[str, str]:
    if not raw_query or "X-Amz-" not in raw_query:
        return {}
    out = {}
    for part in raw_query.split("&"):
        key, _, value = part.partition("=")
        out[unquote(key)] = unquote(value)
    return out


def chunk_string_to_sign(signed: SignedRequest, previous: str, chunk_sha256: str) -> str:
    return "\n".join(
        [
            "AWS4-HMAC-SHA256-PAYLOAD",
            signed.amz_date,
            signed.scope,
            previous,
            EMPTY_SHA256,
            chunk_sha256,
        ]
    )


def trailer_string_to_sign(signed: SignedRequest, previous: str, trailer: bytes) -> str:
    return "\n".join(
        [
            "AWS4-HMAC-SHA256-TRAILER",
            signed.amz_date,
            signed.scope,
            previous,
            hashlib.sha256(trailer).hexdigest(),
        ]
    )
