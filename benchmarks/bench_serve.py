"""Benchmark ``sagemaker-async serve`` on loopback: accepted invocations per second with a
concurrent botocore client, and the median time from the 202 to the output object being
readable with the ``echo`` model.

    .venv/bin/python benchmarks/bench_serve.py [--requests 3000] [--threads 16] [--workers 4]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import botocore.session
from botocore.config import Config

from sagemaker_async.local.process import ServeProcess

SRC = Path(__file__).resolve().parents[1] / "src"
KEY, SECRET = "AKIDBENCH", "bench-secret"


def start_serve(data_dir: str, workers: int) -> ServeProcess:
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "PYTHONPATH": str(SRC),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    args = ["--data-dir", data_dir, "--workers", str(workers)]
    return ServeProcess([*args, "--access-key-id", KEY, "--secret-access-key", SECRET], env=env)


def client(service: str, url: str, pool: int):
    return botocore.session.Session().create_client(
        service,
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        config=Config(max_pool_connections=pool, retries={"max_attempts": 1}),
    )


def throughput(runtime, requests: int, threads: int) -> float:
    def invoke(i: int) -> None:
        response = runtime.invoke_endpoint_async(
            EndpointName="echo", Body=b'{"n": %d}' % i, ContentType="application/json"
        )
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 202

    for i in range(50):  # warm up connections
        invoke(i)
    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(invoke, range(requests)))
    return requests / (time.perf_counter() - start)


def latency(runtime, s3, samples: int) -> list[float]:
    out = []
    for i in range(samples):
        response = runtime.invoke_endpoint_async(EndpointName="echo", Body=b"latency %d" % i)
        accepted = time.perf_counter()
        bucket, key = response["OutputLocation"][5:].split("/", 1)
        while True:
            try:
                s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                break
            except s3.exceptions.NoSuchKey:
                pass
        out.append((time.perf_counter() - accepted) * 1000)
    return out


def wait_idle(url: str) -> None:
    import json
    import urllib.request

    while True:
        with urllib.request.urlopen(url + "/_status") as response:
            if json.load(response)["Endpoints"]["echo"]["ApproximateBacklogSize"] == 0:
                return
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as data_dir:
        server = start_serve(data_dir, args.workers)
        url = server.url
        try:
            runtime = client("sagemaker-runtime", url, args.threads)
            s3 = client("s3", url, 2)
            rate = throughput(runtime, args.requests, args.threads)
            drain_start = time.perf_counter()
            wait_idle(url)
            drained = time.perf_counter() - drain_start
            times = latency(runtime, s3, args.samples)
        finally:
            server.stop()
    print(
        f"cpus: {os.cpu_count()}  workers/endpoint: {args.workers}  client threads: {args.threads}"
    )
    print(f"accepted invocations/s: {rate:.0f} ({args.requests} requests)")
    print(f"backlog drained {drained:.2f} s after the last 202")
    print(
        f"202 -> output readable (echo), ms: median {statistics.median(times):.1f}  "
        f"p90 {statistics.quantiles(times, n=10)[-1]:.1f}  max {max(times):.1f} "
        f"({len(times)} samples)"
    )


if __name__ == "__main__":
    main()
