"""The independent SigV4 verifier: botocore signs, ``tests/sigv4.py`` checks."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import sigv4

ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "fake-secret-key"
SECRETS = {ACCESS_KEY: SECRET}
SERVICE = "sagemaker"
# A path already percent-encoded as a client puts it on the wire: a space, an encoded slash,
# a colon, non-ASCII and an unreserved tilde, so the verifier's second encoding matters.
PATH = "/endpoints/my%20end%2Fpoint%3Av1-%C3%A9~x/async-invocations"
QUERY = "b=x%20y&a=2&a=1&empty="
BODY = b'{"hello": "world \xe2\x9c\x93"}'


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def botocore_signed(
    *,
    method: str = "POST",
    path: str = PATH,
    query: str = QUERY,
    headers: dict[str, str] | None = None,
    body: bytes = BODY,
    secret: str = SECRET,
    service: str = SERVICE,
) -> dict:
    """A request signed by botocore, as the verifier will see it."""
    url = f"http://127.0.0.1:8080{path}" + (f"?{query}" if query else "")
    request = AWSRequest(
        method=method,
        url=url,
        headers={
            "Content-Type": "application/json",
            "X-Amzn-SageMaker-Custom-Attributes": "  spaced    out\t value  ",
            **(headers or {}),
        },
        data=body,
    )
    SigV4Auth(Credentials(ACCESS_KEY, secret), service, "us-east-1").add_auth(request)
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    # botocore signs Host but leaves sending it to the HTTP client; add it as that would.
    return {
        "method": prepared.method,
        "path": parts.path,
        "query": parts.query,
        "headers": {"Host": parts.netloc, **dict(prepared.headers.items())},
        "body": prepared.body or b"",
    }


def check(request: dict, service: str = SERVICE, when: dt.datetime | None = None):
    return sigv4.verify(
        request["method"],
        request["path"],
        request["query"],
        request["headers"],
        request["body"],
        SECRETS,
        service,
        now=when or now(),
    )


def test_accepts_a_botocore_signed_request():
    assert check(botocore_signed()) == (True, "ok")


def test_accepts_an_empty_body_without_query():
    assert check(botocore_signed(query="", body=b"")) == (True, "ok")


def test_accepts_a_callable_secret_lookup():
    request = botocore_signed()
    ok, reason = sigv4.verify(
        request["method"],
        request["path"],
        request["query"],
        request["headers"],
        request["body"],
        SECRETS.get,
        SERVICE,
    )
    assert (ok, reason) == (True, "ok")


def test_accepts_headers_as_pairs_with_other_casing():
    request = botocore_signed()
    request["headers"] = [(name.upper(), value) for name, value in request["headers"].items()]
    assert check(request) == (True, "ok")


def test_unsigned_headers_may_change():
    request = botocore_signed()
    request["headers"]["User-Agent"] = "something else"  # botocore never signs it
    assert check(request) == (True, "ok")


def test_header_whitespace_is_canonicalised():
    request = botocore_signed()
    request["headers"]["X-Amzn-SageMaker-Custom-Attributes"] = "spaced out value"
    assert check(request) == (True, "ok")


def test_accepts_a_matching_declared_payload_hash():
    body_hash = sigv4.sha256_hex(BODY)
    assert check(botocore_signed(headers={"X-Amz-Content-SHA256": body_hash})) == (True, "ok")


def _without_authorization(request: dict) -> dict:
    request["headers"] = {k: v for k, v in request["headers"].items() if k != "Authorization"}
    return request


def _replace_header(name: str, value: str):
    def tamper(request: dict) -> dict:
        request["headers"][name] = value
        return request

    return tamper


def _replace(field: str, value):
    def tamper(request: dict) -> dict:
        request[field] = value
        return request

    return tamper


@pytest.mark.parametrize(
    ("signed", "tamper", "reason"),
    [
        pytest.param({"secret": "wrong-secret"}, None, "signature mismatch", id="wrong-secret"),
        pytest.param(
            {}, _replace_header("Content-Type", "text/plain"), "signature mismatch", id="header"
        ),
        pytest.param(
            {},
            _replace_header("X-Amzn-SageMaker-Custom-Attributes", "spaced out value!"),
            "signature mismatch",
            id="whitespace-header",
        ),
        pytest.param({}, _replace("body", BODY + b" "), "signature mismatch", id="body"),
        pytest.param({}, _replace("path", PATH.replace("%20", "_")), "mismatch", id="path"),
        pytest.param({}, _replace("query", "b=x%20y&a=2"), "signature mismatch", id="query"),
        pytest.param({}, _replace("method", "PUT"), "signature mismatch", id="method"),
        pytest.param(
            {"service": "execute-api"}, None, "credential scope service", id="wrong-service"
        ),
        pytest.param({}, _without_authorization, "missing Authorization", id="unsigned"),
        pytest.param(
            {"headers": {"X-Amz-Content-SHA256": "0" * 64}},
            None,
            "does not match the body",
            id="declared-payload-hash",
        ),
    ],
)
def test_refuses(signed, tamper, reason):
    request = botocore_signed(**signed)
    if tamper:
        request = tamper(request)
    ok, why = check(request)
    assert not ok
    assert reason in why


def test_refuses_an_unknown_access_key():
    request = botocore_signed()
    ok, why = sigv4.verify(
        request["method"],
        request["path"],
        request["query"],
        request["headers"],
        request["body"],
        {"SOMEONE-ELSE": SECRET},
        SERVICE,
    )
    assert not ok
    assert "unknown access key" in why


def test_refuses_a_missing_signed_header():
    request = botocore_signed()
    del request["headers"]["Content-Type"]
    ok, why = check(request)
    assert not ok
    assert "absent" in why


def test_refuses_a_stale_signature_only_when_given_now():
    request = botocore_signed()
    an_hour_later = now() + dt.timedelta(hours=1)
    ok, why = check(request, when=an_hour_later)
    assert not ok
    assert "too far" in why
    no_clock = sigv4.verify(
        request["method"],
        request["path"],
        request["query"],
        request["headers"],
        request["body"],
        SECRETS,
        SERVICE,
    )
    assert no_clock == (True, "ok")


def test_refuses_a_malformed_authorization_header():
    request = botocore_signed()
    request["headers"]["Authorization"] = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/x"
    ok, why = check(request)
    assert not ok
    assert "Authorization lacks" in why


def test_canonical_uri_encodes_again_except_for_s3():
    assert sigv4.canonical_uri("/a%20b//c/./d/../e~", "sagemaker") == "/a%2520b/c/e~"
    assert sigv4.canonical_uri("/a%20b//c", "s3") == "/a%20b//c"
    assert sigv4.canonical_uri("", "sagemaker") == "/"
    assert sigv4.canonical_uri("/x/", "sagemaker") == "/x/"


def test_canonical_query_sorts_and_encodes_strictly():
    assert sigv4.canonical_query("b=x%20y&a=2&a=1&c&d=%7e") == "a=1&a=2&b=x%20y&c=&d=~"


def test_canonical_headers_trim_and_join_repeats():
    grouped = sigv4.group_headers([("X-A", "  one   two\t\tthree "), ("x-a", " four "), ("B", "")])
    assert sigv4.canonical_headers(grouped, ["b", "x-a"]) == "b:\nx-a:one two three,four\n"


# --- AWS's published SigV4 test suite -------------------------------------------------------
# Inputs and expected values of the "get-vanilla" and "get-vanilla-query-order-key-case" cases
# of the AWS Signature Version 4 test suite (aws-sig-v4-test-suite, published by Amazon Web
# Services in the AWS General Reference). Typed in here as test data.
SUITE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SUITE_HEADERS = {"Host": "example.amazonaws.com", "X-Amz-Date": "20150830T123600Z"}
SUITE_SCOPE = "20150830/us-east-1/service/aws4_request"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
GET_VANILLA_CANONICAL = (
    "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
    + EMPTY_SHA256
)
GET_VANILLA_STRING_TO_SIGN = (
    "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
    "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
)
GET_VANILLA_SIGNATURE = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
QUERY_ORDER_SIGNATURE = "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"


def suite_authorization(signature: str) -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{SUITE_SCOPE}, "
        f"SignedHeaders=host;x-amz-date, Signature={signature}"
    )


def test_get_vanilla_intermediate_values():
    grouped = sigv4.group_headers(SUITE_HEADERS)
    canonical = sigv4.canonical_request(
        "GET", "/", "", grouped, ["host", "x-amz-date"], EMPTY_SHA256, "service"
    )
    assert canonical == GET_VANILLA_CANONICAL
    to_sign = sigv4.string_to_sign("20150830T123600Z", SUITE_SCOPE, canonical)
    assert to_sign == GET_VANILLA_STRING_TO_SIGN
    signature = sigv4.signature(SUITE_SECRET, "20150830", "us-east-1", "service", to_sign)
    assert signature == GET_VANILLA_SIGNATURE


@pytest.mark.parametrize(
    ("query", "signature"),
    [
        pytest.param("", GET_VANILLA_SIGNATURE, id="get-vanilla"),
        pytest.param(
            "Param2=value2&Param1=value1", QUERY_ORDER_SIGNATURE, id="get-vanilla-query-order"
        ),
    ],
)
def test_published_vectors_verify(query, signature):
    headers = {**SUITE_HEADERS, "Authorization": suite_authorization(signature)}
    secrets = {"AKIDEXAMPLE": SUITE_SECRET}
    assert sigv4.verify("GET", "/", query, headers, b"", secrets, "service") == (True, "ok")
    wrong = {"AKIDEXAMPLE": SUITE_SECRET + "x"}
    assert sigv4.verify("GET", "/", query, headers, b"", wrong, "service")[0] is False
