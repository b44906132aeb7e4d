"""No input escapes: hostile or broken input gets one clear line and a documented exit code,
in bounded time and memory (the AWS CLI itself hangs, grows to gigabytes or prints Python's
internals on these). Each test names the input and the rule."""

from __future__ import annotations

import os
import socket
import threading

import pytest

from helpers import run_cli

OP = ["sagemaker-runtime", "invoke-endpoint-async"]
PREFIX = "\nsagemaker-async: [ERROR]: "
PV = PREFIX + "An error occurred (ParamValidation): "
# A wall-clock bound for the test process only, far above what each case takes: a hang
# (the real AWS CLI's behaviour on several of these) fails the test instead of blocking CI.
HANG = 60


def call(stub, env, *args):
    return run_cli([*OP, *args, "--endpoint-url", stub.url], env, timeout=HANG)


def refused(stub, result, code: int, stderr: str) -> None:
    assert result.returncode == code, result.stderr.decode()
    assert result.stderr.decode() == stderr
    assert stub.requests == []


def alias_bomb() -> str:
    """Nine levels of nine aliases: 9**9 values once expanded, from a few hundred bytes."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_yaml_alias_bomb_is_refused(stub, aws_home):
    document = alias_bomb()
    assert len(document) < 400
    result = call(stub, aws_home, "--cli-input-yaml", document)
    refused(
        stub,
        result,
        252,
        PV + "Error parsing parameter '--cli-input-yaml': the document holds more than "
        "100,000 values once its aliases are expanded\n",
    )


@pytest.mark.parametrize("document", ["a: &x [*x]", "EndpointName: ep\nx: &y {z: *y}"])
def test_yaml_recursive_alias_is_refused(stub, aws_home, document):
    result = call(stub, aws_home, "--cli-input-yaml", document)
    refused(
        stub,
        result,
        252,
        PV + "Error parsing parameter '--cli-input-yaml': the document refers to itself "
        "(a recursive alias)\n",
    )


@pytest.mark.parametrize(
    "option, document",
    [
        ("--cli-input-json", "[" * 3000 + "]" * 3000),
        ("--cli-input-json", '{"a":' * 3000 + "1" + "}" * 3000),
        ("--cli-input-yaml", "a: " + "[" * 3000 + "]" * 3000),
    ],
)
def test_deeply_nested_documents_are_refused(stub, aws_home, tmp_path, option, document):
    path = tmp_path / "deep"
    path.write_text(document)
    result = call(stub, aws_home, option, f"file://{path}")
    refused(
        stub,
        result,
        252,
        PV + f"Error parsing parameter '{option}': the document is nested too deeply\n",
    )


@pytest.mark.parametrize(
    "query, reason",
    [
        ("[" * 5000 + "a" + "]" * 5000, "the expression is nested too deeply"),
        ("a" + "|a" * 5000, "the expression is nested too deeply"),
        ("[0:" + "9" * 5000 + "]", "a number in the expression is too long"),
    ],
)
def test_unreasonable_queries_are_refused(stub, aws_home, query, reason):
    result = call(stub, aws_home, "--endpoint-name", "ep", "--query", query)
    refused(stub, result, 252, PV + f"Bad value for --query: {reason}\n")


@pytest.mark.parametrize(
    "args, start",
    [
        (["--cli-input-json", "file:///dev/zero"], "Error parsing parameter '--cli-input-json': "),
        (
            ["--endpoint-name", "ep", "--body", "fileb:///dev/zero"],
            "Error parsing parameter '--body': ",
        ),
        (
            ["--endpoint-name", "ep", "--payload", "/dev/zero"],
            "Unable to read --payload /dev/zero: ",
        ),
    ],
)
def test_endless_files_are_read_only_up_to_a_bound(stub, aws_home, args, start):
    result = call(stub, aws_home, *args)
    assert result.returncode == 252, result.stderr.decode()
    message = result.stderr.decode()
    assert message.startswith(PV + start)
    assert "more than 64 MiB to read; stopped" in message
    assert stub.requests == []


@pytest.mark.parametrize("option, value", [("--body", "fileb://{}"), ("--payload", "{}")])
def test_named_pipe_without_a_writer_is_given_up_on(stub, aws_home, tmp_path, option, value):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    result = call(stub, aws_home, "--endpoint-name", "ep", option, value.format(fifo))
    assert result.returncode == 252, result.stderr.decode()
    assert f"nothing wrote to the named pipe {fifo} within 10 seconds" in result.stderr.decode()
    assert stub.requests == []


def test_named_pipe_with_a_writer_is_read(stub, aws_home, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "wb") as pipe:  # blocks until the CLI opens the other end
            pipe.write(b"through a pipe")

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    result = call(stub, aws_home, "--endpoint-name", "ep", "--body", f"fileb://{fifo}")
    writer.join(HANG)
    assert result.returncode == 0, result.stderr.decode()
    assert stub.requests[0]["body"] == b"through a pipe"


def test_unreadable_files_follow_one_rule(stub, aws_home, tmp_path):
    # A path that exists but cannot be opened, even by root: a Unix socket.
    path = str(tmp_path / "socket")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    body = call(stub, aws_home, "--endpoint-name", "ep", "--body", f"fileb://{path}")
    payload = call(stub, aws_home, "--endpoint-name", "ep", "--payload", path)
    for result in (body, payload):
        assert result.returncode == 252, result.stderr.decode()
        assert "No such device or address" in result.stderr.decode()
    assert stub.requests == []
    listener.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_payload_is_refused_before_sending(stub, aws_home, tmp_path):
    path = tmp_path / "secret.json"
    path.write_text("{}")
    path.chmod(0)
    result = call(stub, aws_home, "--endpoint-name", "ep", "--payload", str(path))
    refused(
        stub,
        result,
        252,
        PV + f"Unable to read --payload {path}: [Errno 13] Permission denied: '{path}'\n",
    )


@pytest.mark.parametrize(
    "option", ["--custom-attributes", "--inference-id", "--content-type", "--input-location"]
)
def test_bytes_that_are_not_utf8_are_refused(stub, aws_home, option):
    value = b"a\xff".decode("utf-8", "surrogateescape")  # what Python makes of argv bytes
    result = call(stub, aws_home, "--endpoint-name", "ep", option, value)
    refused(
        stub,
        result,
        252,
        PV + f"Error parsing parameter '{option}': the value is not valid UTF-8 "
        "(byte 0xff cannot be sent)\n",
    )


def test_bytes_that_are_not_utf8_in_a_document_are_refused(stub, aws_home):
    value = b'{"EndpointName": "e\xfe"}'.decode("utf-8", "surrogateescape")
    result = call(stub, aws_home, "--cli-input-json", value)
    refused(
        stub,
        result,
        252,
        PV + "Error parsing parameter '--cli-input-json': the value is not valid UTF-8 "
        "(byte 0xfe cannot be sent)\n",
    )
