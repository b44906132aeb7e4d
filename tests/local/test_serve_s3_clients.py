"""S3 through the clients people use — boto3 and s3transfer's managed transfers — against
``serve``: copies made of UploadPartCopy, multipart uploads and part-number downloads,
presigned URLs with boto3's default settings, conditional writes, multipart listings and
checksums, and the 501s for what ``serve`` does not implement."""

from __future__ import annotations

import base64
import hashlib
import io
import urllib.error
import urllib.request
import zlib

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, REGION, SECRET_KEY

MIB = 1024 * 1024
BUCKET = "clients"


def boto3_client(url: str, **config):
    session = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
    )
    return session.client(
        "s3", endpoint_url=url, config=Config(retries={"max_attempts": 1}, **config)
    )


@pytest.fixture(scope="module")
def s3(shared_serve):
    client = boto3_client(shared_serve.url)
    client.create_bucket(Bucket=BUCKET)
    return client


def error_of(call, **kwargs) -> tuple[int, str, dict]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    response = info.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response


def pattern(size: int, seed: int = 0) -> bytes:
    """Bytes that differ at every offset, so a misplaced or empty part shows."""
    block = hashlib.sha256(str(seed).encode()).digest() * 2048  # 64 KiB
    return (block * (size // len(block) + 1))[:size]


def test_managed_copy_of_20_mb_uses_upload_part_copy(s3):
    data = pattern(20 * MIB, 1)
    s3.put_object(Bucket=BUCKET, Key="copy/source.bin", Body=data)
    config = TransferConfig(multipart_threshold=8 * MIB, multipart_chunksize=8 * MIB)
    s3.copy({"Bucket": BUCKET, "Key": "copy/source.bin"}, BUCKET, "copy/target.bin", Config=config)
    head = s3.head_object(Bucket=BUCKET, Key="copy/target.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].endswith('-3"')  # three UploadPartCopy parts
    got = s3.get_object(Bucket=BUCKET, Key="copy/target.bin")["Body"].read()
    assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()


def test_upload_part_copy_ranges_and_their_errors(s3):
    data = pattern(6 * MIB, 2)
    s3.put_object(Bucket=BUCKET, Key="upc/source", Body=data)
    upload_id = s3.create_multipart_upload(Bucket=BUCKET, Key="upc/target")["UploadId"]
    source = {"Bucket": BUCKET, "Key": "upc/source"}
    first = s3.upload_part_copy(
        Bucket=BUCKET,
        Key="upc/target",
        UploadId=upload_id,
        PartNumber=1,
        CopySource=source,
        CopySourceRange=f"bytes=0-{5 * MIB - 1}",
    )["CopyPartResult"]
    assert first["ETag"] == f'"{hashlib.md5(data[: 5 * MIB]).hexdigest()}"'
    second = s3.upload_part_copy(
        Bucket=BUCKET,
        Key="upc/target",
        UploadId=upload_id,
        PartNumber=2,
        CopySource=source,
        CopySourceRange="bytes=10-19",
    )["CopyPartResult"]
    status, code, _ = error_of(
        s3.upload_part_copy,
        Bucket=BUCKET,
        Key="upc/target",
        UploadId=upload_id,
        PartNumber=3,
        CopySource=source,
        CopySourceRange=f"bytes=0-{len(data)}",
    )
    assert (status, code) == (416, "InvalidRange")
    status, code, _ = error_of(
        s3.upload_part_copy,
        Bucket=BUCKET,
        Key="upc/target",
        UploadId=upload_id,
        PartNumber=3,
        CopySource=source,
        CopySourceRange="bytes=5-",
    )
    assert (status, code) == (400, "InvalidArgument")
    status, code, _ = error_of(
        s3.upload_part_copy,
        Bucket=BUCKET,
        Key="upc/target",
        UploadId=upload_id,
        PartNumber=3,
        CopySource={"Bucket": BUCKET, "Key": "upc/missing"},
    )
    assert (status, code) == (404, "NoSuchKey")
    s3.complete_multipart_upload(
        Bucket=BUCKET,
        Key="upc/target",
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [
                {"PartNumber": 1, "ETag": first["ETag"]},
                {"PartNumber": 2, "ETag": second["ETag"]},
            ]
        },
    )
    got = s3.get_object(Bucket=BUCKET, Key="upc/target")["Body"].read()
    assert got == data[: 5 * MIB] + data[10:20]


def test_managed_upload_then_part_number_and_managed_downloads(s3):
    data = pattern(12 * MIB, 3)
    config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    s3.upload_fileobj(io.BytesIO(data), BUCKET, "mp/object.bin", Config=config)
    head = s3.head_object(Bucket=BUCKET, Key="mp/object.bin")
    assert head["ETag"].endswith('-3"') and head["ContentLength"] == len(data)
    assert "PartsCount" not in head  # as S3: only with a part number
    part = s3.get_object(Bucket=BUCKET, Key="mp/object.bin", PartNumber=2)
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert part["PartsCount"] == 3
    assert part["ContentRange"] == f"bytes {5 * MIB}-{10 * MIB - 1}/{len(data)}"
    assert part["Body"].read() == data[5 * MIB : 10 * MIB]
    last = s3.head_object(Bucket=BUCKET, Key="mp/object.bin", PartNumber=3)
    assert (last["ContentLength"], last["PartsCount"]) == (2 * MIB, 3)
    status, code, _ = error_of(s3.get_object, Bucket=BUCKET, Key="mp/object.bin", PartNumber=4)
    assert (status, code) == (416, "InvalidPartNumber")
    s3.put_object(Bucket=BUCKET, Key="mp/single", Body=b"one part")
    whole = s3.get_object(Bucket=BUCKET, Key="mp/single", PartNumber=1)
    assert whole["Body"].read() == b"one part" and "PartsCount" not in whole
    out = io.BytesIO()
    s3.download_fileobj(BUCKET, "mp/object.bin", out, Config=config)
    assert out.getvalue() == data


def test_multipart_checksums_are_composite_as_s3_returns_them(s3):
    parts = [pattern(5 * MIB, 4), b"the last part"]
    upload_id = s3.create_multipart_upload(
        Bucket=BUCKET, Key="sums/composite", ChecksumAlgorithm="CRC32"
    )["UploadId"]
    uploaded = []
    for number, body in enumerate(parts, 1):
        answer = s3.upload_part(
            Bucket=BUCKET,
            Key="sums/composite",
            UploadId=upload_id,
            PartNumber=number,
            Body=body,
            ChecksumAlgorithm="CRC32",
        )
        uploaded.append(
            {"PartNumber": number, "ETag": answer["ETag"], "ChecksumCRC32": answer["ChecksumCRC32"]}
        )
    done = s3.complete_multipart_upload(
        Bucket=BUCKET,
        Key="sums/composite",
        UploadId=upload_id,
        MultipartUpload={"Parts": uploaded},
    )
    raw = b"".join(zlib.crc32(p).to_bytes(4, "big") for p in parts)
    expected = base64.b64encode(zlib.crc32(raw).to_bytes(4, "big")).decode() + "-2"
    assert done["ChecksumCRC32"] == expected
    head = s3.head_object(Bucket=BUCKET, Key="sums/composite", ChecksumMode="ENABLED")
    assert (head["ChecksumCRC32"], head["ChecksumType"]) == (expected, "COMPOSITE")
    body = s3.get_object(Bucket=BUCKET, Key="sums/composite", ChecksumMode="ENABLED")
    assert body["Body"].read() == b"".join(parts)


def test_full_object_multipart_checksum(s3):
    parts = [pattern(5 * MIB, 5), b"tail"]
    upload_id = s3.create_multipart_upload(
        Bucket=BUCKET, Key="sums/full", ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT"
    )["UploadId"]
    uploaded = []
    for number, body in enumerate(parts, 1):
        etag = s3.upload_part(
            Bucket=BUCKET, Key="sums/full", UploadId=upload_id, PartNumber=number, Body=body
        )["ETag"]
        uploaded.append({"PartNumber": number, "ETag": etag})
    s3.complete_multipart_upload(
        Bucket=BUCKET, Key="sums/full", UploadId=upload_id, MultipartUpload={"Parts": uploaded}
    )
    head = s3.head_object(Bucket=BUCKET, Key="sums/full", ChecksumMode="ENABLED")
    whole = base64.b64encode(zlib.crc32(b"".join(parts)).to_bytes(4, "big")).decode()
    assert (head["ChecksumCRC32"], head["ChecksumType"]) == (whole, "FULL_OBJECT")


@pytest.mark.parametrize("right", [True, False])
def test_complete_with_the_object_checksum(s3, right):
    """The client states the whole object's CRC32 on completion: checked, not taken as the
    checksum of the XML body."""
    parts = [pattern(5 * MIB, 6), b"end"]
    key = f"sums/declared-{right}"
    upload_id = s3.create_multipart_upload(
        Bucket=BUCKET, Key=key, ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT"
    )["UploadId"]
    uploaded = [
        {
            "PartNumber": n,
            "ETag": s3.upload_part(
                Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=n, Body=body
            )["ETag"],
        }
        for n, body in enumerate(parts, 1)
    ]
    crc = zlib.crc32(b"".join(parts)) ^ (0 if right else 1)
    kwargs = {
        "Bucket": BUCKET,
        "Key": key,
        "UploadId": upload_id,
        "MultipartUpload": {"Parts": uploaded},
        "ChecksumCRC32": base64.b64encode(crc.to_bytes(4, "big")).decode(),
        "ChecksumType": "FULL_OBJECT",
    }
    if right:
        assert s3.complete_multipart_upload(**kwargs)["ChecksumType"] == "FULL_OBJECT"
    else:
        status, code, _ = error_of(s3.complete_multipart_upload, **kwargs)
        assert (status, code) == (400, "BadDigest")
        assert error_of(s3.head_object, Bucket=BUCKET, Key=key)[0] == 404


def test_md5_checksum_and_the_xxhash_ones_serve_lacks(s3):
    body = b"checksummed"
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    answer = s3.put_object(Bucket=BUCKET, Key="sums/md5", Body=body, ChecksumMD5=md5)
    assert answer["ChecksumMD5"] == md5
    status, code, _ = error_of(
        s3.put_object, Bucket=BUCKET, Key="sums/md5", Body=b"other", ChecksumMD5=md5
    )
    assert (status, code) == (400, "BadDigest")
    status, code, _ = error_of(
        s3.put_object, Bucket=BUCKET, Key="sums/xx", Body=body, ChecksumXXHASH64="AAAAAAAAAAA="
    )
    assert (status, code) == (501, "NotImplemented")


def test_list_parts_and_list_multipart_uploads(s3):
    first = s3.create_multipart_upload(Bucket=BUCKET, Key="listing/a")["UploadId"]
    second = s3.create_multipart_upload(Bucket=BUCKET, Key="listing/b")["UploadId"]
    for number in (1, 2, 3):
        s3.upload_part(
            Bucket=BUCKET, Key="listing/a", UploadId=first, PartNumber=number, Body=b"p" * number
        )
    listed = s3.list_parts(Bucket=BUCKET, Key="listing/a", UploadId=first)
    assert [(p["PartNumber"], p["Size"]) for p in listed["Parts"]] == [(1, 1), (2, 2), (3, 3)]
    assert listed["Parts"][1]["ETag"] == f'"{hashlib.md5(b"pp").hexdigest()}"'
    page = s3.list_parts(Bucket=BUCKET, Key="listing/a", UploadId=first, MaxParts=2)
    assert page["IsTruncated"] and page["NextPartNumberMarker"] == 2
    rest = s3.list_parts(Bucket=BUCKET, Key="listing/a", UploadId=first, PartNumberMarker=2)
    assert [p["PartNumber"] for p in rest["Parts"]] == [3]
    uploads = s3.list_multipart_uploads(Bucket=BUCKET, Prefix="listing/")["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [
        ("listing/a", first),
        ("listing/b", second),
    ]
    paginator = s3.get_paginator("list_multipart_uploads")
    pages = list(paginator.paginate(Bucket=BUCKET, Prefix="listing/", MaxUploads=1))
    assert [u["Key"] for p in pages for u in p.get("Uploads", [])] == ["listing/a", "listing/b"]
    grouped = s3.list_multipart_uploads(Bucket=BUCKET, Delimiter="/")
    assert {"Prefix": "listing/"} in grouped["CommonPrefixes"]
    s3.abort_multipart_upload(Bucket=BUCKET, Key="listing/b", UploadId=second)
    status, code, _ = error_of(s3.list_parts, Bucket=BUCKET, Key="listing/b", UploadId=second)
    assert (status, code) == (404, "NoSuchUpload")
    status, code, _ = error_of(s3.list_parts, Bucket=BUCKET, Key="listing/other", UploadId=first)
    assert (status, code) == (404, "NoSuchUpload")


def test_conditional_writes(s3):
    s3.put_object(Bucket=BUCKET, Key="cond/new", Body=b"first", IfNoneMatch="*")
    status, code, _ = error_of(
        s3.put_object, Bucket=BUCKET, Key="cond/new", Body=b"second", IfNoneMatch="*"
    )
    assert (status, code) == (412, "PreconditionFailed")
    etag = s3.head_object(Bucket=BUCKET, Key="cond/new")["ETag"]
    status, code, _ = error_of(
        s3.put_object, Bucket=BUCKET, Key="cond/new", Body=b"third", IfMatch='"0000"'
    )
    assert (status, code) == (412, "PreconditionFailed")
    s3.put_object(Bucket=BUCKET, Key="cond/new", Body=b"fourth", IfMatch=etag)
    assert s3.get_object(Bucket=BUCKET, Key="cond/new")["Body"].read() == b"fourth"
    status, code, _ = error_of(
        s3.put_object, Bucket=BUCKET, Key="cond/absent", Body=b"x", IfMatch=etag
    )
    assert (status, code) == (404, "NoSuchKey")
    upload_id = s3.create_multipart_upload(Bucket=BUCKET, Key="cond/new")["UploadId"]
    part = s3.upload_part(
        Bucket=BUCKET, Key="cond/new", UploadId=upload_id, PartNumber=1, Body=b"mp"
    )["ETag"]
    status, code, _ = error_of(
        s3.complete_multipart_upload,
        Bucket=BUCKET,
        Key="cond/new",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part}]},
        IfNoneMatch="*",
    )
    assert (status, code) == (412, "PreconditionFailed")
    assert s3.get_object(Bucket=BUCKET, Key="cond/new")["Body"].read() == b"fourth"


def test_presigned_urls_with_default_boto3_settings(shared_serve, s3):
    s3.put_object(Bucket=BUCKET, Key="presigned/file.txt", Body=b"shared by URL")
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "presigned/file.txt"}
    )
    assert "AWSAccessKeyId=" in url and "Signature=" in url and "Expires=" in url  # SigV2
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"shared by URL"
    put_url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": BUCKET, "Key": "presigned/uploaded.txt"}
    )
    # (urllib would add a Content-Type the URL did not sign: S3 refuses that too)
    request = urllib.request.Request(
        put_url, data=b"put by URL", method="PUT", headers={"Content-Type": ""}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    assert s3.get_object(Bucket=BUCKET, Key="presigned/uploaded.txt")["Body"].read() == (
        b"put by URL"
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url.replace("presigned/file.txt", "presigned/uploaded.txt"))
    assert info.value.code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in info.value.read()
    expired = s3.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "presigned/file.txt"}, ExpiresIn=-10
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(expired)
    body = info.value.read()
    assert info.value.code == 403 and b"<Message>Request has expired</Message>" in body


def test_presigned_sigv4_expiry_is_at_most_a_week(shared_serve):
    s3 = boto3_client(shared_serve.url, signature_version="s3v4")
    params = {"Bucket": BUCKET, "Key": "presigned/file.txt"}
    ok = s3.generate_presigned_url("get_object", Params=params, ExpiresIn=604800)
    with urllib.request.urlopen(ok, timeout=10) as response:
        assert response.read() == b"shared by URL"
    too_long = s3.generate_presigned_url("get_object", Params=params, ExpiresIn=700000)
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(too_long)
    body = info.value.read()
    assert info.value.code == 400
    assert b"<Code>AuthorizationQueryParametersError</Code>" in body
    assert b"X-Amz-Expires must be less than a week (in seconds) that is; 604800 seconds" in body


def test_expected_bucket_owner(s3):
    s3.put_object(Bucket=BUCKET, Key="owner/k", Body=b"mine", ExpectedBucketOwner="123456789012")
    status, code, _ = error_of(
        s3.get_object, Bucket=BUCKET, Key="owner/k", ExpectedBucketOwner="111111111111"
    )
    assert (status, code) == (403, "AccessDenied")
    status, code, _ = error_of(
        s3.copy_object,
        Bucket=BUCKET,
        Key="owner/copy",
        CopySource={"Bucket": BUCKET, "Key": "owner/k"},
        ExpectedSourceBucketOwner="111111111111",
    )
    assert (status, code) == (403, "AccessDenied")


def test_fetch_owner(s3):
    s3.put_object(Bucket=BUCKET, Key="owner/listed", Body=b"x")
    with_owner = s3.list_objects_v2(Bucket=BUCKET, Prefix="owner/listed", FetchOwner=True)
    assert with_owner["Contents"][0]["Owner"]["ID"]
    without = s3.list_objects_v2(Bucket=BUCKET, Prefix="owner/listed")
    assert "Owner" not in without["Contents"][0]


@pytest.mark.parametrize(
    ("operation", "kwargs"),
    [
        ("put_object", {"Key": "nope", "Body": b"x", "Tagging": "a=b"}),
        (
            "put_object",
            {
                "Key": "nope",
                "Body": b"x",
                "SSECustomerAlgorithm": "AES256",
                "SSECustomerKey": "k" * 32,
            },
        ),
        ("put_object", {"Key": "nope", "Body": b"x", "ACL": "public-read"}),
        ("put_object", {"Key": "nope", "Body": b"x", "StorageClass": "GLACIER"}),
        ("put_object", {"Key": "nope", "Body": b"x", "ServerSideEncryption": "aws:kms"}),
        ("get_object", {"Key": "owner/k", "VersionId": "v1"}),
        ("put_bucket_versioning", {"VersioningConfiguration": {"Status": "Enabled"}}),
        ("put_object_tagging", {"Key": "owner/k", "Tagging": {"TagSet": []}}),
        ("put_object_acl", {"Key": "owner/k", "ACL": "public-read"}),
        ("put_bucket_tagging", {"Tagging": {"TagSet": [{"Key": "a", "Value": "b"}]}}),
    ],
)
def test_unsupported_features_answer_501_and_store_nothing(s3, operation, kwargs):
    status, code, _ = error_of(getattr(s3, operation), Bucket=BUCKET, **kwargs)
    assert (status, code) == (501, "NotImplemented")
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="nope").get("KeyCount") == 0


def test_reads_of_what_serve_never_sets_answer_the_truth(s3):
    s3.put_object(Bucket=BUCKET, Key="truth", Body=b"x")
    assert s3.get_object_tagging(Bucket=BUCKET, Key="truth")["TagSet"] == []
    s3.delete_object_tagging(Bucket=BUCKET, Key="truth")
    acl = s3.get_object_acl(Bucket=BUCKET, Key="truth")
    assert [g["Permission"] for g in acl["Grants"]] == ["FULL_CONTROL"]
    assert acl["Owner"]["ID"] == acl["Grants"][0]["Grantee"]["ID"]
    assert "Status" not in s3.get_bucket_versioning(Bucket=BUCKET)
    status, code, _ = error_of(s3.get_bucket_tagging, Bucket=BUCKET)
    assert (status, code) == (404, "NoSuchTagSet")
    status, code, _ = error_of(s3.get_object_tagging, Bucket=BUCKET, Key="absent")
    assert (status, code) == (404, "NoSuchKey")


def test_what_serve_does_anyway_is_accepted(s3):
    s3.put_object(
        Bucket=BUCKET,
        Key="accepted",
        Body=b"x",
        ACL="private",
        StorageClass="STANDARD",
        ServerSideEncryption="AES256",
    )
    assert s3.get_object(Bucket=BUCKET, Key="accepted")["Body"].read() == b"x"


def test_conditional_delete(s3):
    etag = s3.put_object(Bucket=BUCKET, Key="cond/delete", Body=b"x")["ETag"]
    status, code, _ = error_of(s3.delete_object, Bucket=BUCKET, Key="cond/delete", IfMatch='"0"')
    assert (status, code) == (412, "PreconditionFailed")
    s3.delete_object(Bucket=BUCKET, Key="cond/delete", IfMatch=etag)
    status, code, _ = error_of(s3.head_object, Bucket=BUCKET, Key="cond/delete")
    assert status == 404


def test_create_bucket_location_constraint(s3):
    status, code, _ = error_of(
        s3.create_bucket,
        Bucket="elsewhere",
        CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
    )
    assert (status, code) == (400, "IllegalLocationConstraintException")
    assert "elsewhere" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_delete_objects_with_versions_and_etags(s3):
    etag = s3.put_object(Bucket=BUCKET, Key="multi/a", Body=b"a")["ETag"]
    s3.put_object(Bucket=BUCKET, Key="multi/b", Body=b"b")
    s3.put_object(Bucket=BUCKET, Key="multi/c", Body=b"c")
    answer = s3.delete_objects(
        Bucket=BUCKET,
        Delete={
            "Objects": [
                {"Key": "multi/a", "ETag": etag},
                {"Key": "multi/b", "VersionId": "3HL4kqtJlcpXroDTDmJ"},
                {"Key": "multi/c", "ETag": '"0"'},
            ]
        },
    )
    assert [d["Key"] for d in answer["Deleted"]] == ["multi/a"]
    assert {(e["Key"], e["Code"]) for e in answer["Errors"]} == {
        ("multi/b", "NoSuchVersion"),
        ("multi/c", "PreconditionFailed"),
    }
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="multi/")["Contents"]
    assert [o["Key"] for o in listed] == ["multi/b", "multi/c"]


def test_sigv2_presigned_url_in_virtual_host_style(shared_serve, s3):
    """The bucket comes from the host name: it still belongs in the string to sign."""
    import http.client
    from urllib.parse import urlsplit

    s3.put_object(Bucket=BUCKET, Key="vhost/file.txt", Body=b"virtual")
    port = urlsplit(shared_serve.url).port
    vhost = boto3_client(f"http://localhost:{port}", s3={"addressing_style": "virtual"})
    url = vhost.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "vhost/file.txt"}
    )
    assert url.startswith(f"http://{BUCKET}.localhost:{port}/vhost/file.txt?")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", url)  # absolute form, as to a proxy: *.localhost need not resolve
    response = conn.getresponse()
    assert (response.status, response.read()) == (200, b"virtual")
    conn.close()
