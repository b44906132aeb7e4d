"""Fuzz the input side: random, hostile command lines and environments through the real entry
point (tests/fuzz_server.py forks one child per line), for a few seconds.

Whatever the input, the CLI must answer with a documented exit code (docs/exit-codes.md), a
message on stderr when it fails, never a traceback, never Python's internals, and within a
deadline. ``FUZZ_SECONDS`` (default 4) sets the budget and ``FUZZ_SEED`` the seed; a failure
prints the seed and the line, to replay it.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from helpers import CHILD_PYTHONPATH

DOCUMENTED_CODES = {0, 3, 4, 130, 252, 253, 254, 255}
INTERNAL = re.compile(
    r"Traceback \(most recent call last\)|has no attribute|'NoneType' object|not subscriptable"
    r"|unhashable type|positional argument|unexpected keyword|maximum recursion depth"
    r"|Exceeds the limit|object is not|MemoryError"
)
EMPTY_MESSAGE = re.compile(r"\[ERROR\]:\s*$", re.MULTILINE)
SERVER = Path(__file__).with_name("fuzz_server.py")

OPTIONS = [
    "--endpoint-name",
    "--input-location",
    "--content-type",
    "--accept",
    "--custom-attributes",
    "--inference-id",
    "--request-ttl-seconds",
    "--invocation-timeout-seconds",
    "--s3-output-path-extension",
    "--filename",
    "--body",
    "--cli-input-json",
    "--cli-input-yaml",
    "--generate-cli-skeleton",
    "--payload",
    "--output",
    "--query",
    "--region",
    "--profile",
    "--color",
    "--cli-binary-format",
    "--cli-error-format",
    "--ca-bundle",
    "--cli-read-timeout",
    "--cli-connect-timeout",
    "--no-verify-ssl",
    "--no-sign-request",
    "--no-paginate",
    "--endpoint-url",
    "--",
    "-",
    "--bogus",
    "--endpoint-n",
    "--in",
]
ENV_NAMES = [
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_DEFAULT_OUTPUT",
    "AWS_CLI_ERROR_FORMAT",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "AWS_CA_BUNDLE",
    "AWS_ENDPOINT_URL",
    "AWS_CLI_FILE_ENCODING",
    "AWS_ACCESS_KEY_ID",
]
SURROGATE = b"\xff\xfe".decode("utf-8", "surrogateescape")


def values(folder: Path) -> list[str]:
    return [
        "",
        "ep",
        "-",
        "--",
        "x" * 5000,
        "a" + SURROGATE,
        "é💥",
        "a\nb",
        "\x7f\x1b[31m",
        "file://",
        "file:///dev/null",
        "file:///nonexistent",
        f"file://{folder}",
        f"fileb://{folder}/data.bin",
        f"file://{folder}/data.bin",
        f"file://{folder}/doc.json",
        "fileb:///dev/null",
        "{",
        "[]",
        '{"EndpointName": 1}',
        '{"EndpointName": "e", "Body": "!!"}',
        "[" * 1500 + "]" * 1500,
        '{"a":' * 1200 + "1" + "}" * 1200,
        "a: &x [*x]",
        "a: !!python/object:os.system x",
        "%YAML 9.9\n---\na: 1",
        "? - a\n: b",
        "1e999",
        "-1",
        "9" * 5000,
        "0x10",
        "s3://",
        "s3://b",
        "s3://b/k",
        "http://[::1",
        "http://127.0.0.1:9",
        "localhost",
        "json",
        "table",
        "text",
        "yaml",
        "input",
        "output",
        "on",
        "base64",
        "legacy",
        "@",
        "[0:" + "1" * 4400 + "]",
        "a" + ".a" * 3000,
        "${HOME}",
        "~",
    ]


def make_line(rng: random.Random, pool: list[str], base_env: dict[str, str], url: str) -> dict:
    args: list[str] = []
    if rng.random() < 0.9:
        args += ["sagemaker-runtime", "invoke-endpoint-async"]
    else:
        args += rng.sample(["sagemaker-runtime", "invoke-endpoint-async", "help", "x"], 2)
    for _ in range(rng.randrange(0, 7)):
        option = rng.choice(OPTIONS)
        roll = rng.random()
        if roll < 0.7:
            args += [option, rng.choice(pool)]
        elif roll < 0.85:
            args.append(f"{option}={rng.choice(pool)}")
        else:
            args.append(option)
    if rng.random() < 0.85:
        args += ["--endpoint-url", url]
    rng.shuffle(args) if rng.random() < 0.05 else None
    env = dict(base_env)
    for name in rng.sample(ENV_NAMES, rng.randrange(0, 3)):
        env[name] = rng.choice(pool)
    env = {k: v for k, v in env.items() if "\x00" not in v}
    return {"args": args, "env": env}


def problems(answer: dict[str, Any]) -> list[str]:
    found = []
    if answer["timed_out"]:
        found.append("did not finish in time")
    if answer["rc"] not in DOCUMENTED_CODES:
        found.append(f"undocumented exit code {answer['rc']}")
    stderr = answer["stderr"]
    if INTERNAL.search(stderr):
        found.append("Python's internals in the output")
    if answer["rc"] not in (0, 130) and (not stderr.strip() or EMPTY_MESSAGE.search(stderr)):
        found.append("failed without a message")
    return found


def shorten(args: list[str]) -> list[str]:
    """Arguments as a failure report shows them: long ones cut, with their length."""
    return [a if len(a) <= 80 else f"{a[:60]}…({len(a)} chars)" for a in args]


def test_no_input_escapes(stub, aws_home, tmp_path):
    seed = os.environ.get("FUZZ_SEED", "0")
    budget = float(os.environ.get("FUZZ_SECONDS", "4"))
    rng = random.Random(seed)
    (tmp_path / "data.bin").write_bytes(bytes(range(256)))
    (tmp_path / "doc.json").write_text('{"EndpointName": "from-file", "Extra": [1, 2]}')
    pool = values(tmp_path)
    base_env = {**aws_home, "AWS_MAX_ATTEMPTS": "1", "PYTHONPATH": CHILD_PYTHONPATH}
    server = subprocess.Popen(
        [sys.executable, str(SERVER)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**base_env, "PYTHONDONTWRITEBYTECODE": "1"},
        cwd=tmp_path,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    failures: list[str] = []
    count = 0
    try:
        started = time.monotonic()
        while time.monotonic() - started < budget and len(failures) < 5:
            stub.reset()
            line = make_line(rng, pool, base_env, stub.url)
            server.stdin.write(json.dumps(line) + "\n")
            server.stdin.flush()
            answer = json.loads(server.stdout.readline())
            count += 1
            found = problems(answer)
            if found:
                failures.append(
                    f"{', '.join(found)} (rc {answer['rc']}):\n  args: {shorten(line['args'])!r}\n"
                    f"  env: { {k: v for k, v in line['env'].items() if k not in base_env}!r}\n"
                    f"  stderr: {answer['stderr'][-800:]!r}"
                )
    finally:
        server.stdin.close()
        server.wait(timeout=60)
        server.stdout.close()
    assert count > 0, "the fork server answered nothing"
    print(f"fuzz: {count} lines in {budget:g} s (FUZZ_SEED={seed})")
    assert not failures, f"FUZZ_SEED={seed}: {len(failures)} of {count} lines:\n" + "\n".join(
        failures
    )
