"""``sagemaker-async serve``: the click command. Only click is imported here; the server is
imported when the command runs, so the CLI's start-up stays fast. Usage errors, ``help`` and
the global options before its name are handled by the tree (cli/tree.py) and errors.py.
"""

from __future__ import annotations

import click

from sagemaker_async.errors import CommandError

PROG_SERVE = "sagemaker-async serve"


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="Port to listen on; 0 picks a free one (the URL is printed on stdout).",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=".sagemaker-async",
    show_default=True,
    help="Where buckets, the queue and notifications.jsonl are kept.",
)
@click.option(
    "--bucket",
    "buckets",
    multiple=True,
    metavar="NAME",
    help="A bucket to create at start if it does not exist (repeatable), e.g. for "
    "--input-location uploads. The output bucket is always created.",
)
@click.option(
    "--endpoint",
    "endpoints",
    multiple=True,
    metavar="NAME[=MODEL]",
    help="An endpoint to serve (repeatable). MODEL: echo (default), "
    "python:package.module:function, http://127.0.0.1:PORT, command:CMD (a model server "
    "serve starts) or docker:IMAGE. Default: echo=echo.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=2,
    show_default=True,
    help="Concurrent inferences per endpoint.",
)
@click.option("--access-key-id", help="Access key clients sign with (default: your AWS config).")
@click.option("--secret-access-key", help="Secret key clients sign with.")
@click.option(
    "--region",
    default="us-east-1",
    show_default=True,
    help="Region of the output bucket name and notifications; any signing region is accepted.",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow --host to be a non-loopback address (anyone who can reach it can use it).",
)
@click.option(
    "--max-ttl",
    type=click.IntRange(1, 21600),
    metavar="SECONDS",
    help="Cap every request's RequestTTLSeconds (a testing aid: the API minimum is 60).",
)
@click.option(
    "--grace",
    type=click.FloatRange(0),
    default=10.0,
    show_default=True,
    help="Seconds to let in-flight inferences finish on Ctrl-C/SIGTERM before re-queueing.",
)
@click.option(
    "--startup-timeout",
    type=click.FloatRange(0, min_open=True),
    default=600.0,
    show_default=True,
    metavar="SECONDS",
    help="How long a command:/docker: model server may take to answer GET /ping with 200.",
)
@click.option(
    "--notify-success",
    multiple=True,
    metavar="URL",
    help="POST each Completed event to this loopback URL as SNS does (repeatable).",
)
@click.option(
    "--notify-error",
    multiple=True,
    metavar="URL",
    help="POST each Failed/Expired event to this loopback URL as SNS does (repeatable).",
)
def serve(
    host,
    port,
    data_dir,
    endpoints,
    workers,
    access_key_id,
    secret_access_key,
    region,
    allow_remote,
    max_ttl,
    grace,
    startup_timeout,
    notify_success,
    notify_error,
    buckets,
):
    """Run a local asynchronous inference endpoint (S3 + SageMaker Runtime) on one port."""
    from pathlib import Path

    from sagemaker_async.local.config import (
        ServeConfig,
        ServeError,
        parse_buckets,
        parse_endpoints,
    )

    try:
        config = ServeConfig(
            host=host,
            port=port,
            data_dir=Path(data_dir),
            endpoints=parse_endpoints(endpoints),
            workers=workers,
            access_key=access_key_id,
            secret_key=secret_access_key,
            region=region,
            allow_remote=allow_remote,
            max_ttl=max_ttl,
            grace=grace,
            profile=_global_option("profile"),
            startup_timeout=startup_timeout,
            notify_success=list(notify_success),
            notify_error=list(notify_error),
            buckets=parse_buckets(buckets),
        )
        from sagemaker_async.local.app import run

        return run(config)
    except ServeError as exc:
        raise CommandError(PROG_SERVE, exc.message, exc.exit_code) from None
    except Exception as exc:  # an unexpected failure: still one line, exit 255
        raise CommandError(PROG_SERVE, f"{type(exc).__name__}: {exc}") from None


def _global_option(name: str) -> str | None:
    """A global option given before ``serve`` (``sagemaker-async --profile dev serve``)."""
    ctx = click.get_current_context(silent=True)
    return ctx.find_root().params.get(name) if ctx is not None else None
