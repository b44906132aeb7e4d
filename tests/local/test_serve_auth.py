"""Signatures are verified on every request, with the error codes the real services use."""

from __future__ import annotations

import datetime
import http.client
from urllib.parse import urlsplit

import botocore.auth
import pytest

from conftest import ACCESS_KEY, SECRET_KEY, error_of, make_client


@pytest.fixture
def stale_clock(monkeypatch):
    """Clients sign with a clock 20 minutes behind."""
    real = botocore.auth.get_current_datetime

    def twenty_minutes_ago():
        return real() - datetime.timedelta(minutes=20)

    monkeypatch.setattr(botocore.auth, "get_current_datetime", twenty_minutes_ago)


def test_wrong_secret(shared_serve):
    runtime = make_client("sagemaker-runtime", shared_serve.url, secret="wrong")
    status, code, message = error_of(runtime.invoke_endpoint_async, EndpointName="echo", Body=b"x")
    assert (status, code) == (403, "InvalidSignatureException")
    assert message.startswith("The request signature we calculated does not match")
    s3 = make_client("s3", shared_serve.url, secret="wrong")
    assert error_of(s3.list_buckets)[:2] == (403, "SignatureDoesNotMatch")


def test_unknown_access_key(shared_serve):
    runtime = make_client("sagemaker-runtime", shared_serve.url, key="AKIDUNKNOWN")
    status, code, message = error_of(runtime.invoke_endpoint_async, EndpointName="echo", Body=b"x")
    assert (status, code) == (403, "UnrecognizedClientException")
    assert message == "The security token included in the request is invalid."
    s3 = make_client("s3", shared_serve.url, key="AKIDUNKNOWN")
    assert error_of(s3.list_buckets)[:2] == (403, "InvalidAccessKeyId")


def test_stale_date(shared_serve, stale_clock):
    runtime = make_client("sagemaker-runtime", shared_serve.url)
    status, code, message = error_of(runtime.invoke_endpoint_async, EndpointName="echo", Body=b"x")
    assert (status, code) == (403, "InvalidSignatureException")
    assert message.startswith("Signature expired: ") and message.endswith(" - 15 min.)")
    s3 = make_client("s3", shared_serve.url)
    assert error_of(s3.list_buckets)[:2] == (403, "RequestTimeTooSkewed")


def test_tampered_request_is_refused(shared_serve):
    """A signed header changed after signing: the signature no longer matches."""
    runtime = make_client("sagemaker-runtime", shared_serve.url)

    def tamper(request, **kwargs):
        request.headers["X-Amzn-SageMaker-Content-Type"] = "text/evil"

    runtime.meta.events.register_last("request-created.sagemaker-runtime", tamper)
    status, code, _ = error_of(
        runtime.invoke_endpoint_async, EndpointName="echo", Body=b"x", ContentType="text/plain"
    )
    assert (status, code) == (403, "InvalidSignatureException")


def test_body_changed_after_signing_is_refused(shared_serve):
    runtime = make_client("sagemaker-runtime", shared_serve.url)

    def tamper(request, **kwargs):
        request.data = b"y"

    runtime.meta.events.register_last("request-created.sagemaker-runtime", tamper)
    status, code, _ = error_of(runtime.invoke_endpoint_async, EndpointName="echo", Body=b"x")
    assert (status, code) == (403, "InvalidSignatureException")


def test_unsigned_requests(shared_serve):
    parts = urlsplit(shared_serve.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("POST", "/endpoints/echo/async-invocations", body=b"x")
    response = conn.getresponse()
    assert response.status == 403
    assert response.getheader("x-amzn-ErrorType") == "MissingAuthenticationTokenException"
    response.read()
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.status == 403 and b"<Code>AccessDenied</Code>" in response.read()
    conn.close()


def test_session_token_is_required_when_serve_has_one(start_serve):
    server = start_serve(env={"AWS_SESSION_TOKEN": "the-token"})
    without = make_client("s3", server.url)
    assert error_of(without.list_buckets)[:2] == (400, "InvalidToken")
    import botocore.session

    with_token = botocore.session.Session().create_client(
        "s3",
        region_name="us-east-1",
        endpoint_url=server.url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token="the-token",
    )
    assert "Buckets" in with_token.list_buckets()


def signed_then_sent(url: str, service: str, method: str, path: str, body: bytes, headers=None):
    """Sign a request with botocore, then let ``headers`` change what is sent: the tampering
    a proxy or an attacker could do after signing."""
    import http.client as client

    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method, url + path, data=body)
    signer = S3SigV4Auth if service == "s3" else SigV4Auth
    signer(Credentials(ACCESS_KEY, SECRET_KEY), service, "us-east-1").add_auth(request)
    sent = dict(request.headers.items())
    sent.update(headers or {})
    body = sent.pop("__body__", body)
    parts = urlsplit(url)
    conn = client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request(method, path, body=body, headers=sent)
    response = conn.getresponse()
    result = response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    conn.close()
    return result


def test_tampered_body_with_an_unsigned_payload_hash_is_refused(shared_serve):
    import hashlib

    original = b'{"original": true}'
    status, headers, _ = signed_then_sent(
        shared_serve.url,
        "sagemaker",
        "POST",
        "/endpoints/echo/async-invocations",
        original,
        {"X-Amz-Content-SHA256": hashlib.sha256(original).hexdigest(), "__body__": b"evil"},
    )
    assert (status, headers["x-amzn-errortype"]) == (403, "InvalidSignatureException")


def test_signed_payload_hash_must_match_the_body(shared_serve):
    import hashlib

    original = b'{"original": true}'
    digest = hashlib.sha256(original).hexdigest()
    runtime = make_client("sagemaker-runtime", shared_serve.url)

    def declare_and_swap(request, **kwargs):
        request.headers["X-Amz-Content-SHA256"] = digest  # signed: added before signing

    runtime.meta.events.register("before-sign.sagemaker-runtime", declare_and_swap)

    def swap_body(request, **kwargs):
        request.data = b"evil!"

    runtime.meta.events.register_last("request-created.sagemaker-runtime", swap_body)
    status, code, _ = error_of(runtime.invoke_endpoint_async, EndpointName="echo", Body=original)
    assert (status, code) == (403, "InvalidSignatureException")


@pytest.mark.parametrize(
    "header",
    ["X-Amzn-SageMaker-Custom-Attributes", "X-Amzn-SageMaker-Content-Type", "X-Amz-Meta-Extra"],
)
def test_unsigned_sagemaker_and_amz_headers_are_refused_on_the_runtime(shared_serve, header):
    status, headers, body = signed_then_sent(
        shared_serve.url,
        "sagemaker",
        "POST",
        "/endpoints/echo/async-invocations",
        b"{}",
        {header: "added-after-signing"},
    )
    assert (status, headers["x-amzn-errortype"]) == (403, "InvalidSignatureException")
    assert header.lower().encode() in body


def test_unsigned_amz_headers_are_refused_by_s3(shared_serve):
    s3 = shared_serve.client("s3")
    s3.create_bucket(Bucket="unsigned-headers")
    status, _, body = signed_then_sent(
        shared_serve.url,
        "s3",
        "PUT",
        "/unsigned-headers/k",
        b"data",
        {"x-amz-meta-owner": "mallory"},
    )
    assert status == 403
    assert b"<Code>AccessDenied</Code>" in body
    assert b"There were headers present in the request which were not signed" in body
    assert b"<HeadersNotSigned>x-amz-meta-owner</HeadersNotSigned>" in body
    assert "Contents" not in s3.list_objects_v2(Bucket="unsigned-headers")


def test_sigv2_presigned_url_with_a_session_token_and_tampering(start_serve):
    import urllib.error
    import urllib.request

    import boto3

    server = start_serve(env={"AWS_SESSION_TOKEN": "the-token"})
    session = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token="the-token",
        region_name="us-east-1",
    )
    s3 = session.client("s3", endpoint_url=server.url)
    s3.create_bucket(Bucket="v2-token")
    s3.put_object(Bucket="v2-token", Key="k", Body=b"token ok")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "v2-token", "Key": "k"})
    assert "x-amz-security-token=the-token" in url
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"token ok"
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url.replace("the-token", "other-token"), timeout=10)
    assert info.value.code in (400, 403)
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url.replace("Expires=", "Expires=1"), timeout=10)
    assert info.value.code == 403 and b"SignatureDoesNotMatch" in info.value.read()


def test_sigv2_authorization_header_is_refused_as_s3_does(shared_serve):
    import http.client as client

    parts = urlsplit(shared_serve.url)
    conn = client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", "/", headers={"Authorization": f"AWS {ACCESS_KEY}:c2lnbmF0dXJl"})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    assert response.status == 400 and b"<Code>InvalidRequest</Code>" in body
    assert b"Please use AWS4-HMAC-SHA256." in body
