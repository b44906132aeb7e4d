"""Start-up and shutdown of ``serve``: lock the data directory, open the store and the queue,
load the models, listen, print the URL, run until SIGINT/SIGTERM, stop cleanly.
"""

from __future__ import annotations

import fcntl
import os
import signal
import sys
import threading
import time
import uuid
from pathlib import Path

from sagemaker_async.errors import ExitCode
from sagemaker_async.local.config import ACCOUNT_ID, ServeConfig, ServeError, resolve_credentials
from sagemaker_async.local.http.dashboard import Activity, make_pages
from sagemaker_async.local.http.server import STATUS_PATH, App, Server
from sagemaker_async.local.runtime.api import RuntimeApi
from sagemaker_async.local.runtime.container import ContainerStartError
from sagemaker_async.local.runtime.delivery import (
    ERROR,
    SUCCESS,
    Delivery,
    Subscription,
    SubscriptionError,
    parse_subscription,
)
from sagemaker_async.local.runtime.models import (
    ModelSpecError,
    StartContext,
    is_loopback,
    load_model,
)
from sagemaker_async.local.runtime.notifications import NotificationLog
from sagemaker_async.local.runtime.queue import COMPLETED, EXPIRED, FAILED, QUEUED, RUNNING, Queue
from sagemaker_async.local.runtime.workers import Endpoint, Log, WorkerPool
from sagemaker_async.local.s3.api import S3Api
from sagemaker_async.local.s3.store import S3Store


def check_host(host: str, allow_remote: bool) -> None:
    if not is_loopback(host) and not allow_remote:
        raise ServeError(
            f"refusing to listen on non-loopback address {host}: anyone who can reach it could "
            "use this endpoint; pass --allow-remote to do it anyway",
            ExitCode.PARAM_VALIDATION,
        )


def lock_data_dir(data_dir: Path):
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fh = open(data_dir / "serve.lock", "a+")  # noqa: SIM115 - held for the process lifetime
    except OSError as exc:
        raise ServeError(
            f"cannot use data directory {data_dir}: {exc.strerror}", ExitCode.CONFIGURATION
        ) from None
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.seek(0)
        owner = fh.read().strip() or "?"
        fh.close()
        raise ServeError(
            f"data directory {data_dir} is in use by another serve process (pid {owner})",
            ExitCode.CONFIGURATION,
        ) from None
    fh.seek(0)
    fh.truncate()
    fh.write(str(os.getpid()))
    fh.flush()
    return fh


def build_endpoints(config: ServeConfig) -> dict[str, Endpoint]:
    endpoints = {}
    for name, spec in config.endpoints.items():
        try:
            model = load_model(spec)
        except ModelSpecError as exc:
            raise ServeError(
                f"--endpoint {name}={spec}: {exc}", ExitCode.PARAM_VALIDATION
            ) from None
        endpoints[name] = Endpoint(
            name=name,
            model_spec=spec,
            model=model,
            output_bucket=config.bucket,
            output_prefix=f"async-endpoint-outputs/{name}",
            failure_bucket=config.bucket,
            failure_prefix=f"async-endpoint-failures/{name}",
        )
    return endpoints


def build_subscriptions(config: ServeConfig) -> list[Subscription]:
    out = []
    for topic, urls in ((SUCCESS, config.notify_success), (ERROR, config.notify_error)):
        for url in urls:
            try:
                out.append(parse_subscription(topic, url, config.region, ACCOUNT_ID))
            except SubscriptionError as exc:
                raise ServeError(str(exc), ExitCode.PARAM_VALIDATION) from None
    return out


def start_models(endpoints: dict[str, Endpoint], config: ServeConfig, log: Log, stop) -> None:
    """Start the models that run something (command:, docker:) and wait until they are healthy;
    on a failure stop those already started and raise ServeError."""
    started: list[Endpoint] = []
    for index, endpoint in enumerate(endpoints.values()):
        start = getattr(endpoint.model, "start", None)
        if start is None:
            continue
        context = StartContext(endpoint.name, log, stop, config.startup_timeout, index)
        try:
            start(context)
        except ContainerStartError as exc:
            stop_models(started, grace=config.grace)
            raise ServeError(
                f"--endpoint {endpoint.name}={endpoint.model_spec}: {exc}", ExitCode.GENERAL
            ) from None
        started.append(endpoint)


def stop_models(endpoints, grace: float) -> None:
    for endpoint in endpoints:
        stop = getattr(endpoint.model, "stop", None)
        if stop is not None:
            stop(grace)


def status_report(
    queue: Queue,
    endpoints: dict[str, Endpoint],
    url: str,
    data_dir: Path,
    delivery: Delivery | None = None,
):
    def report() -> dict:
        stats = queue.stats()
        now = time.time()
        out = {}
        for name, endpoint in endpoints.items():
            entry = stats.get(name, {})
            queued = int(entry.get(QUEUED, 0))
            running = int(entry.get(RUNNING, 0))
            out[name] = {
                "Model": endpoint.model_spec,
                "ApproximateBacklogSize": queued + running,
                "Queued": queued,
                "InProgress": running,
                "Completed": int(entry.get(COMPLETED, 0)),
                "Failed": int(entry.get(FAILED, 0)),
                "Expired": int(entry.get(EXPIRED, 0)),
                "ApproximateAgeOfOldestRequest": round(now - entry.get("oldest", now), 3),
                "OutputLocation": f"s3://{endpoint.output_bucket}/{endpoint.output_prefix}/",
                "FailureLocation": f"s3://{endpoint.failure_bucket}/{endpoint.failure_prefix}/",
            }
            model_status = getattr(endpoint.model, "status", None)
            if model_status is not None:
                out[name]["ModelServer"] = model_status()
        result = {"Url": url, "DataDir": str(data_dir.resolve()), "Endpoints": out}
        if delivery is not None:
            result["Notifications"] = delivery.status()
        return result

    return report


def run(config: ServeConfig) -> int:
    """Serve until SIGINT/SIGTERM; returns the exit code (raises ServeError on bad set-up)."""
    check_host(config.host, config.allow_remote)
    credentials = resolve_credentials(config.access_key, config.secret_key, config.profile)
    subscriptions = build_subscriptions(config)
    endpoints = build_endpoints(config)
    lock = lock_data_dir(config.data_dir)
    log = Log(sys.stderr)
    store = S3Store(config.data_dir / "s3", fsync=config.fsync)
    store.create_bucket(config.bucket)
    for bucket in config.buckets:
        store.create_bucket(bucket)
    queue = Queue(config.data_dir / "queue.sqlite3", run_id=uuid.uuid4().hex)
    requeued = queue.requeue_orphans()
    notifications = NotificationLog(config.data_dir / "notifications.jsonl")
    pool = WorkerPool(
        queue=queue,
        store=store,
        notifications=notifications,
        endpoints=endpoints,
        workers=config.workers,
        region=config.region,
        log=log,
    )
    runtime = RuntimeApi(endpoints=endpoints, queue=queue, pool=pool, max_ttl=config.max_ttl)
    s3 = S3Api(store, credentials, config.region)
    app = App(s3=s3, runtime=runtime, credentials=credentials, status=lambda: {})
    try:
        server = Server(config.host, config.port, app)
    except OSError as exc:
        raise ServeError(
            f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}",
            ExitCode.GENERAL,
        ) from None
    delivery = None
    if subscriptions:
        delivery = Delivery(subscriptions, base_url=server.url, log=log)
        notifications.listeners.append(delivery.offer)
        delivery.start()
    activity = Activity()
    notifications.listeners.append(activity.record)
    app.status = status_report(queue, endpoints, server.url, config.data_dir, delivery)
    app.pages = make_pages(app.status, activity)

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    try:
        start_models(endpoints, config, log, stop)
    except ServeError:
        server.server_close()
        queue.close()
        notifications.close()
        lock.close()
        if stop.is_set():  # Ctrl-C while a model server was starting
            log.write("stopped")
            return 0
        raise
    pool.start()
    serving = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="http", daemon=True
    )
    serving.start()
    log.write(
        f"serve listening on {server.url} (data {config.data_dir}, status {server.url}"
        f"{STATUS_PATH}, dashboard {server.url}/_dashboard, key {credentials.access_key}, "
        f"region {config.region})"
    )
    for name, endpoint in endpoints.items():
        log.write(
            f"endpoint {name}: model {endpoint.model_spec}, outputs s3://{endpoint.output_bucket}"
            f"/{endpoint.output_prefix}/, failures s3://{endpoint.failure_bucket}/"
            f"{endpoint.failure_prefix}/"
        )
    if config.buckets:
        log.write(f"buckets created (if missing): {', '.join(config.buckets)}")
    if requeued:
        log.write(f"re-queued {requeued} request(s) left unfinished by an earlier run")
    sys.stdout.write(server.url + "\n")  # last: once it is read, the log above is complete
    sys.stdout.flush()
    detach_stdout()
    for endpoint in endpoints.values():
        ping = getattr(endpoint.model, "ping", None)
        if ping is not None:
            threading.Thread(target=_report_ping, args=(endpoint, log), daemon=True).start()

    while not stop.wait(0.5):
        pass
    log.write("stopping: finishing in-flight requests")
    app.drain(timeout=5.0)
    server.shutdown()
    finished = pool.stop(grace=config.grace)
    stop_models(endpoints.values(), grace=config.grace)
    if not finished:  # calls to a stopped model server re-queue their request
        finished = pool.stop(grace=1.0)
    if delivery is not None:
        delivery.stop()
    server.server_close()
    if not finished:
        log.write("stopped with work in progress; it will be re-queued on the next start")
    queue.close()
    notifications.close()
    lock.close()
    log.write("stopped")
    return 0


def detach_stdout() -> None:
    """The URL is all serve prints on stdout: let go of it, so whoever reads it (``$(serve
    &)``, a pipe) sees it end while serve runs on. Later prints (a ``python:`` model's) go
    to stderr, with the log."""
    try:
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # no usable stderr: discard them instead
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), sys.stdout.fileno())


def _report_ping(endpoint: Endpoint, log: Log) -> None:
    if not endpoint.model.ping():  # type: ignore[attr-defined]
        log.write(
            f"WARNING endpoint {endpoint.name}: GET {endpoint.model_spec}/ping did not answer "
            "200; invocations will fail until it does"
        )
