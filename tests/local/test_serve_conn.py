"""Connections are bounded: deadlines for idle and slow (slowloris) connections and stalled
bodies, a connection limit drawn from the fd limit that keeps fds for the workers, and idle
connections give way to new ones, so many idle clients cannot lock everyone out."""

from __future__ import annotations

import http.client
import resource
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import (
    ACCESS_KEY,
    CREDENTIALS,
    REGION,
    SECRET_KEY,
    Serve,
    serve_env,
    wait_for_object,
)

FAST = {"SAGEMAKER_ASYNC_SERVE_LIMITS": "header_timeout=1,read_timeout=1"}


def connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=10)


def closed_by_server(sock: socket.socket, drip: bytes = b"", deadline: float = 30.0) -> bytes:
    """Keep sending ``drip`` (nothing if empty) until the server closes; what it answered."""
    end = time.monotonic() + deadline
    received = b""
    sock.settimeout(0.2)
    with sock:
        while time.monotonic() < end:
            try:
                if drip:
                    sock.sendall(drip)
                data = sock.recv(65536)
                if not data:
                    return received
                received += data
            except TimeoutError:
                continue
            except OSError:  # reset or broken pipe: closed
                return received
    raise AssertionError("the server kept the connection open")


def signed_headers(
    url: str, method: str, path: str, extra: dict[str, str], body: bytes = b""
) -> dict[str, str]:
    request = AWSRequest(method, url + path, headers=extra, data=body)
    S3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION).add_auth(request)
    return dict(request.headers.items())


def head_block(method: str, path: str, url: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {urlsplit(url).netloc}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_idle_and_slowloris_connections_are_closed(start_serve):
    server = start_serve(env=FAST)
    idle = connect(server.url)
    assert closed_by_server(idle) == b""
    slow = connect(server.url)
    slow.sendall(b"GET /_status HTTP/1.1\r\nHost: x\r\n")
    closed_by_server(slow, drip=b"X-Slow: y\r\n")
    assert server.status()["echo"]["Completed"] == 0  # still serving


def test_a_stalled_body_ends_in_request_timeout_and_stores_nothing(start_serve):
    server = start_serve(env=FAST)
    s3 = server.client("s3")
    s3.create_bucket(Bucket="stalled")
    headers = signed_headers(
        server.url,
        "PUT",
        "/stalled/half",
        {"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD", "Content-Length": "100"},
    )
    sock = connect(server.url)
    sock.sendall(head_block("PUT", "/stalled/half", server.url, headers) + b"only ten!!")
    answer = closed_by_server(sock)
    assert answer.startswith(b"HTTP/1.1 400") and b"<Code>RequestTimeout</Code>" in answer
    assert "Contents" not in s3.list_objects_v2(Bucket="stalled")


def test_a_trickling_body_ends_in_request_timeout(start_serve):
    """One byte at a time, never stalling long enough for a read timeout: still ended."""
    server = start_serve(env=FAST)
    s3 = server.client("s3")
    s3.create_bucket(Bucket="trickle")
    headers = signed_headers(
        server.url,
        "PUT",
        "/trickle/slow",
        {"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD", "Content-Length": "100000"},
    )
    sock = connect(server.url)
    sock.sendall(head_block("PUT", "/trickle/slow", server.url, headers))
    answer = closed_by_server(sock, drip=b"x")
    assert answer.startswith(b"HTTP/1.1 400") and b"<Code>RequestTimeout</Code>" in answer
    assert "Contents" not in s3.list_objects_v2(Bucket="trickle")


def test_a_refused_request_never_gets_100_continue(start_serve):
    server = start_serve()
    s3 = server.client("s3")
    s3.create_bucket(Bucket="expect")
    sock = connect(server.url)
    sock.sendall(
        head_block(
            "PUT", "/expect/k", server.url, {"Content-Length": "1000", "Expect": "100-continue"}
        )
    )
    answer = closed_by_server(sock)
    assert answer.startswith(b"HTTP/1.1 403") and b"100 Continue" not in answer
    headers = signed_headers(
        server.url,
        "PUT",
        "/expect/k",
        {"Content-Length": "5", "Expect": "100-continue"},
        b"hello",
    )
    sock = connect(server.url)
    sock.sendall(head_block("PUT", "/expect/k", server.url, headers))
    assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue")
    sock.sendall(b"hello")
    assert sock.recv(100).startswith(b"HTTP/1.1 200")
    sock.close()
    assert s3.get_object(Bucket="expect", Key="k")["Body"].read() == b"hello"


def test_an_unauthenticated_body_is_refused_before_it_is_sent(start_serve):
    """The answer comes while the client still holds its 4 MiB body back."""
    server = start_serve()
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.putrequest("POST", "/endpoints/echo/async-invocations")
    conn.putheader("Content-Length", str(4 * 1024 * 1024))
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 403
    assert response.getheader("x-amzn-ErrorType") == "MissingAuthenticationTokenException"
    conn.close()


def test_when_every_connection_is_busy_new_ones_get_slow_down(start_serve):
    server = start_serve(env={"SAGEMAKER_ASYNC_SERVE_LIMITS": "max_connections=2,read_timeout=30"})
    busy, answer = [], b""
    for _ in range(3):  # each is answered, then waits for the body it declared, never sent
        sock = connect(server.url)
        sock.sendall(head_block("PUT", "/b/k", server.url, {"Content-Length": "10"}))
        sock.settimeout(10)
        answer = sock.recv(1000)
        if not answer.startswith(b"HTTP/1.1 403"):  # unsigned: 403, then the body is drained
            sock.close()
            break
        busy.append(sock)
    # (a connection just being closed may still count: the refusal can come one early)
    assert 1 <= len(busy) <= 2
    assert answer.startswith(b"HTTP/1.1 503") and b"<Code>SlowDown</Code>" in answer
    for sock in busy:
        sock.sendall(b"0123456789")
        sock.close()
    end = time.monotonic() + 20
    while True:  # the slots free up as those connections end
        try:
            server.status()
            break
        except OSError:
            assert time.monotonic() < end
            time.sleep(0.1)


@pytest.fixture
def limited(tmp_path):
    """``serve`` under a low fd limit (``ulimit -n 256``)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    env = serve_env(tmp_path, CREDENTIALS)
    # preexec_fn: a single-threaded moment in the test
    server = Serve(tmp_path / "data", ["--endpoint", "echo"], env, tmp_path, preexec_fn=limit)
    yield server
    server.stop()


def test_idle_connections_beyond_the_fd_limit_lock_nobody_out(limited):
    idle = [connect(limited.url) for _ in range(300)]  # more than the server has fds for
    try:
        s3 = limited.client("s3")
        assert "Buckets" in s3.list_buckets()
        runtime = limited.client("sagemaker-runtime")
        s3.create_bucket(Bucket="fd-limit")
        s3.put_object(Bucket="fd-limit", Key="in.json", Body=b'{"fd": "limit"}')
        answer = runtime.invoke_endpoint_async(
            EndpointName="echo", InputLocation="s3://fd-limit/in.json"
        )
        output = wait_for_object(s3, answer["OutputLocation"], timeout=30)
        assert output == b'{"fd": "limit"}'
    finally:
        for sock in idle:
            sock.close()
    assert "Too many open files" not in limited.stderr()


def rss_mb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_refused_bodies_are_never_kept_in_memory(start_serve):
    """32 concurrent 5 MiB runtime POSTs with a wrong signature (the body must be hashed to
    know) and 32 unsigned ones: the server's memory stays where it was (before: +40-50 MB)."""
    import threading

    server = start_serve()
    parts = urlsplit(server.url)
    body = b"x" * (5 * 1024 * 1024)
    date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    wrong = {
        "X-Amz-Date": date,
        "Authorization": f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{date[:8]}/{REGION}/"
        "sagemaker/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
    }
    statuses: list[int] = []

    def post(headers: dict[str, str]) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        try:
            conn.request("POST", "/endpoints/echo/async-invocations", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
        finally:
            conn.close()

    before = rss_mb(server.proc.pid)
    threads = [threading.Thread(target=post, args=(h,)) for h in [wrong] * 32 + [{}] * 32]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [403] * 64
    assert rss_mb(server.proc.pid) - before < 24
