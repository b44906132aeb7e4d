"""Every shell recipe in docs/workflow.md runs as written, against serve."""

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


@pytest.mark.parametrize("title", sorted(CHECKS))
def test_recipe(title, aws_home, serve, tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "input.json").write_bytes(INPUT)
    (folder / "big.bin").write_bytes(os.urandom(150_000))
    env = dict(aws_home)
    if title != "Try it on your machine":  # that one starts its own serve
        env["AWS_ENDPOINT_URL"] = serve.url
    result = run_shell(recipes()[title], env, folder)
    assert result.returncode == 0, result.stderr.decode()
    CHECKS[title](result, folder)


def test_batch_recipes_then_rerun(aws_home, serve, tmp_path):
    (tmp_path / "input.json").write_bytes(INPUT)
    env = {**aws_home, "AWS_ENDPOINT_URL": serve.url}
    first = run_shell(recipes()["A batch from a JSON-lines file"], env, tmp_path)
    assert first.returncode == 0, first.stderr.decode()
    assert first.stdout == b"100\n"
    again = run_shell(recipes()["Re-run after an interruption"], env, tmp_path)
    assert again.returncode == 0, again.stderr.decode()
    assert again.stdout == b"100\n"  # all skipped: nothing submitted twice
    assert b"0 submitted, 100 skipped" in again.stderr
