"""Running the CLI as a real process, and replaying golden captures of the real AWS CLI."""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
# What every Python process the tests start gets on PYTHONPATH: this checkout's package, and a
# sitecustomize that refuses any name lookup or connection that is not loopback.
LOOPBACK_GUARD = REPO / "tests" / "loopback_guard"
CHILD_PYTHONPATH = os.pathsep.join([str(SRC), str(LOOPBACK_GUARD)])
GOLDEN_DIR = REPO / "tests" / "golden" / "aws-cli-v2.36.7"

# Placeholders used in the captures, and the stub port they were made with.
REF_PLACEHOLDER = "@REF@"
CAPTURE_PORT = "35213"
# Request headers the golden comparison looks at (besides content-type).
COMPARED_HEADER_PREFIX = "x-amzn-sagemaker-"
INFERENCE_ID_HEADER = "x-amzn-sagemaker-inference-id"
UUID4 = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def home_variables(home: Path) -> dict[str, str]:
    """HOME and the XDG folders under it, where programs keep per-user files and caches."""
    return {
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
    }


def clean_env(home: Path, **variables: str) -> dict[str, str]:
    """The environment of every process the tests start, built from nothing: PATH, a temporary
    HOME with its own cache folder, this checkout on PYTHONPATH, the metadata service off, and
    AWS config files under ``home/.aws`` (absent unless written); then ``variables``."""
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        **home_variables(home),
        "PYTHONPATH": CHILD_PYTHONPATH,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
        **variables,
    }


def _with_source_tree(env: dict[str, str]) -> dict[str, str]:
    """Put the working tree's package first, so the tests exercise it whether or not (and
    however) the package is installed in the interpreter's environment."""
    env = dict(env)
    paths = [
        str(SRC),
        str(LOOPBACK_GUARD),
        *filter(None, env.get("PYTHONPATH", "").split(os.pathsep)),
    ]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def run_cli(
    args: list[str],
    env: dict[str, str],
    input: bytes | str | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m sagemaker_async ARGS`` with exactly ``env`` (plus PYTHONPATH → src).

    stdin is /dev/null unless ``input`` is given; stdout and stderr are captured as bytes.
    """
    if isinstance(input, str):
        input = input.encode("utf-8")
    return subprocess.run(
        [sys.executable, "-m", "sagemaker_async", *args],
        env=_with_source_tree(env),
        input=input,
        stdin=subprocess.DEVNULL if input is None else None,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def start_cli(args: list[str], env: dict[str, str], **popen: Any) -> subprocess.Popen[bytes]:
    """Start ``python -m sagemaker_async ARGS`` in the background, like :func:`run_cli`
    (stdin /dev/null unless ``popen`` says otherwise)."""
    popen.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.Popen(
        [sys.executable, "-m", "sagemaker_async", *args], env=_with_source_tree(env), **popen
    )


def run_probe(script: str, args: list[str], env: dict[str, str]) -> tuple[str, Any]:
    """Run ``python -c SCRIPT ARGS_AS_JSON`` against this checkout: (stdout, the JSON value
    the script prints as the last line of stderr)."""
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(args)],
        # No loopback guard here: a probe may watch connections with an audit hook of its own,
        # which must see them (it refuses them itself).
        env={**env, "PYTHONPATH": str(SRC)},
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    return result.stdout.decode(), json.loads(result.stderr.decode().strip().splitlines()[-1])


CLI_PROBE = """
import json, runpy, sys
{before}
sys.argv = ["sagemaker-async", *json.loads(sys.argv[1])]
try:
    runpy.run_module("sagemaker_async", run_name="__main__")
except SystemExit:
    pass
sys.stdout.flush()
print(json.dumps({report}), file=sys.stderr)
"""


def probe_cli(
    args: list[str], env: dict[str, str], report: str, before: str = ""
) -> tuple[str, Any]:
    """Run the CLI in a probe process: ``before`` runs first, then the command line; (stdout,
    the value of the expression ``report`` once it has ended)."""
    return run_probe(CLI_PROBE.format(before=before, report=report), args, env)


def closed_port() -> int:
    """A loopback port nobody listens on (free a moment ago): connections to it are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_shell_wrapper(folder: Path) -> Path:
    """A ``bin/sagemaker-async`` that runs this checkout's CLI; returns the bin folder."""
    bin_dir = folder / "bin"
    bin_dir.mkdir(exist_ok=True)
    wrapper = bin_dir / "sagemaker-async"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m sagemaker_async "$@"\n')
    wrapper.chmod(0o755)
    return bin_dir


def run_shell(
    script: str, env: dict[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[bytes]:
    """``bash -euo pipefail -c SCRIPT`` with ``sagemaker-async`` (this checkout) on PATH."""
    bin_dir = write_shell_wrapper(cwd)
    env = {**env, "PATH": f"{bin_dir}{os.pathsep}{env['PATH']}", "PYTHONPATH": CHILD_PYTHONPATH}
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        env=env,
        cwd=cwd,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )


# --- golden cases ---------------------------------------------------------------------------


def load_golden_cases(path: Path = GOLDEN_DIR / "cases.jsonl") -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def make_ref_dir(tmp_path: Path) -> Path:
    """A fresh copy of the folder the captures were made in (``@REF@``)."""
    ref = tmp_path / "ref"
    shutil.copytree(GOLDEN_DIR / "files", ref)
    return ref


def substitute(value: Any, ref: Path, port: int) -> Any:
    """Replace the capture folder and port with this run's, in strings, lists and dicts."""
    if isinstance(value, str):
        return value.replace(REF_PLACEHOLDER, str(ref)).replace(CAPTURE_PORT, str(port))
    if isinstance(value, list):
        return [substitute(item, ref, port) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, ref, port) for key, item in value.items()}
    return value


def prepare_case(case: dict[str, Any], ref: Path, port: int) -> dict[str, Any]:
    """The case as it reads for this run: this folder, this port."""
    prepared = dict(case)
    for field in ("argv", "env", "stdout", "stderr", "requests"):
        prepared[field] = substitute(case[field], ref, port)
    return prepared


def golden_env(case: dict[str, Any], ref: Path) -> dict[str, str]:
    """The captures' base environment, then the case's variables, minus the case's unsets."""
    home = ref / "home"
    env = clean_env(
        home,
        AWS_CONFIG_FILE=str(home / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"),
    )
    env.update(case.get("env") or {})
    for name in case.get("unset") or []:
        env.pop(name, None)
    return env


_OTHER_LOOPBACK_PORT = re.compile(r"//127\.0\.0\.1:(?!" + CAPTURE_PORT + r"\b)\d+")


def is_slow(case: dict[str, Any]) -> bool:
    """Cases that spend seconds waiting: retries with backoff, refused connections (retried
    too), and the stub's deliberately slow answers (read timeouts)."""
    scenario = case.get("scenario") or "ok"
    return (
        len(case["requests"]) > 1
        or scenario.startswith("slow:")
        or any(_OTHER_LOOPBACK_PORT.search(arg) for arg in case["argv"])
    )


def has_server_generated_ids(case: dict[str, Any]) -> bool:
    """True when a request went out without an inference id, so the stub made up a uuid4."""
    return any(INFERENCE_ID_HEADER not in req["headers"] for req in case["requests"])


def normalise_uuids(text: bytes) -> bytes:
    """Replace each distinct uuid4 with a numbered placeholder, in order of first appearance,
    so outputs still have to use the same id in the same places."""
    numbers: dict[bytes, int] = {}

    def placeholder(match: re.Match[bytes]) -> bytes:
        number = numbers.setdefault(match.group(0), len(numbers) + 1)
        return b"<uuid4 #%d>" % number

    return UUID4.sub(placeholder, text)


def our_stderr_as_aws(stderr: bytes) -> bytes:
    """Our program names itself where AWS says ``aws``."""
    return stderr.replace(b"sagemaker-async", b"aws")


def _body_bytes(body: str | bytes) -> bytes:
    # Captured bodies are text; surrogateescape keeps undecodable bytes round-tripping.
    return body if isinstance(body, bytes) else body.encode("utf-8", "surrogateescape")


def _compared_headers(headers: dict[str, str]) -> dict[str, str]:
    return {
        name: value
        for name, value in headers.items()
        if name.startswith(COMPARED_HEADER_PREFIX) or name == "content-type"
    }


def _request_lines(request: dict[str, Any], header_names: list[str]) -> list[str]:
    headers = _compared_headers(request["headers"])
    lines = [f"path: {request['path']!r}"]
    lines += [
        f"header {name}: {headers[name]!r}" if name in headers else f"header {name}: <absent>"
        for name in header_names
    ]
    lines.append(f"body: {_body_bytes(request['body'])!r}")
    lines.append(f"sig_ok: {request['sig_ok']!r}")
    return lines


def _requests_text(requests: list[dict[str, Any]], header_names: list[str]) -> list[str]:
    lines = [f"{len(requests)} request(s)"]
    for index, request in enumerate(requests, start=1):
        lines.append(f"request {index}:")
        lines += ["  " + line for line in _request_lines(request, header_names)]
    return lines


def _captured_body_matches(expected: str | bytes, actual: bytes) -> bool:
    if _body_bytes(expected) == actual:
        return True
    # A capture that stored an undecodable body lossily can only be matched the same way.
    return (
        isinstance(expected, str)
        and "\ufffd" in expected
        and actual.decode("utf-8", "replace") == expected
    )


def _request_matches(expected: dict[str, Any], actual: dict[str, Any]) -> bool:
    return (
        expected["path"] == actual["path"]
        and _compared_headers(expected["headers"]) == _compared_headers(actual["headers"])
        and _captured_body_matches(expected["body"], actual["body"])
        and expected["sig_ok"] == actual["sig_ok"]
    )


def _text_lines(data: bytes) -> list[str]:
    # repr() per line shows what a plain diff hides: escape codes, trailing spaces, newlines.
    return [repr(line.decode("utf-8", "backslashreplace")) for line in data.splitlines(True)]


def _diff(label: str, expected: list[str], actual: list[str]) -> str:
    diff = difflib.unified_diff(
        expected, actual, f"{label} (AWS CLI)", f"{label} (ours)", lineterm="", n=3
    )
    return "\n".join(diff)


def _signature_notes(requests: list[dict[str, Any]]) -> list[str]:
    """Why the stub refused a signature, when it did (the stub records its reason)."""
    return [
        f"our request {index}: signature refused: {request['sig_reason']}"
        for index, request in enumerate(requests, start=1)
        if not request["sig_ok"] and request.get("sig_reason")
    ]


def compare_run(
    case: dict[str, Any],
    result: subprocess.CompletedProcess[bytes],
    requests: list[dict[str, Any]],
) -> str | None:
    """Compare one run of our CLI with a prepared golden case; a readable report, or None."""
    problems = []
    if result.returncode != case["rc"]:
        problems.append(f"exit code: AWS CLI {case['rc']}, ours {result.returncode}")

    normalise = normalise_uuids if has_server_generated_ids(case) else (lambda data: data)
    for label, expected, actual in (
        ("stdout", case["stdout"].encode("utf-8"), result.stdout),
        ("stderr", case["stderr"].encode("utf-8"), our_stderr_as_aws(result.stderr)),
    ):
        expected, actual = normalise(expected), normalise(actual)
        if expected != actual:
            problems.append(_diff(label, _text_lines(expected), _text_lines(actual)))

    expected_requests = case["requests"]
    same_requests = len(expected_requests) == len(requests) and all(
        _request_matches(want, got) for want, got in zip(expected_requests, requests, strict=True)
    )
    if not same_requests:
        names = sorted(
            {
                name
                for request in [*expected_requests, *requests]
                for name in _compared_headers(request["headers"])
            }
        )
        problems.append(
            _diff(
                "requests",
                _requests_text(expected_requests, names),
                _requests_text(requests, names),
            )
        )
        problems += _signature_notes(requests)

    if not problems:
        return None
    return f"golden case {case['name']!r} differs from AWS CLI 2.36.7:\n\n" + "\n\n".join(problems)
