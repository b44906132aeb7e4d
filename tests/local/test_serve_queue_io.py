"""A worker that hits an I/O error while finishing an invocation retries it: the request still
ends with exactly one output object, without a restart. The error is real: ``serve`` runs with a
low open-files limit (set by a ``sitecustomize`` hook before it starts) and a connection bound
set above it, so idle connections use up its descriptors and writing the output object fails
with EMFILE until they close."""

from __future__ import annotations

import json
import os
import socket
import time
from urllib.parse import urlsplit

import pytest

from conftest import object_exists, wait_for_object
from helpers import SRC

FD_LIMIT = 64

HOOK = """
import os, resource
limit = os.environ.get("SERVE_TEST_NOFILE")
if limit:
    resource.setrlimit(resource.RLIMIT_NOFILE, (int(limit), int(limit)))
"""


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def poll(condition, timeout: float = 15.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to count descriptors")
def test_output_write_failing_with_emfile_is_retried_without_a_restart(start_serve, tmp_path):
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(HOOK)
    server = start_serve(
        "--workers",
        "1",
        env={
            "PYTHONPATH": f"{hook_dir}{os.pathsep}{SRC}",
            "SERVE_TEST_NOFILE": str(FD_LIMIT),
            # more connections than descriptors, and no idle timeout during the test
            "SAGEMAKER_ASYNC_SERVE_LIMITS": "max_connections=1000,header_timeout=300",
        },
    )
    pid = server.proc.pid
    runtime, s3 = server.client("sagemaker-runtime"), server.client("s3")
    warm = runtime.invoke_endpoint_async(EndpointName="echo", Body=b"warm")
    assert wait_for_object(s3, warm["OutputLocation"]) == b"warm"  # both connections now open

    parts = urlsplit(server.url)
    idle: list[socket.socket] = []
    try:
        while open_fds(pid) < FD_LIMIT:  # each accepted idle connection holds a descriptor
            before = open_fds(pid)
            idle.append(socket.create_connection((parts.hostname, parts.port)))
            poll(lambda before=before: open_fds(pid) > before, timeout=2.0)
            assert len(idle) < FD_LIMIT, "serve's descriptors did not fill up"
        response = runtime.invoke_endpoint_async(EndpointName="echo", Body=b"retried")
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
        assert poll(lambda: "Too many open files" in server.stderr()), server.stderr()
        assert "retrying" in server.stderr()
    finally:
        for sock in idle:
            sock.close()

    assert wait_for_object(s3, response["OutputLocation"], timeout=20) == b"retried"
    assert not object_exists(s3, response["FailureLocation"])
    assert server.proc.poll() is None  # the same process: no restart
    entry = server.wait_idle()
    assert (entry["Completed"], entry["Failed"], entry["ApproximateBacklogSize"]) == (2, 0, 0)
    events = [
        json.loads(line)
        for line in (server.data_dir / "notifications.jsonl").read_text().splitlines()
    ]
    mine = [e for e in events if e["inferenceId"] == response["InferenceId"]]
    assert [e["invocationStatus"] for e in mine] == ["Completed"]
