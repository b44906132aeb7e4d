"""Malformed and oversized requests get the right error, and nothing is stored."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, REGION, SECRET_KEY


def raw(url: str, method: str, path: str, body: bytes = b"", headers=None, sign: str | None = None):
    headers = dict(headers or {})
    if sign:
        request = AWSRequest(method, url + path, data=body, headers=headers)
        SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), sign, REGION).add_auth(request)
        headers = dict(request.headers.items())
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    result = response.status, {k.lower(): v for k, v in response.getheaders()}, data
    conn.close()
    return result


def declared_only(url: str, path: str, length: int, headers: dict[str, str], method="POST"):
    """Send a request's headers declaring ``length`` body bytes, then wait for the answer
    without sending any: a server that reads the body first would never answer."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    conn.putrequest(method, path)
    conn.putheader("Content-Length", str(length))
    for name, value in headers.items():
        conn.putheader(name, value)
    conn.endheaders()
    response = conn.getresponse()
    result = response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    conn.close()
    return result


def test_a_declared_gigabyte_is_refused_before_any_byte_is_read(shared_serve):
    status, headers, body = declared_only(
        shared_serve.url, "/endpoints/echo/async-invocations", 10**9, {}
    )
    assert status == 413 and headers["connection"] == "close"
    assert b"HTTP content length exceeded" in body
    s3 = shared_serve.client("s3")
    s3.create_bucket(Bucket="declared")
    status, _, body = declared_only(shared_serve.url, "/declared/big", 6 * 1024**3, {}, "PUT")
    assert status == 403 and b"<Code>AccessDenied</Code>" in body  # unsigned: before the length
    request = AWSRequest(
        "PUT",
        shared_serve.url + "/declared/big",
        headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD", "Content-Length": str(6 * 1024**3)},
    )
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION).add_auth(request)
    signed = {k: v for k, v in request.headers.items() if k != "Content-Length"}
    status, _, body = declared_only(shared_serve.url, "/declared/big", 6 * 1024**3, signed, "PUT")
    assert status == 400 and b"<Code>EntityTooLarge</Code>" in body


def backlog_total(server) -> int:
    entry = server.status()["echo"]
    return entry["ApproximateBacklogSize"] + entry["Completed"] + entry["Failed"]


def test_garbage_authorization_header(shared_serve):
    status, headers, _ = raw(
        shared_serve.url,
        "POST",
        "/endpoints/echo/async-invocations",
        b"x",
        {"Authorization": "AWS4-HMAC-SHA256 nonsense"},
    )
    assert status == 400 and headers["x-amzn-errortype"] == "IncompleteSignatureException"
    status, _, body = raw(shared_serve.url, "GET", "/", headers={"Authorization": "Basic Zm9v"})
    assert status == 400 and b"AuthorizationHeaderMalformed" in body


def test_oversized_runtime_body_is_refused_and_not_queued(shared_serve):
    before = backlog_total(shared_serve)
    status, headers, body = raw(
        shared_serve.url,
        "POST",
        "/endpoints/echo/async-invocations",
        b"x" * 200_000,
        sign="sagemaker",
    )
    assert status == 400 and headers["x-amzn-errortype"] == "ValidationError"
    assert b"less than or equal to 128000" in body
    status, headers, body = declared_only(
        shared_serve.url,
        "/endpoints/echo/async-invocations",
        17 * 1024 * 1024,
        {
            "Authorization": "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/sagemaker/aws4_request"
        },
    )
    assert status == 413
    assert body == b'{"message": "HTTP content length exceeded 5246976 bytes."}'
    assert backlog_total(shared_serve) == before


def test_bad_content_length(shared_serve):
    parts = urlsplit(shared_serve.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.putrequest("PUT", "/bucket/key")
    conn.putheader("Content-Length", "abc")
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 400
    conn.close()


def test_put_without_length_is_refused(shared_serve):
    s3 = shared_serve.client("s3")
    s3.create_bucket(Bucket="malformed")
    url = shared_serve.url
    request = AWSRequest(
        "PUT", url + "/malformed/k", headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}
    )
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION).add_auth(request)
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.putrequest("PUT", "/malformed/k", skip_host=True)
    conn.putheader("Host", parts.netloc)
    for name, value in request.headers.items():
        conn.putheader(name, value)
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 411 and b"MissingContentLength" in response.read()
    conn.close()


def test_malformed_complete_multipart_xml(shared_serve):
    s3 = shared_serve.client("s3")
    s3.create_bucket(Bucket="malformed-xml")
    upload_id = s3.create_multipart_upload(Bucket="malformed-xml", Key="k")["UploadId"]
    body = b"<CompleteMultipartUpload><Part><PartNumber>x"
    status, _, data = raw(
        shared_serve.url,
        "POST",
        f"/malformed-xml/k?uploadId={upload_id}",
        body,
        {"X-Amz-Content-SHA256": __import__("hashlib").sha256(body).hexdigest()},
        sign="s3",
    )
    assert status == 400 and b"<Code>MalformedXML</Code>" in data
    with pytest.raises(ClientError):
        s3.head_object(Bucket="malformed-xml", Key="k")


def test_unknown_s3_subresource_is_not_implemented(shared_serve):
    s3 = shared_serve.client("s3")
    s3.create_bucket(Bucket="subresources")
    with pytest.raises(ClientError) as info:
        s3.put_bucket_versioning(
            Bucket="subresources", VersioningConfiguration={"Status": "Enabled"}
        )
    assert info.value.response["Error"]["Code"] == "NotImplemented"
    # reads of what serve never sets answer the truth: never enabled
    assert "Status" not in s3.get_bucket_versioning(Bucket="subresources")
