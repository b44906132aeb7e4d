"""Writes docs/cli-reference.md from the live help of every command.

    python docs/cli_reference.py            # rewrite docs/cli-reference.md (make docs)
    python docs/cli_reference.py --check    # exit 1 if the page is stale (tests do this)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "cli-reference.md"
COMMANDS = [
    ("sagemaker-async", ["help"]),
    ("sagemaker-async sagemaker-runtime", ["sagemaker-runtime", "help"]),
    (
        "sagemaker-async sagemaker-runtime invoke-endpoint-async",
        ["sagemaker-runtime", "invoke-endpoint-async", "help"],
    ),
    ("sagemaker-async sagemaker-runtime wait", ["sagemaker-runtime", "wait", "help"]),
    ("sagemaker-async sagemaker-runtime batch", ["sagemaker-runtime", "batch", "help"]),
    ("sagemaker-async serve", ["serve", "--help"]),
    ("sagemaker-async completion", ["completion", "--help"]),
]


def live_help(args: list[str], home: str) -> str:
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "PYTHONPATH": str(ROOT / "src"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "COLUMNS": "100",
        "HOME": home,  # a throw-away HOME: the CLI keeps a cache under it
        "XDG_CACHE_HOME": os.path.join(home, ".cache"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "sagemaker_async", *args],
        env=env,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        check=True,
        timeout=60,
    )
    return result.stdout.decode()


def render() -> str:
    parts = [
        "# Command reference\n\n"
        "Generated from the live help of each command by `docs/cli_reference.py` (`make docs`);\n"
        "`tests/test_docs.py` fails when this page and the help differ.\n"
    ]
    with tempfile.TemporaryDirectory(prefix="cli-reference-home-") as home:
        for title, args in COMMANDS:
            text = live_help(args, home).rstrip("\n")
            parts.append(f"\n## `{title}`\n\n```text\n{text}\n```\n")
    return "".join(parts)


def main() -> int:
    page = render()
    if "--check" in sys.argv[1:]:
        return 0 if PAGE.exists() and PAGE.read_text() == page else 1
    PAGE.write_text(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
