"""The S3 subset of ``serve`` through botocore's s3 client (and hand-built aws-chunked bodies)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import zlib
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, REGION, SECRET_KEY, make_client
from sagemaker_async.local.s3 import checksums

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def s3(shared_serve):
    return shared_serve.client("s3")


@pytest.fixture(scope="module")
def bucket(s3):
    s3.create_bucket(Bucket="s3-tests")
    return "s3-tests"


def code_of(call, **kwargs) -> tuple[int, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    response = info.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def test_buckets(s3):
    s3.create_bucket(Bucket="b-one")
    s3.head_bucket(Bucket="b-one")
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert "b-one" in names
    # us-east-1 answers 200 to the owner creating its bucket again (elsewhere: 409)
    assert s3.create_bucket(Bucket="b-one")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert code_of(s3.head_bucket, Bucket="b-missing") == (404, "404")
    assert code_of(s3.list_objects_v2, Bucket="b-missing") == (404, "NoSuchBucket")
    assert code_of(s3.create_bucket, Bucket="Bad_Name") == (400, "InvalidBucketName")
    s3.delete_bucket(Bucket="b-one")
    assert "b-one" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_put_get_range_head_delete(s3, bucket):
    body = bytes(range(256)) * 4
    put = s3.put_object(
        Bucket=bucket,
        Key="dir/obj ü+%.bin",
        Body=body,
        ContentType="application/x-test",
        Metadata={"origin": "test"},
    )
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="dir/obj ü+%.bin")
    assert got["Body"].read() == body
    assert got["ContentType"] == "application/x-test"
    assert got["Metadata"] == {"origin": "test"}
    part = s3.get_object(Bucket=bucket, Key="dir/obj ü+%.bin", Range="bytes=10-19")
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert part["ContentRange"] == f"bytes 10-19/{len(body)}"
    assert part["Body"].read() == body[10:20]
    tail = s3.get_object(Bucket=bucket, Key="dir/obj ü+%.bin", Range="bytes=-5")
    assert tail["Body"].read() == body[-5:]
    assert code_of(s3.get_object, Bucket=bucket, Key="dir/obj ü+%.bin", Range="bytes=5000-") == (
        416,
        "InvalidRange",
    )
    head = s3.head_object(Bucket=bucket, Key="dir/obj ü+%.bin")
    assert head["ContentLength"] == len(body)
    s3.delete_object(Bucket=bucket, Key="dir/obj ü+%.bin")
    assert code_of(s3.get_object, Bucket=bucket, Key="dir/obj ü+%.bin") == (404, "NoSuchKey")
    assert code_of(s3.head_object, Bucket=bucket, Key="dir/obj ü+%.bin") == (404, "404")


def test_list_objects_v2_prefix_delimiter_continuation(s3):
    s3.create_bucket(Bucket="listing")
    keys = ["a/1", "a/2", "a/b/3", "b/4", "c", "d"]
    for key in keys:
        s3.put_object(Bucket="listing", Key=key, Body=key.encode())
    everything = s3.list_objects_v2(Bucket="listing")
    assert [o["Key"] for o in everything["Contents"]] == keys
    assert everything["KeyCount"] == 6 and not everything["IsTruncated"]
    top = s3.list_objects_v2(Bucket="listing", Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/", "b/"]
    assert [o["Key"] for o in top["Contents"]] == ["c", "d"]
    under_a = s3.list_objects_v2(Bucket="listing", Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in under_a["Contents"]] == ["a/1", "a/2"]
    assert [p["Prefix"] for p in under_a["CommonPrefixes"]] == ["a/b/"]
    pages, token = [], None
    while True:
        kwargs = {"ContinuationToken": token} if token else {}
        page = s3.list_objects_v2(Bucket="listing", MaxKeys=4, **kwargs)
        pages.append([o["Key"] for o in page.get("Contents", [])])
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert pages == [keys[:4], keys[4:]]
    paginator = s3.get_paginator("list_objects_v2")
    listed = [
        o["Key"]
        for p in paginator.paginate(Bucket="listing", PaginationConfig={"PageSize": 2})
        for o in p["Contents"]
    ]
    assert listed == keys
    assert s3.list_objects_v2(Bucket="listing", StartAfter="b/4")["Contents"][0]["Key"] == "c"
    assert [o["Key"] for o in s3.list_objects(Bucket="listing", Prefix="a/")["Contents"]] == [
        "a/1",
        "a/2",
        "a/b/3",
    ]
    deleted = s3.delete_objects(Bucket="listing", Delete={"Objects": [{"Key": "c"}, {"Key": "d"}]})
    assert sorted(d["Key"] for d in deleted["Deleted"]) == ["c", "d"]


def test_multipart_upload(s3, bucket):
    part1 = b"a" * (5 * MIB)
    part2 = b"tail"
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big.bin", ContentType="x/y")
    upload_id = upload["UploadId"]
    e1 = s3.upload_part(Bucket=bucket, Key="big.bin", UploadId=upload_id, PartNumber=1, Body=part1)[
        "ETag"
    ]
    e2 = s3.upload_part(Bucket=bucket, Key="big.bin", UploadId=upload_id, PartNumber=2, Body=part2)[
        "ETag"
    ]
    assert code_of(s3.head_object, Bucket=bucket, Key="big.bin") == (404, "404")
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="big.bin",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]},
    )
    assert done["ETag"].endswith('-2"')
    got = s3.get_object(Bucket=bucket, Key="big.bin")
    assert got["ContentType"] == "x/y"
    assert got["Body"].read() == part1 + part2
    assert (
        s3.get_object(Bucket=bucket, Key="big.bin", Range="bytes=5242878-5242881")["Body"].read()
        == b"aata"
    )


def test_multipart_errors(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="small.bin")["UploadId"]
    e1 = s3.upload_part(
        Bucket=bucket, Key="small.bin", UploadId=upload_id, PartNumber=1, Body=b"too small"
    )["ETag"]
    e2 = s3.upload_part(
        Bucket=bucket, Key="small.bin", UploadId=upload_id, PartNumber=2, Body=b"x"
    )["ETag"]
    parts = [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]
    assert code_of(
        s3.complete_multipart_upload,
        Bucket=bucket,
        Key="small.bin",
        UploadId=upload_id,
        MultipartUpload={"Parts": parts},
    ) == (400, "EntityTooSmall")
    assert code_of(
        s3.complete_multipart_upload,
        Bucket=bucket,
        Key="small.bin",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"0000"'}]},
    ) == (400, "InvalidPart")
    s3.abort_multipart_upload(Bucket=bucket, Key="small.bin", UploadId=upload_id)
    assert code_of(
        s3.upload_part, Bucket=bucket, Key="small.bin", UploadId=upload_id, PartNumber=3, Body=b"x"
    ) == (404, "NoSuchUpload")
    assert code_of(
        s3.upload_part,
        Bucket=bucket,
        Key="small.bin",
        UploadId="../../etc",
        PartNumber=1,
        Body=b"x",
    ) == (404, "NoSuchUpload")


def test_virtual_host_addressing_through_the_proxy_form(shared_serve, bucket):
    port = urlsplit(shared_serve.url).port
    vhost = make_client(
        "s3",
        f"http://localhost:{port}",
        s3={"addressing_style": "virtual"},
        proxies={"http": shared_serve.url},
    )
    vhost.put_object(Bucket=bucket, Key="vhost/key.txt", Body=b"virtual")
    assert vhost.get_object(Bucket=bucket, Key="vhost/key.txt")["Body"].read() == b"virtual"
    path_style = shared_serve.client("s3")
    assert path_style.get_object(Bucket=bucket, Key="vhost/key.txt")["Body"].read() == b"virtual"


def test_flexible_checksum_header_and_aws_chunked_trailer(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="crc.txt", Body=b"checked", ChecksumAlgorithm="CRC32")
    expected = base64.b64encode(zlib.crc32(b"checked").to_bytes(4, "big")).decode()
    assert put["ChecksumCRC32"] == expected
    got = s3.get_object(Bucket=bucket, Key="crc.txt", ChecksumMode="ENABLED")
    assert got["Body"].read() == b"checked"

    def use_trailer(params, **kwargs):
        params["context"]["checksum"]["request_algorithm"]["in"] = "trailer"

    s3.meta.events.register("before-call.s3.PutObject", use_trailer)
    try:
        s3.put_object(Bucket=bucket, Key="trailer.txt", Body=b"via trailer" * 1000)
    finally:
        s3.meta.events.unregister("before-call.s3.PutObject", use_trailer)
    assert s3.get_object(Bucket=bucket, Key="trailer.txt")["Body"].read() == b"via trailer" * 1000


def send_signed(url, method, path, headers, body):
    """Sign with the given x-amz-content-sha256 kept as is, then send ``body``."""
    request = AWSRequest(method, url + path, headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION).add_auth(request)
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request(method, path, body=body, headers=dict(request.headers.items()))
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def test_sha256_mismatch_and_bad_checksum_store_nothing(shared_serve, s3, bucket):
    declared = {"X-Amz-Content-SHA256": hashlib.sha256(b"other").hexdigest()}
    status, body = send_signed(shared_serve.url, "PUT", f"/{bucket}/nope1", declared, b"data")
    assert status == 400 and b"<Code>XAmzContentSHA256Mismatch</Code>" in body
    assert code_of(s3.head_object, Bucket=bucket, Key="nope1") == (404, "404")
    bad = base64.b64encode(b"\0\0\0\0").decode()
    assert code_of(s3.put_object, Bucket=bucket, Key="nope2", Body=b"data", ChecksumCRC32=bad) == (
        400,
        "BadDigest",
    )
    assert code_of(s3.head_object, Bucket=bucket, Key="nope2") == (404, "404")
    assert code_of(
        s3.put_object,
        Bucket=bucket,
        Key="nope3",
        Body=b"data",
        ContentMD5=base64.b64encode(hashlib.md5(b"else").digest()).decode(),
    ) == (400, "BadDigest")
    status, body = send_signed(
        shared_serve.url, "PUT", f"/{bucket}/nope4", {"X-Amz-Content-SHA256": "bogus"}, b"x"
    )
    assert status == 400 and b"<Code>InvalidArgument</Code>" in body


def signed_chunked_put(url, path, chunks, trailer=None, algorithm=None, sign_chunks=True):
    """PUT ``chunks`` as aws-chunked, signed per chunk (or unsigned with a checksum trailer)."""
    mode = (
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" + ("-TRAILER" if trailer else "")
        if sign_chunks
        else "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    )
    total = sum(len(c) for c in chunks)
    headers = {
        "X-Amz-Content-SHA256": mode,
        "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": str(total),
    }
    if trailer:
        headers["X-Amz-Trailer"] = trailer
        headers["X-Amz-Sdk-Checksum-Algorithm"] = algorithm.upper()
    request = AWSRequest("PUT", url + path, headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION).add_auth(request)
    auth = request.headers["Authorization"]
    seed = auth.rpartition("Signature=")[2]
    amz_date = request.headers["X-Amz-Date"]
    scope = f"{amz_date[:8]}/{REGION}/s3/aws4_request"
    key = _signing_key(amz_date[:8])
    body, previous = b"", seed
    empty = hashlib.sha256(b"").hexdigest()
    for chunk in [*chunks, b""]:
        if sign_chunks:
            to_sign = "\n".join(
                [
                    "AWS4-HMAC-SHA256-PAYLOAD",
                    amz_date,
                    scope,
                    previous,
                    empty,
                    hashlib.sha256(chunk).hexdigest(),
                ]
            )
            previous = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
            body += f"{len(chunk):x};chunk-signature={previous}\r\n".encode()
        else:
            body += f"{len(chunk):x}\r\n".encode()
        if chunk:
            body += chunk + b"\r\n"
    if trailer:
        value = checksums.compute(algorithm, b"".join(chunks))
        line = f"{trailer}:{value}"
        body += line.encode() + b"\r\n"
        if sign_chunks:
            to_sign = "\n".join(
                [
                    "AWS4-HMAC-SHA256-TRAILER",
                    amz_date,
                    scope,
                    previous,
                    hashlib.sha256((line + "\n").encode()).hexdigest(),
                ]
            )
            signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
            body += f"x-amz-trailer-signature:{signature}\r\n".encode()
    body += b"\r\n"
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("PUT", path, body=body, headers=dict(request.headers.items()))
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def _signing_key(date: str) -> bytes:
    key = ("AWS4" + SECRET_KEY).encode()
    for part in (date, REGION, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


@pytest.mark.parametrize(
    ("sign_chunks", "trailer", "algorithm"),
    [
        (True, None, None),
        (True, "x-amz-checksum-crc64nvme", "crc64nvme"),
        (False, "x-amz-checksum-crc64nvme", "crc64nvme"),
        (False, "x-amz-checksum-crc32c", "crc32c"),
        (False, "x-amz-checksum-sha256", "sha256"),
    ],
)
def test_hand_built_aws_chunked_bodies(shared_serve, s3, bucket, sign_chunks, trailer, algorithm):
    key = f"chunked-{sign_chunks}-{algorithm}"
    chunks = [b"x" * 65536, b"y" * 1000]
    status, body = signed_chunked_put(
        shared_serve.url, f"/{bucket}/{key}", chunks, trailer, algorithm, sign_chunks
    )
    assert status == 200, body
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"".join(chunks)


def test_bad_chunk_signature_stores_nothing(shared_serve, s3, bucket):
    chunks = [b"good"]
    url = shared_serve.url
    # Sign the chunks with the wrong seed by changing the signed path afterwards.
    status, body = signed_chunked_put(url, f"/{bucket}/bad-chunks", chunks)
    assert status == 200
    headers = {
        "X-Amz-Content-SHA256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": "4",
    }
    request = AWSRequest("PUT", url + f"/{bucket}/bad-chunks2", headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION).add_auth(request)
    raw = b"4;chunk-signature=" + b"0" * 64 + b"\r\ngood\r\n0;chunk-signature=" + b"0" * 64
    raw += b"\r\n\r\n"
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("PUT", f"/{bucket}/bad-chunks2", body=raw, headers=dict(request.headers.items()))
    response = conn.getresponse()
    assert response.status == 403 and b"SignatureDoesNotMatch" in response.read()
    conn.close()
    assert code_of(s3.head_object, Bucket=bucket, Key="bad-chunks2") == (404, "404")


def test_presigned_get(shared_serve, s3, bucket):
    s3.put_object(Bucket=bucket, Key="shared.txt", Body=b"presigned")
    s3 = shared_serve.client("s3", signature_version="s3v4")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared.txt"})
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", f"{parts.path}?{parts.query}")
    response = conn.getresponse()
    assert (response.status, response.read()) == (200, b"presigned")
    conn.request("GET", f"{parts.path}?{parts.query.replace('Signature=', 'Signature=0')}")
    response = conn.getresponse()
    assert response.status == 403 and b"SignatureDoesNotMatch" in response.read()
    conn.close()


def test_copy_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src.txt", Body=b"copy me", ContentType="text/plain")
    s3.copy_object(Bucket=bucket, Key="dst.txt", CopySource={"Bucket": bucket, "Key": "src.txt"})
    got = s3.get_object(Bucket=bucket, Key="dst.txt")
    assert (got["Body"].read(), got["ContentType"]) == (b"copy me", "text/plain")


@pytest.mark.parametrize("key", ["../escape", "a/../../b", "a/./b", "nul\x00byte"])
def test_traversal_keys_are_refused(shared_serve, bucket, key):
    s3 = shared_serve.client("s3", parameter_validation=False)
    status, code = code_of(s3.put_object, Bucket=bucket, Key=key, Body=b"x")
    assert status == 400 and code in ("InvalidArgument", "AuthorizationHeaderMalformed")
    assert not any(p.name == "escape" for p in shared_serve.data_dir.rglob("escape"))


def test_traversal_in_raw_paths(shared_serve):
    """Raw (unsigned) requests with dot segments or encoded slashes never touch the disk."""
    parts = urlsplit(shared_serve.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/s3-tests/..%2f..%2fx"):
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        assert response.status in (400, 403)
    conn.close()


def test_crc_check_values():
    assert (
        checksums.compute("crc64nvme", b"123456789")
        == base64.b64encode(bytes.fromhex("ae8b14860a799888")).decode()
    )
    assert (
        checksums.compute("crc32c", b"123456789")
        == base64.b64encode(bytes.fromhex("e3069283")).decode()
    )
    assert (
        checksums.compute("crc32", b"123456789")
        == base64.b64encode(bytes.fromhex("cbf43926")).decode()
    )
