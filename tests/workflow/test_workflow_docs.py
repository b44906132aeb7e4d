"""Every shell recipe in docs/workflow.md runs as written, as a reader runs it: in a shell
that first started ``serve`` the way "Try it on your machine" says (nothing prepared by the
test beyond the input files)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from helpers import REPO

from .support import run_shell

PAGE = REPO / "docs" / "workflow.md"
FENCE = re.compile(r"^## (?P<title>[^\n]+)\n(?:(?!^## ).)*?```sh\n(?P<body>.*?)```", re.M | re.S)
INPUT = b'{"instances": [[0.5, 1.5]]}\n'


def recipes() -> dict[str, str]:
    return {m["title"]: m["body"] for m in FENCE.finditer(PAGE.read_text())}


CHECKS = {}  # title -> check(result, folder)


def check(title: str):
    def register(function):
        CHECKS[title] = function
        return function

    return register


@check("Submit a file and wait for the result")
def _submit_and_wait(result, folder: Path) -> None:
    assert (folder / "result.json").read_bytes() == INPUT


@check("A payload over 128,000 bytes: upload it first")
def _upload(result, folder: Path) -> None:
    assert (folder / "result.bin").read_bytes() == (folder / "big.bin").read_bytes()
    assert re.fullmatch(rb"[0-9a-f-]{36}\n", result.stdout)  # --query InferenceId --output text


@check("Submit in one CI step, collect in another")
def _two_steps(result, folder: Path) -> None:
    assert set(json.loads((folder / "submitted.json").read_text())) >= {"OutputLocation"}
    assert (folder / "result.json").read_bytes() == INPUT


@check("One pipeline: submit, then wait")
def _pipeline(result, folder: Path) -> None:
    assert (folder / "result.json").read_bytes() == INPUT


@check("Branch on the outcome in CI")
def _branch(result, folder: Path) -> None:
    assert result.stdout.decode().startswith("inference failed: ")
    assert "bad input" in result.stdout.decode()


@check("Try it on your machine")
def _try_it(result, folder: Path) -> None:
    assert result.stdout == b'{"hello": "world"}\n'
    assert (folder / "serve-data" / "notifications.jsonl").exists()


def test_every_recipe_has_a_check():
    assert set(recipes()) == set(CHECKS) | {
        "A batch from a JSON-lines file",
        "Re-run after an interruption",
    }


SETUP = "Try it on your machine"


def after_setup(*titles: str) -> str:
    """The set-up recipe (its own output discarded), then the recipes, in one shell."""
    return "\n".join(["{", recipes()[SETUP], "} >/dev/null", *(recipes()[t] for t in titles)])


@pytest.mark.parametrize("title", sorted(CHECKS))
def test_recipe(title, aws_home, tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "input.json").write_bytes(INPUT)
    (folder / "big.bin").write_bytes(os.urandom(150_000))
    script = recipes()[SETUP] if title == SETUP else after_setup(title)
    result = run_shell(script, aws_home, folder)
    assert result.returncode == 0, result.stderr.decode()
    CHECKS[title](result, folder)


def test_the_upload_recipe_needs_only_the_bucket_the_set_up_creates():
    assert "--bucket my-bucket" in recipes()[SETUP]
    assert "s3://my-bucket/" in recipes()["A payload over 128,000 bytes: upload it first"]


def test_batch_recipes_then_rerun(aws_home, tmp_path):
    (tmp_path / "input.json").write_bytes(INPUT)
    script = after_setup("A batch from a JSON-lines file") + "\necho ---\n"
    script += recipes()["Re-run after an interruption"]
    result = run_shell(script, aws_home, tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b"100\n---\n100\n"  # the re-run: all skipped, none sent twice
    assert b"0 submitted, 100 skipped" in result.stderr
