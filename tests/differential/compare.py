"""What counts as the same run: exit code, stdout, stderr (our name read as ``aws``) and the
requests the stub received (path, x-amzn-sagemaker-* and content-type headers, body, whether
the signature verified, and the signing scope: access key, region, service)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

UUID4 = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
CREDENTIAL = re.compile(r"Credential=([^/]*)/\d{8}/([^/]*)/([^/]*)/aws4_request")


@dataclass
class Run:
    rc: int
    stdout: bytes
    stderr: bytes
    requests: list[dict[str, Any]] = field(default_factory=list)
    timed_out: bool = False


def normalise_uuids(data: bytes) -> bytes:
    """Each distinct uuid4 becomes a numbered placeholder, in order of first appearance."""
    numbers: dict[bytes, int] = {}

    def placeholder(match: re.Match[bytes]) -> bytes:
        return b"<uuid4 #%d>" % numbers.setdefault(match.group(0), len(numbers) + 1)

    if b"\x00" in data:  # UTF-16 output (PYTHONIOENCODING): normalise the text it holds
        try:
            text = data.decode("utf-16-le")
        except UnicodeDecodeError:
            return UUID4.sub(placeholder, data)
        return normalise_uuids(text.encode("utf-8")).decode("utf-8").encode("utf-16-le")
    return UUID4.sub(placeholder, data)


def as_aws(stderr: bytes) -> bytes:
    """Our name read as ``aws``, in the encodings a PYTHONIOENCODING can give stderr."""
    for encoding in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        stderr = stderr.replace("sagemaker-async".encode(encoding), "aws".encode(encoding))
    return stderr


def request_view(request: dict[str, Any]) -> dict[str, Any]:
    headers = request["headers"]
    scope = CREDENTIAL.search(headers.get("authorization", ""))
    return {
        "method": request["method"],
        "path": request["path"],
        "headers": {
            name: value
            for name, value in sorted(headers.items())
            if name.startswith("x-amzn-sagemaker-") or name == "content-type"
        },
        "body": request["body"],
        "sig_ok": request["sig_ok"],
        "scope": scope.groups() if scope else None,
    }


def differences(aws: Run, ours: Run) -> dict[str, str]:
    """Field name -> a readable diff; empty when the runs match."""
    found: dict[str, str] = {}
    if aws.timed_out or ours.timed_out:
        found["timeout"] = f"AWS CLI timed out: {aws.timed_out}, ours: {ours.timed_out}"
    if aws.rc != ours.rc:
        found["rc"] = f"exit code: AWS CLI {aws.rc}, ours {ours.rc}"
    for label, want, got in (
        ("stdout", aws.stdout, ours.stdout),
        ("stderr", aws.stderr, as_aws(ours.stderr)),
    ):
        want, got = normalise_uuids(want), normalise_uuids(got)
        if want != got:
            found[label] = _diff(label, want, got)
    want_requests = [request_view(r) for r in aws.requests]
    got_requests = [request_view(r) for r in ours.requests]
    if want_requests != got_requests:
        found["requests"] = _diff(
            "requests",
            "\n".join(map(repr, want_requests)).encode(),
            "\n".join(map(repr, got_requests)).encode(),
        )
    return found


def _lines(data: bytes) -> list[str]:
    return [repr(line.decode("utf-8", "backslashreplace")) for line in data.splitlines(True)]


def _diff(label: str, want: bytes, got: bytes) -> str:
    diff = difflib.unified_diff(
        _lines(want), _lines(got), f"{label} (AWS CLI)", f"{label} (ours)", lineterm="", n=2
    )
    text = "\n".join(diff)
    return text if len(text) < 4000 else text[:4000] + "\n… (cut)"


def kind_of(aws: Run, found: dict[str, str]) -> str:
    """A short label grouping mismatches with the same cause: the fields that differ and the
    AWS CLI's first error line (digits and paths blurred)."""
    line = next((ln for ln in aws.stderr.decode("utf-8", "replace").splitlines() if ln), "")
    line = re.sub(r"/\S+", "<path>", line)
    line = re.sub(r"\d+", "N", line)[:90]
    return f"{'+'.join(sorted(found))} | rc {aws.rc} | {line}"
