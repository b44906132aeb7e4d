"""A worker that hits an I/O error while finishing an invocation retries it: the request still
ends with exactly one output object, without a restart. The error is real: ``serve`` runs with a
low open-files limit (set with ``setrlimit`` in the child before it starts) and a connection bound
set above it, so idle connections use up its descriptors and writing the output object fails
with EMFILE until they close."""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
from urllib.parse import urlsplit

import pytest

from conftest import CREDENTIALS, Serve, object_exists, serve_env, wait_for_object
from serving import wait_until

FD_LIMIT = 64


def limit_open_files() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to count descriptors")
def test_output_write_failing_with_emfile_is_retried_without_a_restart(tmp_path):
    env = serve_env(
        tmp_path,
        {
            **CREDENTIALS,
            # more connections than descriptors, and no idle timeout during the test
            "SAGEMAKER_ASYNC_SERVE_LIMITS": "max_connections=1000,header_timeout=300",
        },
    )
    server = Serve(
        tmp_path / "data",
        ["--workers", "1"],
        env,
        tmp_path,
        preexec_fn=limit_open_files,  # runs in the child before serve starts
    )
    try:
        check_emfile_retry(server)
    finally:
        server.stop(signal.SIGKILL if server.proc.poll() is None else signal.SIGTERM)


def check_emfile_retry(server: Serve) -> None:
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
            wait_until(lambda before=before: open_fds(pid) > before, bool, timeout=2.0)
            assert len(idle) < FD_LIMIT, "serve's descriptors did not fill up"
        response = runtime.invoke_endpoint_async(EndpointName="echo", Body=b"retried")
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
        assert wait_until(lambda: "Too many open files" in server.stderr(), bool, 15.0), (
            server.stderr()
        )
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
