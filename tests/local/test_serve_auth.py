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
