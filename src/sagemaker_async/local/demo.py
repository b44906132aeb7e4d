"""``make demo``: the main job, end to end, on this machine only.

Starts ``sagemaker-async serve`` on a free loopback port with a throw-away data folder and
throw-away credentials, then runs the CLI as a user would: an AWS-style invoke, the same
request waited for with the result printed, a payload too large to send inline uploaded to
the local S3 first, and a failing inference. Every command is printed before it runs.
Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile

from sagemaker_async.local.process import ServeProcess, ServeStartError

CLI = [sys.executable, "-m", "sagemaker_async"]


def _environment(home: str) -> dict[str, str]:
    config = os.path.join(home, "config")
    credentials = os.path.join(home, "credentials")
    with open(config, "w") as f:
        f.write("[default]\nregion = us-east-1\n")
    with open(credentials, "w") as f:
        f.write("[default]\naws_access_key_id = local\naws_secret_access_key = local-secret\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=config,
        AWS_SHARED_CREDENTIALS_FILE=credentials,
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def _show(args: list[str], stdin: str | None = None) -> None:
    shown = "sagemaker-async " + " ".join(shlex.quote(a) for a in args)
    if stdin is not None:
        shown = f"echo {shlex.quote(stdin.rstrip(chr(10)))} | {shown}"
    print(f"\n$ {shown}", flush=True)


def _run(args: list[str], env: dict[str, str], stdin: str | None = None) -> int:
    _show(args, stdin)
    result = subprocess.run(
        [*CLI, *args],
        env=env,
        input=stdin.encode() if stdin is not None else None,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        check=False,
    )
    print(f"(exit {result.returncode})", flush=True)
    return result.returncode


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="sagemaker-async-demo-") as home:
        env = _environment(home)
        serve_args = ["--data-dir", os.path.join(home, "data")]
        _show(["serve", "--port", "0", *serve_args])
        try:
            server = ServeProcess(serve_args, env=env, log_path=os.path.join(home, "serve.log"))
        except ServeStartError as exc:
            print(exc, file=sys.stderr)
            return 1
        with server:
            print(server.url, flush=True)
            return _scenario(server.url, env)


def _scenario(url: str, env: dict[str, str]) -> int:
    invoke = ["--endpoint-url", url, "sagemaker-runtime", "invoke-endpoint-async"]
    echo = [*invoke, "--endpoint-name", "echo", "--content-type", "application/json"]
    payload = '{"hello": "world"}\n'
    codes = [
        # The AWS CLI's command, unchanged: enqueue and print where the result will be.
        _run([*echo, "--body", "eyJoZWxsbyI6ICJ3b3JsZCJ9"], env),
        # Ours: send a payload from stdin, wait for the result, print it.
        _run([*echo, "--payload", "-", "--wait"], env, stdin=payload),
    ]
    big = os.path.join(os.path.dirname(env["AWS_CONFIG_FILE"]), "big.json")
    with open(big, "w") as f:
        f.write('{"data": "' + "x" * 200_000 + '"}')
    codes.append(
        _run(
            [
                *echo,
                "--payload",
                big,
                "--input-location",
                "s3://sagemaker-us-east-1-123456789012/demo-inputs/",
                "--wait",
                "--download",
                big + ".out",
                "--query",
                "OutputLocation",
                "--output",
                "text",
            ],
            env,
        )
    )
    if os.path.exists(big + ".out"):
        with open(big, "rb") as sent, open(big + ".out", "rb") as received:
            same = "identical to" if sent.read() == received.read() else "DIFFERENT from"
        size = os.path.getsize(big + ".out")
        # The file lives in the demo's temporary folder, removed when the demo ends: no path.
        print(f"(the downloaded result: {size:,} bytes, {same} the payload)", flush=True)
    failed = _run(
        [*echo, "--payload", "-", "--wait", "--custom-attributes", "fail=model exploded"],
        env,
        stdin=payload,
    )
    print("\nExit 3 means the inference failed; its failure object is shown on stderr.")
    print("The demo's temporary folder (serve's data, the payload, the result) is now removed.")
    return 0 if codes == [0, 0, 0] and failed == 3 else 1


if __name__ == "__main__":
    sys.exit(main())
