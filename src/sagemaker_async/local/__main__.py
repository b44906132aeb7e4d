"""``python -m sagemaker_async.local ARGS`` runs ``sagemaker-async serve ARGS``."""

import sys

from sagemaker_async.cli.main import main

main(["serve", *sys.argv[1:]])
