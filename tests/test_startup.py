"""Start-up stays light: --help, --version and input skeletons never load botocore's client
machinery (loaders, sessions, clients, urllib3); an invoke loads only what it needs."""

from __future__ import annotations

import pytest

from helpers import run_probe

HEAVY = ("botocore.session", "botocore.client", "botocore.loaders", "botocore.endpoint", "urllib3")

PROBE = """
import json, runpy, sys
sys.argv = ["sagemaker-async", *json.loads(sys.argv[1])]
try:
    runpy.run_module("sagemaker_async", run_name="__main__")
except SystemExit:
    pass
sys.stdout.flush()
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def loaded_modules(args: list[str], env: dict[str, str]) -> set[str]:
    return set(run_probe(PROBE, args, env)[1])


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["help"],
        ["--help"],
        ["sagemaker-runtime", "invoke-endpoint-async", "help"],
        ["sagemaker-runtime", "invoke-endpoint-async", "--generate-cli-skeleton"],
        ["sagemaker-runtime", "invoke-endpoint-async", "--generate-cli-skeleton", "yaml-input"],
    ],
)
def test_fast_paths_do_not_import_client_machinery(aws_home, args):
    modules = loaded_modules(args, aws_home)
    assert "sagemaker_async.cli.tree" in modules  # the probe really ran the CLI
    assert not [m for m in HEAVY if m in modules]
    assert "yaml" not in modules or "yaml-input" in args
    assert "jmespath" not in modules


def test_invoke_imports_no_renderer_it_does_not_use(stub, aws_home):
    modules = loaded_modules(
        [
            "sagemaker-runtime",
            "invoke-endpoint-async",
            "--endpoint-name",
            "e",
            "--endpoint-url",
            stub.url,
        ],
        aws_home,
    )
    assert "botocore.client" in modules  # it did invoke
    assert "sagemaker_async.render.table" not in modules
    assert "yaml" not in modules
