"""Benchmark the workflow commands against ``sagemaker-async serve`` on loopback.

1. ``sagemaker-runtime batch`` (one process, no --wait) vs the equivalent loop of single
   ``invoke-endpoint-async`` CLI calls: both rates and their ratio.
2. ``batch --wait`` of many requests (10,000 by default): end to end, every request submitted
   and its output found, and the rate of the whole run.
3. A single ``invoke-endpoint-async --payload - --wait`` of a small payload with ``echo``: how
   long after the output object was written (its mtime in serve's data directory) the CLI
   process has returned.

    .venv/bin/python benchmarks/bench_batch.py [--requests 3000] [--singles 30] [--samples 20]

Loopback only: serve listens on 127.0.0.1, the CLI gets fake credentials and empty config.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sagemaker_async.local.process import ServeProcess

SRC = Path(__file__).resolve().parents[1] / "src"
KEY, SECRET = "AKIDBENCH", "bench-secret"
PAYLOAD = b'{"instances": [[1.0, 2.0, 3.0]]}'


def environment(home: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": home,
        "PYTHONPATH": str(SRC),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_ACCESS_KEY_ID": KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def start_serve(data_dir: str, env: dict[str, str], workers: int) -> ServeProcess:
    args = ["--data-dir", data_dir, "--workers", str(workers), "--endpoint", "echo"]
    return ServeProcess(args, env=env)


def cli(url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "sagemaker_async", "--endpoint-url", url, *args]


def run_batch(
    url: str, env: dict[str, str], path: Path, requests: int, *options: str
) -> tuple[subprocess.CompletedProcess[bytes], float]:
    """Write ``requests`` echo requests to ``path`` (InferenceIds ``<path stem>-N``), run
    ``batch --requests path OPTIONS`` on them; (the finished process, its wall time in s)."""
    body = base64.b64encode(PAYLOAD).decode()
    with path.open("w") as f:
        for n in range(requests):
            line = {"EndpointName": "echo", "Body": body, "InferenceId": f"{path.stem}-{n}"}
            f.write(json.dumps(line) + "\n")
    start = time.perf_counter()
    result = subprocess.run(
        cli(url, "sagemaker-runtime", "batch", "--requests", str(path), *options),
        env=env,
        capture_output=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        name = " ".join(["batch", *options])
        raise SystemExit(f"{name} failed ({result.returncode}): {result.stderr.decode()}")
    return result, elapsed


def batch_rate(url: str, env: dict[str, str], folder: Path, requests: int) -> tuple[float, float]:
    """(submissions/s over the process's wall time, the rate the batch summary reports)."""
    result, elapsed = run_batch(url, env, folder / "b.jsonl", requests)
    submitted = sum(1 for line in result.stdout.splitlines() if b'"submitted"' in line)
    assert submitted == requests, (submitted, requests)
    reported = re.search(rb"submitted \(([\d.]+)/s\)", result.stderr)
    return requests / elapsed, float(reported.group(1)) if reported else float("nan")


def batch_wait_rate(url: str, env: dict[str, str], folder: Path, requests: int) -> float:
    """Requests/s of ``batch --wait`` from start to the last output found; all must complete."""
    result, elapsed = run_batch(url, env, folder / "w.jsonl", requests, "--wait")
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    done = sum(1 for line in lines if "completed" in json.dumps(line).lower())
    assert len(lines) == requests and done == requests, (len(lines), done, requests)
    return requests / elapsed


def single_call_rate(url: str, env: dict[str, str], calls: int) -> float:
    body = base64.b64encode(PAYLOAD).decode()
    args = cli(url, "sagemaker-runtime", "invoke-endpoint-async", "--endpoint-name", "echo")
    start = time.perf_counter()
    for _ in range(calls):
        subprocess.run([*args, "--body", body], env=env, capture_output=True, check=True)
    return calls / (time.perf_counter() - start)


def wait_latencies(url: str, env: dict[str, str], data_dir: str, folder: Path, samples: int):
    """ms from the output object's write to the end of the submit-and-wait process."""
    out: list[float] = []
    args = cli(url, "sagemaker-runtime", "invoke-endpoint-async", "--endpoint-name", "echo")
    for n in range(samples):
        target = folder / f"result-{n}.json"
        result = subprocess.run(
            [*args, "--payload", "-", "--download", str(target)],
            env=env,
            input=PAYLOAD,
            capture_output=True,
            check=True,
        )
        returned = time.time()
        location = json.loads(result.stdout)["OutputLocation"]
        bucket, key = location[len("s3://") :].split("/", 1)
        digest = hashlib.sha256(key.encode()).hexdigest()
        stored = Path(data_dir, "s3", "buckets", bucket, "objects", digest[:2], digest)
        written = stored.stat().st_mtime_ns / 1e9
        assert target.read_bytes() == PAYLOAD
        out.append((returned - written) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="lines in the batch")
    parser.add_argument(
        "--wait-requests",
        type=int,
        default=int(os.environ.get("BENCH_BATCH_WAIT_REQUESTS", "10000")),
        help="lines in the batch --wait run",
    )
    parser.add_argument("--singles", type=int, default=30, help="single CLI calls in the loop")
    parser.add_argument("--samples", type=int, default=20, help="submit-and-wait runs")
    parser.add_argument("--workers", type=int, default=2, help="serve's workers per endpoint")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        folder = Path(tmp)
        env = environment(tmp)
        data_dir = str(folder / "serve-data")
        server = start_serve(data_dir, env, args.workers)
        url = server.url
        try:
            batch, reported = batch_rate(url, env, folder, args.requests)
            waited = batch_wait_rate(url, env, folder, args.wait_requests)
            singles = single_call_rate(url, env, args.singles)
            latencies = wait_latencies(url, env, data_dir, folder, args.samples)
        finally:
            server.stop()
    print(f"cpus: {os.cpu_count()}  serve workers/endpoint: {args.workers}")
    print(
        f"batch, one process:        {batch:7.1f} submissions/s "
        f"({args.requests} requests, wall time incl. start-up; the summary says {reported:.1f}/s)"
    )
    print(
        f"batch --wait, end to end:  {waited:7.1f} requests/s "
        f"({args.wait_requests} requests submitted and all outputs found)"
    )
    print(f"loop of single CLI calls:  {singles:7.1f} submissions/s ({args.singles} calls)")
    print(f"ratio batch / loop:        {batch / singles:7.1f}x")
    print(
        f"submit-and-wait (echo), output written -> CLI returned, ms: "
        f"median {statistics.median(latencies):.1f}  max {max(latencies):.1f} "
        f"({len(latencies)} runs)"
    )


if __name__ == "__main__":
    main()
