"""Server-side AWS Signature Version 4 verification (header and presigned-query forms).

The canonical request is rebuilt from what the client declared it signed (``SignedHeaders``),
so any SDK's choice of headers verifies, not only botocore's. Failures raise
:class:`AuthError` carrying a neutral reason; the S3 and runtime fronts translate the reason
into their own error codes (see ``S3_ERRORS``/``RUNTIME_ERRORS`` in their modules).
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import time
from dataclasses import dataclass
from urllib.parse import quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW_SECONDS = 15 * 60
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

# Reasons, mapped to each service's error code by the fronts.
MISSING = "missing"  # no Authorization header and no presigned query
MALFORMED = "malformed"  # unparsable Authorization / credential scope
UNKNOWN_KEY = "unknown-key"
BAD_SIGNATURE = "bad-signature"
SKEWED = "skewed"  # X-Amz-Date more than 15 minutes away from now
EXPIRED = "expired"  # presigned URL past X-Amz-Expires
BAD_TOKEN = "bad-token"  # session token missing or different


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
    """Verify the request's SigV4 signature; return what it establishes or raise AuthError.

    ``headers`` is an ``email.message.Message``-like mapping (``get``/``get_all``).
    ``body_hash`` is the hex SHA-256 of the body, used when the request carries no
    ``x-amz-content-sha256`` header (non-S3 services).
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
        try:
            expires = int(query_params.get("X-Amz-Expires", "0"))
        except ValueError:
            raise AuthError(MALFORMED, "Invalid X-Amz-Expires") from None
        if now > request_time + expires:
            raise AuthError(EXPIRED, amz_date)
        if request_time - now > MAX_SKEW_SECONDS:
            raise AuthError(SKEWED, amz_date)
    elif abs(now - request_time) > MAX_SKEW_SECONDS:
        raise AuthError(SKEWED, amz_date)

    if presigned:
        payload_hash = "UNSIGNED-PAYLOAD"
    else:
        payload_hash = headers.get("X-Amz-Content-SHA256") or body_hash or EMPTY_SHA256
    if "host" not in signed_names:
        raise AuthError(BAD_SIGNATURE, "Host header is not signed")
    creq = "\n".join(
        [
            method,
            canonical_uri(raw_path, service),
            canonical_query(raw_query, drop="X-Amz-Signature" if presigned else None),
            canonical_headers(signed_names, headers.get_all),
            ";".join(signed_names),
            payload_hash,
        ]
    )
    scope = f"{date}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        [ALGORITHM, amz_date, scope, hashlib.sha256(creq.encode("utf-8")).hexdigest()]
    )
    key = signing_key(credentials.secret_key, date, region, service)
    expected = sign(key, string_to_sign)
    if not hmac.compare_digest(expected, signature):
        raise AuthError(BAD_SIGNATURE, string_to_sign)
    return SignedRequest(
        access_key=access_key,
        amz_date=amz_date,
        scope=scope,
        region=region,
        service=service,
        signature=signature,
        signing_key=key,
        payload_hash=payload_hash,
    )


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
