"""``python -m sagemaker_async.local ARGS`` runs ``sagemaker-async serve ARGS``."""

from sagemaker_async.local.command import serve

serve.main(prog_name="sagemaker-async serve")
