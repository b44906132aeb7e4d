"""``sagemaker-async serve``: the click command. Only click is imported here; the server is
imported when the command runs, so the CLI's start-up stays fast.
"""

from __future__ import annotations

import sys

import click

EXIT_OK = 0
EXIT_USAGE = 252  # bad arguments (sagemaker_async.errors.ExitCode.PARAM_VALIDATION)
EXIT_INTERRUPTED = 130
EXIT_GENERAL = 255  # could not start or failed while running


class _ServeCommand(click.Command):
    """Usage errors as one line and exit 252, like the rest of the CLI; never a traceback."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            rv = super().main(
                args=args,
                prog_name=prog_name,
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except click.ClickException as exc:
            sys.stderr.write(f"{prog_name or self.name}: error: {exc.format_message()}\n")
            code = EXIT_USAGE
        except click.Abort:
            code = EXIT_INTERRUPTED
        else:
            code = rv if isinstance(rv, int) else EXIT_OK
        if not standalone_mode:
            return code
        sys.exit(code)


@click.command("serve", cls=_ServeCommand)
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
    "python:package.module:function or http://127.0.0.1:PORT. Default: echo=echo.",
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
            buckets=parse_buckets(buckets),
        )
        from sagemaker_async.local.app import run

        return run(config)
    except ServeError as exc:
        sys.stderr.write(f"sagemaker-async serve: error: {exc.message}\n")
        sys.stderr.flush()
        return int(exc.exit_code)
    except Exception as exc:  # an unexpected failure: still one line, exit 255
        sys.stderr.write(f"sagemaker-async serve: error: {type(exc).__name__}: {exc}\n")
        sys.stderr.flush()
        return EXIT_GENERAL
