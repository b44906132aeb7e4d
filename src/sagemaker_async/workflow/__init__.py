"""Beyond the AWS CLI: send a local payload, wait for the result, submit a batch.

    locations.py  s3:// URIs; generated keys under a prefix
    payload.py    a local file or stdin → inline Body or an S3 upload; submit one request
    waiter.py     poll the output and failure locations together; fetch; atomic download
    progress.py   one self-overwriting line on stderr, only when stderr is a terminal
    invoke.py     invoke-endpoint-async --payload/--wait/--download, and the ``wait`` command
    batch.py      the ``batch`` command: JSON lines → a bounded pool → one line per request

Every failure is a :class:`sagemaker_async.errors.CliError` with its exit code (3 failed,
4 timed out), caught once in ``app.run`` like any other error; ``batch`` reports per line.
"""
