"""Start-up stays light: --help, --version and input skeletons never load botocore's client
machinery (loaders, sessions, clients, urllib3); an invoke loads only what it needs."""

from __future__ import annotations

import pytest

from helpers import probe_cli, run_cli, run_probe

HEAVY = ("botocore.session", "botocore.client", "botocore.loaders", "botocore.endpoint", "urllib3")


def loaded_modules(args: list[str], env: dict[str, str]) -> set[str]:
    return set(probe_cli(args, env, "sorted(sys.modules)")[1])


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
    assert "sagemaker_async.cli.main" in modules  # the probe really ran the CLI
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


def test_version_alone_does_not_import_click(aws_home):
    assert "click" not in loaded_modules(["--version"], aws_home)


def test_version_text_is_the_trees(aws_home):
    """The --version shortcut prints what the tree's --version option prints."""
    alone = run_cli(["--version"], aws_home)
    through_tree = run_cli(["--no-cli-pager", "--version", "sagemaker-runtime"], aws_home)
    assert alone.returncode == through_tree.returncode == 0
    assert alone.stdout == through_tree.stdout
    assert alone.stdout.startswith(b"sagemaker-async/")


CONTEXTS_PROBE = """
import json, sys
import click
from sagemaker_async.cli.main import run
seen = []
original = click.Command.make_context
def make_context(self, info_name, args, parent=None, **extra):
    ctx = original(self, info_name, args, parent=parent, **extra)
    seen.append([info_name, type(self).__name__, sorted(k for k, v in ctx.params.items()
                                                       if v not in (None, False))])
    return ctx
click.Command.make_context = make_context
run(json.loads(sys.argv[1]))
print(json.dumps(seen), file=sys.stderr)
"""


def test_a_command_line_creates_a_click_context_per_level(aws_home):
    """Root, service and operation each parse their part; the values are click parameters."""
    args = [
        "sagemaker-runtime",
        "--output",
        "yaml",
        "invoke-endpoint-async",
        "--generate-cli-skeleton",
        "--endpoint-name",
        "e",
    ]
    _, seen = run_probe(CONTEXTS_PROBE, args, aws_home)
    assert seen == [
        ["sagemaker-async", "AwsGroup", ["color", "output"]],
        ["sagemaker-runtime", "AwsGroup", []],
        ["invoke-endpoint-async", "AwsCommand", ["endpoint_name", "generate_cli_skeleton"]],
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["sagemaker-runtime", "invoke-endpoint-async", "--generate-cli-skeleton"],
        ["sagemaker-runtime", "invoke-endpoint-async", "help"],
    ],
)
def test_a_warm_skeleton_or_help_needs_no_botocore_at_all(aws_home, args):
    """botocore's option names are kept in the cache folder after the first run."""
    first = loaded_modules(args, aws_home)
    assert "botocore" in first  # the names were computed with botocore, once
    assert "botocore" not in loaded_modules(args, aws_home)
