"""``python -m sagemaker_async.local ARGS`` runs ``sagemaker-async serve ARGS``."""

import sys

from sagemaker_async.cli.tree import main

main(["serve", *sys.argv[1:]])
