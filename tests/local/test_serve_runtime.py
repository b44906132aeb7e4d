"""InvokeEndpointAsync against ``serve`` with botocore's sagemaker-runtime client."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import BUCKET, error_of, object_exists, split_s3, wait_for_object


@pytest.fixture(scope="module")
def runtime(shared_serve):
    return shared_serve.client("sagemaker-runtime")


@pytest.fixture(scope="module")
def lax_runtime(shared_serve):
    """No client-side validation, so the server's own checks are what answers."""
    return shared_serve.client("sagemaker-runtime", parameter_validation=False)


@pytest.fixture(scope="module")
def s3(shared_serve):
    return shared_serve.client("s3")


def test_inline_body_is_echoed_to_the_output_location(runtime, s3):
    response = runtime.invoke_endpoint_async(
        EndpointName="echo", Body=b'{"x": 1}', ContentType="application/json"
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    inference_id = response["InferenceId"]
    uuid.UUID(inference_id)
    output, failure = response["OutputLocation"], response["FailureLocation"]
    assert output.startswith(f"s3://{BUCKET}/async-endpoint-outputs/echo/")
    assert output.endswith(".out") and inference_id not in output
    assert failure == output[: -len(".out")].replace("outputs", "failures") + "-error.out"
    assert wait_for_object(s3, output) == b'{"x": 1}'
    bucket, key = split_s3(output)
    assert s3.head_object(Bucket=bucket, Key=key)["ContentType"] == "application/json"
    assert not object_exists(s3, failure)


def test_input_location_and_accept(runtime, s3):
    s3.create_bucket(Bucket="runtime-inputs")
    s3.put_object(Bucket="runtime-inputs", Key="dir/in put.csv", Body=b"1,2,3")
    response = runtime.invoke_endpoint_async(
        EndpointName="other",
        InputLocation="s3://runtime-inputs/dir/in put.csv",
        ContentType="text/csv",
        Accept="text/plain",
        InferenceId="my id 1",
    )
    assert response["InferenceId"] == "my id 1"
    assert "/async-endpoint-outputs/other/" in response["OutputLocation"]
    assert wait_for_object(s3, response["OutputLocation"]) == b"1,2,3"
    bucket, key = split_s3(response["OutputLocation"])
    assert s3.head_object(Bucket=bucket, Key=key)["ContentType"] == "text/plain"


def test_https_input_location(runtime, s3):
    s3.create_bucket(Bucket="https-inputs")
    s3.put_object(Bucket="https-inputs", Key="a/b.bin", Body=b"\x00\x01")
    response = runtime.invoke_endpoint_async(
        EndpointName="echo", InputLocation="https://https-inputs.s3.us-east-1.amazonaws.com/a/b.bin"
    )
    assert wait_for_object(s3, response["OutputLocation"]) == b"\x00\x01"


def test_filename_and_output_path_extension_are_honoured(runtime, s3):
    response = runtime.invoke_endpoint_async(
        EndpointName="echo", Body=b"named", S3OutputPathExtension="runs/42", Filename="result.json"
    )
    assert response["OutputLocation"] == (
        f"s3://{BUCKET}/async-endpoint-outputs/echo/runs/42/result.json"
    )
    assert response["FailureLocation"] == (
        f"s3://{BUCKET}/async-endpoint-failures/echo/runs/42/result.json-error.out"
    )
    assert wait_for_object(s3, response["OutputLocation"]) == b"named"


def test_model_failure_writes_the_failure_object(runtime, s3, shared_serve):
    response = runtime.invoke_endpoint_async(
        EndpointName="echo", Body=b"x", CustomAttributes="trace=1; fail=model exploded"
    )
    assert wait_for_object(s3, response["FailureLocation"]) == b"model exploded"
    assert not object_exists(s3, response["OutputLocation"])
    events = [
        json.loads(line)
        for line in (shared_serve.data_dir / "notifications.jsonl").read_text().splitlines()
    ]
    event = next(e for e in events if e["inferenceId"] == response["InferenceId"])
    assert event["invocationStatus"] == "Failed"
    assert event["eventSource"] == "aws:sagemaker" and event["eventName"] == "InferenceResult"
    assert event["failureReason"].startswith("ClientError: Received server error (500)")
    assert event["responseParameters"]["failureLocation"] == response["FailureLocation"]


def test_status_directive_makes_a_client_error(runtime, s3):
    response = runtime.invoke_endpoint_async(
        EndpointName="echo", Body=b"bad input", CustomAttributes="status=400"
    )
    assert wait_for_object(s3, response["FailureLocation"]) == b"bad input"


def test_missing_input_object_is_accepted_then_fails(runtime, s3):
    response = runtime.invoke_endpoint_async(
        EndpointName="echo", InputLocation="s3://runtime-inputs/does-not-exist"
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
    failure = wait_for_object(s3, response["FailureLocation"])
    assert failure is not None and b"NoSuchKey" in failure


def test_success_notification_has_the_sns_shape(runtime, s3, shared_serve):
    response = runtime.invoke_endpoint_async(
        EndpointName="echo", Body=b"n", ContentType="text/plain"
    )
    wait_for_object(s3, response["OutputLocation"])
    events = [
        json.loads(line)
        for line in (shared_serve.data_dir / "notifications.jsonl").read_text().splitlines()
    ]
    event = next(e for e in events if e["inferenceId"] == response["InferenceId"])
    assert set(event) == {
        "awsRegion",
        "eventTime",
        "receivedTime",
        "invocationStatus",
        "requestParameters",
        "responseParameters",
        "inferenceId",
        "eventVersion",
        "eventSource",
        "eventName",
    }
    assert event["invocationStatus"] == "Completed"
    assert event["requestParameters"] == {"endpointName": "echo", "contentType": "text/plain"}
    assert event["responseParameters"]["outputLocation"] == response["OutputLocation"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"EndpointName": "missing", "Body": b"x"},
            "Endpoint missing of account 123456789012 not found.",
        ),
        (
            {"EndpointName": "echo", "Body": b"x", "InputLocation": "s3://a/b"},
            "Only one of Body or InputLocation can be specified.",
        ),
        ({"EndpointName": "echo"}, "Either Body or InputLocation must be specified."),
        (
            {"EndpointName": "echo", "Body": b"x" * 128001},
            "1 validation error detected: Value at 'body' failed to satisfy constraint: "
            "Member must have length less than or equal to 128000",
        ),
        (
            {"EndpointName": "echo", "Body": b"x", "RequestTTLSeconds": 59},
            "1 validation error detected: Value '59' at 'requestTTLSeconds' failed to satisfy "
            "constraint: Member must have value greater than or equal to 60",
        ),
        (
            {
                "EndpointName": "echo",
                "Body": b"x",
                "Filename": "a.b.c",
                "InvocationTimeoutSeconds": 3601,
            },
            "2 validation errors detected: Value 'a.b.c' at 'filename' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            r"^(?!.*\..*\.)[a-zA-Z0-9][a-zA-Z0-9-_\.]*$; Value '3601' at "
            "'invocationTimeoutSeconds' failed to satisfy constraint: Member must have value "
            "less than or equal to 3600",
        ),
        (
            {"EndpointName": "bad_name", "Body": b"x"},
            "1 validation error detected: Value 'bad_name' at 'endpointName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "^[a-zA-Z0-9](-*[a-zA-Z0-9])*",
        ),
        (
            {"EndpointName": "echo", "Body": b"x", "S3OutputPathExtension": "a/../b"},
            "S3OutputPathExtension must not contain '.' or '..' path segments.",
        ),
    ],
)
def test_validation_errors(lax_runtime, shared_serve, kwargs, message):
    before = shared_serve.status()
    status, code, text = error_of(lax_runtime.invoke_endpoint_async, **kwargs)
    assert (status, code, text) == (400, "ValidationError", message)
    after = shared_serve.status()
    # nothing was queued
    for name in ("echo", "other"):
        total = lambda e: e["ApproximateBacklogSize"] + e["Completed"] + e["Failed"]  # noqa: E731
        assert total(after[name]) == total(before[name])


def test_sync_invocation_is_refused(shared_serve):
    runtime = shared_serve.client("sagemaker-runtime")
    status, code, message = error_of(runtime.invoke_endpoint, EndpointName="echo", Body=b"x")
    assert (status, code) == (400, "ValidationError")
    assert "asynchronous" in message


def test_status_page(shared_serve):
    status = shared_serve.status()
    assert set(status) == {"echo", "other"}
    entry = status["echo"]
    for field in ("ApproximateBacklogSize", "Completed", "Failed", "Expired", "Queued"):
        assert isinstance(entry[field], int)
    assert entry["Model"] == "echo"


def test_failures_serve_writes_itself_are_json_as_the_sagemaker_sdk_reads_them(runtime, s3):
    """The SDK's AsyncInferenceResponse.get_result reads the output, on NoSuchKey the failure
    object, and passes it through the predictor's deserializer (JSON for most frameworks) into
    AsyncInferenceModelError. Done here with boto3 as the SDK does it (the `sagemaker` package
    pulls in pandas, numpy and fastapi: too heavy for the test extra)."""
    response = runtime.invoke_endpoint_async(
        EndpointName="echo", InputLocation="s3://runtime-inputs/no-such-object"
    )
    assert wait_for_object(s3, response["FailureLocation"]) is not None
    bucket, key = split_s3(response["OutputLocation"])
    with pytest.raises(ClientError) as missing:
        s3.get_object(Bucket=bucket, Key=key)
    assert missing.value.response["Error"]["Code"] == "NoSuchKey"
    bucket, key = split_s3(response["FailureLocation"])
    failure = s3.get_object(Bucket=bucket, Key=key)
    assert failure["ContentType"] == "application/json"
    document = json.load(failure["Body"])  # sagemaker.deserializers.JSONDeserializer
    assert document["ErrorCode"] == "ClientError"
    assert document["Message"].startswith("ClientError: Could not read the input from ")


def test_a_model_error_body_is_the_failure_object_verbatim(runtime, s3):
    """As the service: the failure object is the model's own error answer, its content type
    included (here echo answering 400 with the payload)."""
    response = runtime.invoke_endpoint_async(
        EndpointName="echo",
        Body=b'{"message": "bad", "status": "error"}',
        ContentType="application/json",
        CustomAttributes="status=400",
    )
    assert wait_for_object(s3, response["FailureLocation"]) == (
        b'{"message": "bad", "status": "error"}'
    )
    bucket, key = split_s3(response["FailureLocation"])
    assert s3.head_object(Bucket=bucket, Key=key)["ContentType"] == "application/json"
