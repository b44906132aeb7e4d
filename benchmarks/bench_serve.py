"""Benchmark ``sagemaker-async serve`` on loopback, side by side in one run.

1. Sustained load on the ``echo`` endpoint, for each client thread count: accepted/s, outputs
   completed/s *while submitting*, the drain time after the last 202, the 202 latency (p50/p99)
   and the time from the 202 to the output (p50/p99, from the notification's ``eventTime``), plus
   errors and lost or duplicated requests.
2. The queue's cost as it grows: enqueue, claim(+finish), reap and the status query at a small
   and a large number of queued requests (in process, on the real SQLite file), with the ratio.

    .venv/bin/python benchmarks/bench_serve.py [--seconds 30] [--threads 8,16]
        [--depths 1000,100000] [--workers N]

``BENCH_SERVE_SECONDS`` and ``BENCH_QUEUE_DEPTHS`` set the defaults, so ``make bench`` is the
full run and ``BENCH_SERVE_SECONDS=5 BENCH_QUEUE_DEPTHS=1000,20000`` a quick one. Timings on a
shared machine move with its load: compare the numbers of one run with each other.
"""

from __future__ import annotations

import argparse
import calendar
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import botocore.session
from botocore.config import Config

from sagemaker_async.local.process import ServeProcess

SRC = Path(__file__).resolve().parents[1] / "src"
KEY, SECRET = "AKIDBENCH", "bench-secret"


def start_serve(data_dir: str, workers: int | None) -> ServeProcess:
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "PYTHONPATH": str(SRC),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    args = ["--data-dir", data_dir, "--access-key-id", KEY, "--secret-access-key", SECRET]
    if workers:
        args += ["--workers", str(workers)]
    return ServeProcess(args, env=env)


def client(service: str, url: str, pool: int):
    return botocore.session.Session().create_client(
        service,
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        config=Config(max_pool_connections=pool, retries={"max_attempts": 1}),
    )


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def status(url: str) -> dict:
    with urllib.request.urlopen(url + "/_status", timeout=30) as response:
        return json.load(response)["Endpoints"]["echo"]


def finished(entry: dict) -> int:
    return entry["Completed"] + entry["Failed"] + entry["Expired"]


def wait_idle(url: str, limit: float = 600.0) -> float:
    """Seconds until the backlog is empty."""
    start = time.perf_counter()
    while status(url)["ApproximateBacklogSize"] and time.perf_counter() - start < limit:
        time.sleep(0.05)
    return time.perf_counter() - start


def event_times(data_dir: str) -> dict[str, list[float]]:
    """inferenceId -> eventTime (epoch seconds) of each notification."""
    out: dict[str, list[float]] = {}
    with open(Path(data_dir, "notifications.jsonl"), "rb") as fh:
        for line in fh:
            event = json.loads(line)
            stamp = event["eventTime"]  # 2026-11-27T08:00:33.160Z
            seconds = calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S"))
            out.setdefault(event["inferenceId"], []).append(seconds + int(stamp[20:23]) / 1000)
    return out


def load(url: str, data_dir: str, threads: int, seconds: float) -> dict:
    """``threads`` clients submit inline bodies as fast as they can for ``seconds``."""
    runtime = client("sagemaker-runtime", url, threads)
    body = b'{"instances": [[1.0, 2.0, 3.0]]}'
    for _ in range(threads * 2):  # connections and botocore's caches
        runtime.invoke_endpoint_async(EndpointName="echo", Body=body, InferenceId="warm-up")
    wait_idle(url)
    accepted: list[tuple[str, float, float]] = []  # (id, 202 latency s, 202 wall time)
    errors: list[str] = []
    lock = threading.Lock()
    start_gate = threading.Barrier(threads + 1)
    deadline = [0.0]

    def submit(n: int) -> None:
        mine, failed, i = [], [], 0
        start_gate.wait()
        while time.perf_counter() < deadline[0]:
            inference_id = f"t{n}-{i}"
            i += 1
            sent = time.perf_counter()
            try:
                runtime.invoke_endpoint_async(
                    EndpointName="echo",
                    Body=body,
                    ContentType="application/json",
                    InferenceId=inference_id,
                )
            except Exception as exc:  # counted, not fatal
                failed.append(f"{type(exc).__name__}: {exc}")
                continue
            mine.append((inference_id, time.perf_counter() - sent, time.time()))
        with lock:
            accepted.extend(mine)
            errors.extend(failed)

    workers = [threading.Thread(target=submit, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    before = finished(status(url))
    deadline[0] = time.perf_counter() + seconds
    started = time.perf_counter()
    start_gate.wait()
    for thread in workers:
        thread.join()
    elapsed = time.perf_counter() - started
    after = finished(status(url))
    drain = wait_idle(url)
    events = event_times(data_dir)
    to_output = [
        events[i][0] - wall for i, _, wall in accepted if i in events and len(events[i]) == 1
    ]
    latencies = [latency for _, latency, _ in accepted]
    return {
        "threads": threads,
        "accepted": len(accepted),
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
        "lost": sum(1 for i, _, _ in accepted if i not in events),
        "repeated": sum(1 for i, _, _ in accepted if len(events.get(i, ())) > 1),
        "accepted_s": len(accepted) / elapsed,
        "completed_s": (after - before) / elapsed,
        "drain_s": drain,
        "p50_202": percentile(latencies, 0.5) * 1000,
        "p99_202": percentile(latencies, 0.99) * 1000,
        "p50_out": percentile(to_output, 0.5) * 1000,
        "p99_out": percentile(to_output, 0.99) * 1000,
    }


# -- the queue alone -----------------------------------------------------------------------
def queue_costs(depths: list[int], ops: int) -> list[dict]:
    sys.path.insert(0, str(SRC))
    from sagemaker_async.local.runtime.queue import NewRequest, Queue

    def new(n: int) -> NewRequest:
        now = time.time()
        return NewRequest(
            inference_id=f"q-{n}",
            endpoint="echo",
            body=b"x" * 64,
            input_location=None,
            content_type="application/json",
            accept=None,
            custom_attributes=None,
            output_bucket="b",
            output_key=f"out/{n}.out",
            failure_bucket="b",
            failure_key=f"fail/{n}-error.out",
            received_at=now,
            expires_at=now + 21600,
            timeout_seconds=900,
        )

    def open_filled(depth: int, tmp: str):
        path = Path(tmp, "queue.sqlite3")
        queue = Queue(path, run_id="bench")
        columns = (
            "inference_id, endpoint, body, content_type, output_bucket, output_key, "
            "failure_bucket, failure_key, received_at, expires_at, timeout_seconds"
        )
        now = time.time()
        rows = (
            (f"f-{n}", "echo", b"x" * 64, "application/json", "b", f"o/{n}", "b", f"f/{n}")
            + (now, now + 21600, 900)
            for n in range(depth)
        )
        fill = sqlite3.connect(path)  # the backlog, in one transaction
        with fill:
            fill.executemany(
                f"INSERT INTO requests ({columns}) VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows
            )
        fill.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        fill.close()
        if hasattr(queue, "recount"):
            queue.recount()  # the fill went around the queue's own counters
        return queue

    def operations(queue) -> dict:
        def claim_finish(n: int) -> None:
            request = queue.claim("echo", 3600)
            assert request is not None
            queue.finish(request.seq, "completed")

        return {
            "enqueue": lambda n: queue.enqueue(new(n)),
            "claim": claim_finish,
            "reap": lambda n: queue.take_expired(time.time()),
            "stats": lambda n: queue.stats(),
        }

    # The depths are timed in alternating rounds and each reports its median round, so a
    # burst of disk or CPU load elsewhere on the machine hits both sides alike.
    rounds = 7
    per_round = max(1, ops // rounds)
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as tmp:
        queues = []
        for depth in depths:
            folder = Path(tmp, str(depth))
            folder.mkdir()
            queues.append(open_filled(depth, str(folder)))
        os.sync()  # the fills' dirty pages must not slow the timed fsyncs down
        calls = [operations(queue) for queue in queues]
        times: list[dict[str, list[float]]] = [{} for _ in depths]
        for name in ("enqueue", "claim", "reap", "stats"):
            for call in calls:  # warm up: caches, the first WAL pages
                for n in range(10):
                    call[name](-n - 1)
            for r in range(rounds):
                for i, call in enumerate(calls):
                    start = time.perf_counter()
                    for n in range(r * per_round, (r + 1) * per_round):
                        call[name](n)
                    elapsed = (time.perf_counter() - start) / per_round * 1000
                    times[i].setdefault(name, []).append(elapsed)
        for queue in queues:
            queue.close()
    return [
        {"depth": depth, **{name: statistics.median(ms) for name, ms in t.items()}}
        for depth, t in zip(depths, times, strict=True)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=float(os.environ.get("BENCH_SERVE_SECONDS", "30"))
    )
    parser.add_argument("--threads", default=os.environ.get("BENCH_SERVE_THREADS", "8,16"))
    parser.add_argument(
        "--workers", type=int, default=None, help="serve --workers (default: its own)"
    )
    parser.add_argument("--depths", default=os.environ.get("BENCH_QUEUE_DEPTHS", "1000,100000"))
    parser.add_argument("--ops", type=int, default=700, help="queue operations timed per depth")
    args = parser.parse_args()
    results = []
    for threads in [int(t) for t in args.threads.split(",") if t]:
        with tempfile.TemporaryDirectory(prefix="bench-serve-") as data_dir:
            server = start_serve(data_dir, args.workers)
            try:
                results.append(load(server.url, data_dir, threads, args.seconds))
            finally:
                server.stop()
    depths = [int(d) for d in args.depths.split(",") if d]
    costs = queue_costs(depths, args.ops) if depths else []

    print(
        f"cpus: {os.cpu_count()}  load avg: {os.getloadavg()[0]:.1f}  "
        f"serve --workers: {args.workers or 'default'}  {args.seconds:g} s per run, echo"
    )
    print(
        "threads  accepted/s  completed/s  ratio  drain s  202 p50/p99 ms  "
        "202->output p50/p99 ms  errors  lost  repeated"
    )
    for r in results:
        print(
            f"{r['threads']:7d}  {r['accepted_s']:10.0f}  {r['completed_s']:11.0f}  "
            f"{r['completed_s'] / max(r['accepted_s'], 1e-9):5.2f}  {r['drain_s']:7.2f}  "
            f"{r['p50_202']:6.1f}/{r['p99_202']:<7.1f}  "
            f"{r['p50_out']:9.1f}/{r['p99_out']:<12.1f}  "
            f"{r['errors']:6d}  {r['lost']:4d}  {r['repeated']:8d}"
        )
        if r["first_error"]:
            print(f"         first error: {r['first_error']}")
    if costs:
        print("queue depth  enqueue ms  claim+finish ms  reap ms  status ms")
        for c in costs:
            print(
                f"{c['depth']:11d}  {c['enqueue']:10.3f}  {c['claim']:15.3f}  "
                f"{c['reap']:7.3f}  {c['stats']:9.3f}"
            )
        first, last = costs[0], costs[-1]
        print(
            f"ratio {last['depth']} / {first['depth']} queued: "
            + "  ".join(
                f"{name} {last[name] / first[name]:.2f}x"
                for name in ("enqueue", "claim", "reap", "stats")
            )
        )


if __name__ == "__main__":
    main()
