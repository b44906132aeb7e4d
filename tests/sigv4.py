"""An independent AWS Signature Version 4 verifier, written from the published algorithm.

It deliberately shares no code with botocore's signer: the tests sign with botocore and check
with this, so a bug in one is not hidden by the same bug in the other.

Only header-based auth (``Authorization: AWS4-HMAC-SHA256 ...``) is supported; that is all the
CLI sends.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
# AWS rejects requests whose signing time is further than this from its own clock.
MAX_CLOCK_SKEW = dt.timedelta(minutes=15)
# RFC 3986 unreserved characters are the only ones SigV4 leaves un-encoded.
UNRESERVED = "-_.~"

Headers = Mapping[str, str] | Iterable[tuple[str, str]]
SecretLookup = Callable[[str], str | None] | Mapping[str, str]

_HEX64 = re.compile(r"[0-9a-f]{64}")
_SPACE_RUN = re.compile(r"[ \t]+")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def uri_encode(text: str, *, keep_slash: bool = False) -> str:
    """Percent-encode everything but unreserved characters, upper-case hex, UTF-8 first."""
    return quote(text, safe=UNRESERVED + ("/" if keep_slash else ""), encoding="utf-8")


def _remove_dot_segments(path: str) -> list[str]:
    """RFC 3986 dot-segment removal; AWS also drops empty segments (``//``)."""
    out: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if out:
                out.pop()
            continue
        out.append(segment)
    return out


def canonical_uri(path: str, service: str) -> str:
    """The canonical form of the path as it was sent on the wire (already encoded once).

    Every service but S3 encodes the path a second time and normalises it; S3 signs it as sent.
    """
    if not path:
        return "/"
    if service == "s3":
        return path
    segments = [uri_encode(segment) for segment in _remove_dot_segments(path)]
    trailing = "/" if path.endswith("/") and segments else ""
    return "/" + "/".join(segments) + trailing


def canonical_query(query: str) -> str:
    """Decode each name and value, re-encode them strictly, sort by name then value."""
    if not query:
        return ""
    pairs = []
    for item in query.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        # unquote, not unquote_plus: SigV4 treats '+' literally.
        pairs.append((uri_encode(unquote(name)), uri_encode(unquote(value))))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _trim(value: str) -> str:
    return _SPACE_RUN.sub(" ", value.strip(" \t"))


def group_headers(headers: Headers) -> dict[str, list[str]]:
    """Lower-case names mapped to every value sent under that name, in order."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    grouped: dict[str, list[str]] = {}
    for name, value in items:
        grouped.setdefault(name.lower().strip(), []).append(value)
    return grouped


def canonical_headers(grouped: Mapping[str, list[str]], signed: list[str]) -> str:
    # Repeated headers are joined with commas, each value trimmed on its own.
    return "".join(f"{name}:{','.join(_trim(v) for v in grouped[name])}\n" for name in signed)


def canonical_request(
    method: str,
    path: str,
    query: str,
    grouped: Mapping[str, list[str]],
    signed: list[str],
    payload_hash: str,
    service: str,
) -> str:
    return "\n".join(
        [
            method.upper(),
            canonical_uri(path, service),
            canonical_query(query),
            canonical_headers(grouped, signed),
            ";".join(signed),
            payload_hash,
        ]
    )


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    return "\n".join([ALGORITHM, amz_date, scope, sha256_hex(canonical.encode("utf-8"))])


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = _hmac(("AWS4" + secret).encode("utf-8"), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, "aws4_request")


def signature(secret: str, date: str, region: str, service: str, to_sign: str) -> str:
    return hmac.new(
        signing_key(secret, date, region, service), to_sign.encode("utf-8"), hashlib.sha256
    ).hexdigest()


class _Refused(Exception):
    """Raised inside the verifier; becomes the (False, reason) result."""


def parse_authorization(value: str) -> dict[str, str]:
    """Split ``AWS4-HMAC-SHA256 Credential=.., SignedHeaders=.., Signature=..`` into parts."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise _Refused(f"unsupported algorithm {algorithm!r}")
    parts: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, val = item.strip().partition("=")
        if not sep:
            raise _Refused(f"malformed Authorization component {item.strip()!r}")
        parts[key] = val
    missing = {"Credential", "SignedHeaders", "Signature"} - parts.keys()
    if missing:
        raise _Refused(f"Authorization lacks {', '.join(sorted(missing))}")
    return parts


def _single(grouped: Mapping[str, list[str]], name: str) -> str | None:
    values = grouped.get(name)
    return _trim(values[-1]) if values else None


def _request_time(grouped: Mapping[str, list[str]]) -> str:
    """The signing time in SigV4's basic format, from X-Amz-Date or else Date."""
    amz_date = _single(grouped, "x-amz-date")
    if amz_date:
        return amz_date
    date = _single(grouped, "date")
    if not date:
        raise _Refused("no x-amz-date or date header")
    try:
        parsed = email.utils.parsedate_to_datetime(date)
    except (TypeError, ValueError) as exc:
        raise _Refused(f"unparseable date header {date!r}") from exc
    return parsed.astimezone(dt.timezone.utc).strftime(AMZ_DATE_FORMAT)


def _check_skew(amz_date: str, now: dt.datetime) -> None:
    try:
        signed_at = dt.datetime.strptime(amz_date, AMZ_DATE_FORMAT).replace(tzinfo=dt.timezone.utc)
    except ValueError as exc:
        raise _Refused(f"malformed signing time {amz_date!r}") from exc
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.timezone.utc)
    if abs(now - signed_at) > MAX_CLOCK_SKEW:
        raise _Refused(f"signing time {amz_date} too far from now")


def _lookup_secret(secret_lookup: SecretLookup, access_key: str) -> str | None:
    if isinstance(secret_lookup, Mapping):
        return secret_lookup.get(access_key)
    return secret_lookup(access_key)


def _payload_hash(grouped: Mapping[str, list[str]], body: bytes) -> str:
    actual = sha256_hex(body)
    declared = _single(grouped, "x-amz-content-sha256")
    if declared is None:
        return actual
    # A declared digest must still describe the body that arrived.
    if _HEX64.fullmatch(declared) and declared != actual:
        raise _Refused("x-amz-content-sha256 does not match the body")
    return declared


def _verify(method, path, query, headers, body, secret_lookup, service, now) -> None:
    grouped = group_headers(headers)
    authorization = _single(grouped, "authorization")
    if not authorization:
        raise _Refused("missing Authorization header")
    parts = parse_authorization(authorization)

    scope_parts = parts["Credential"].split("/")
    if len(scope_parts) != 5 or scope_parts[4] != "aws4_request":
        raise _Refused(f"malformed credential scope {parts['Credential']!r}")
    access_key, date, region, scope_service, _ = scope_parts
    if scope_service != service:
        raise _Refused(f"credential scope service {scope_service!r} is not {service!r}")

    amz_date = _request_time(grouped)
    if amz_date[:8] != date:
        raise _Refused(f"credential date {date} does not match signing time {amz_date}")
    if now is not None:
        _check_skew(amz_date, now)

    signed = parts["SignedHeaders"].split(";")
    if signed != sorted(signed) or any(name != name.lower() for name in signed):
        raise _Refused("SignedHeaders not lower-case and sorted")
    if "host" not in signed:
        raise _Refused("host is not signed")
    absent = [name for name in signed if name not in grouped]
    if absent:
        raise _Refused(f"signed headers absent from request: {', '.join(absent)}")

    secret = _lookup_secret(secret_lookup, access_key)
    if secret is None:
        raise _Refused(f"unknown access key {access_key!r}")

    canonical = canonical_request(
        method, path, query, grouped, signed, _payload_hash(grouped, body), service
    )
    scope = f"{date}/{region}/{service}/aws4_request"
    expected = signature(secret, date, region, service, string_to_sign(amz_date, scope, canonical))
    if not hmac.compare_digest(expected, parts["Signature"]):
        raise _Refused("signature mismatch")


def verify(
    method: str,
    path: str,
    query: str,
    headers: Headers,
    body: bytes,
    secret_lookup: SecretLookup,
    service: str,
    now: dt.datetime | None = None,
) -> tuple[bool, str]:
    """Check a request's SigV4 signature.

    ``path`` and ``query`` are exactly as sent on the wire (still percent-encoded); ``headers``
    is a mapping or a list of (name, value) pairs, the latter keeping repeated headers;
    ``secret_lookup`` maps an access key id to its secret (callable or mapping; None/missing =
    unknown). With ``now`` the signing time must also be within 15 minutes of it.
    Returns ``(True, "ok")`` or ``(False, why)``.
    """
    try:
        _verify(method, path, query, headers, body, secret_lookup, service, now)
    except _Refused as refused:
        return False, str(refused)
    return True, "ok"
