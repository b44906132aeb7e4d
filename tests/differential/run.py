"""The real AWS CLI v2 as an oracle: run generated cases through it and through ours, compare.

    python tests/differential/run.py [--seed S] [-n N] [--jobs J] [--case I] [--replay FILE]

Each case runs in its own folder (its config, credentials and input files), first through
``aws`` then through ``sagemaker-async``, against the same loopback stub (tests/stub.py); see
compare.py for what must match. A mismatch is shrunk (option groups, variables and config
lines dropped while the same fields still differ) and printed as a reproducer; the run fails.
The AWS CLI comes from ``../shared/tools/install-aws-cli-v2.sh`` (or --aws / $AWS_CLI_V2);
without it the run is skipped with one line. Loopback traffic only.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
REPO = TESTS.parent
SRC = REPO / "src"
# On both CLIs' PYTHONPATH: refuses any name lookup or connection that is not loopback, so a
# generated case that names no usable endpoint can never reach AWS.
LOOPBACK_GUARD = TESTS / "loopback_guard"
# ../shared beside the clone (CI); one level further up for a git worktree of it.
INSTALLER = next(
    (
        path
        for base in (REPO.parent, REPO.parent.parent)
        if (path := base / "shared" / "tools" / "install-aws-cli-v2.sh").exists()
    ),
    REPO.parent / "shared" / "tools" / "install-aws-cli-v2.sh",
)
sys.path[:0] = [str(TESTS), str(HERE)]

from compare import Run, differences, kind_of  # noqa: E402
from generate import make_case  # noqa: E402

from stub import StubServer  # noqa: E402

RUN_TIMEOUT = 60
SHRINK_BUDGET = 30  # extra runs of both CLIs spent shrinking one mismatch


# -- running one case ----------------------------------------------------------------------
def substitute(value: Any, folder: Path, port: int) -> Any:
    if isinstance(value, str):
        return value.replace("@DIR@", str(folder)).replace("@PORT@", str(port))
    if isinstance(value, list):
        return [substitute(v, folder, port) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, folder, port) for k, v in value.items()}
    return value


def argv_of(case: dict[str, Any]) -> list[str]:
    return [token for group in case["args"] for token in group]


def write_files(case: dict[str, Any], folder: Path, port: int) -> None:
    for name, content in case["files"].items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, dict):
            path.write_bytes(bytes.fromhex(content["hex"]))
        else:
            path.write_bytes(substitute(content, folder, port).encode("utf-8"))


def base_env(folder: Path) -> dict[str, str]:
    home = folder / "home"
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "PYTHONPATH": str(LOOPBACK_GUARD),
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "LC_ALL": "C.UTF-8",
        "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
    }


def run_one(command: list[str], args: list[str], env: dict[str, str], stub: StubServer) -> Run:
    stub.reset()
    try:
        done = subprocess.run(
            [*command, *args],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        return Run(done.returncode, done.stdout, done.stderr, list(stub.requests))
    except subprocess.TimeoutExpired as e:
        return Run(-1, e.stdout or b"", e.stderr or b"", list(stub.requests), timed_out=True)


class Runner:
    def __init__(self, aws: str, jobs: int):
        self.aws = [aws]
        self.ours = [sys.executable, "-m", "sagemaker_async"]
        self.stubs: queue.Queue[StubServer] = queue.Queue()
        self._all = [StubServer().__enter__() for _ in range(jobs)]
        for stub in self._all:
            self.stubs.put(stub)

    def close(self) -> None:
        for stub in self._all:
            stub.__exit__(None, None, None)

    def run_case(self, case: dict[str, Any]) -> tuple[Run, Run]:
        stub = self.stubs.get()
        folder = Path(tempfile.mkdtemp(prefix="differential-"))
        try:
            write_files(case, folder, stub.port)
            args = substitute(argv_of(case), folder, stub.port)
            env = {**base_env(folder), **substitute(case["env"], folder, stub.port)}
            stub.scenario = case["scenario"]
            aws = run_one(self.aws, args, env, stub)
            ours_env = {**env, "PYTHONPATH": os.pathsep.join([str(SRC), str(LOOPBACK_GUARD)])}
            ours = run_one(self.ours, args, ours_env, stub)
            # Paths name this run's folder: show them as @DIR@ so reports are replayable.
            for run in (aws, ours):
                run.stdout = run.stdout.replace(str(folder).encode(), b"@DIR@")
                run.stderr = run.stderr.replace(str(folder).encode(), b"@DIR@")
            return aws, ours
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            self.stubs.put(stub)


# -- shrinking -----------------------------------------------------------------------------
def smaller_cases(case: dict[str, Any]):
    """Each candidate drops one thing: an option group, a variable, a config line."""
    for index, group in enumerate(case["args"]):
        if group in (["sagemaker-runtime"], ["invoke-endpoint-async"]):
            continue
        yield {**case, "args": case["args"][:index] + case["args"][index + 1 :]}
    for name in case["env"]:
        yield {**case, "env": {k: v for k, v in case["env"].items() if k != name}}
    for file_name in ("home/config", "home/credentials"):
        text = case["files"].get(file_name)
        if not isinstance(text, str):
            continue
        lines = text.split("\n")
        for index, line in enumerate(lines):
            if line:
                smaller = "\n".join(lines[:index] + lines[index + 1 :])
                yield {**case, "files": {**case["files"], file_name: smaller}}
    if case["scenario"] != "ok":
        yield {**case, "scenario": "ok"}


def shrink(case: dict[str, Any], kind: str, check: Callable[[dict[str, Any]], str | None]):
    """Greedy: keep any one-step-smaller case that still differs in the same way."""
    budget = SHRINK_BUDGET
    progress = True
    while progress and budget > 0:
        progress = False
        for candidate in smaller_cases(case):
            budget -= 1
            if check(candidate) == kind:
                case, progress = candidate, True
                break
            if budget <= 0:
                break
    return case


def reproducer(case: dict[str, Any], found: dict[str, str]) -> str:
    lines = ["  argv:  sagemaker-async " + shlex.join(argv_of(case))]
    if case["env"]:
        lines.append(
            "  env:   " + " ".join(f"{k}={shlex.quote(v)}" for k, v in case["env"].items())
        )
    for name in ("home/config", "home/credentials"):
        lines.append(f"  {name}: {case['files'][name]!r}")
    for name, content in case["files"].items():
        if name.startswith("in."):
            lines.append(f"  {name}: {content!r}")
    if case["scenario"] != "ok":
        lines.append(f"  stub scenario: {case['scenario']}")
    lines.append("  case:  " + json.dumps(case, ensure_ascii=True))
    lines += ["  " + line for text in found.values() for line in text.splitlines()]
    return "\n".join(lines)


# -- the whole run -------------------------------------------------------------------------
def find_aws(given: str | None) -> str | None:
    if given:
        return given
    if os.environ.get("AWS_CLI_V2"):
        return os.environ["AWS_CLI_V2"]
    if not INSTALLER.exists():
        return None
    venv = os.environ.get("AWS_CLI_V2_VENV")  # default: the installer's own ($TMPDIR/…)
    done = subprocess.run(
        ["bash", str(INSTALLER), *([venv] if venv else [])],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", default="1")
    parser.add_argument("-n", type=int, default=300, help="number of generated cases")
    parser.add_argument("--jobs", type=int, default=3, help="cases run at once")
    parser.add_argument("--case", type=int, action="append", help="only case I of the seed")
    parser.add_argument("--replay", type=Path, help="a JSON-lines file of cases to run")
    parser.add_argument("--aws", help="the AWS CLI v2 to compare with")
    parser.add_argument("--save", type=Path, help="write shrunk mismatches here (JSON lines)")
    parser.add_argument("--no-shrink", action="store_true")
    options = parser.parse_args(argv)

    aws = find_aws(options.aws)
    if aws is None:
        print(f"differential: skipped, {INSTALLER} not found (it installs the real AWS CLI v2)")
        return 0
    if options.replay:
        cases = [
            (i, json.loads(line))
            for i, line in enumerate(options.replay.read_text().splitlines())
            if line.strip()
        ]
    else:
        indexes = options.case or range(options.n)
        cases = [(i, make_case(options.seed, i)) for i in indexes]

    started = time.monotonic()
    runner = Runner(aws, options.jobs)
    saved: list[dict[str, Any]] = []
    by_kind: dict[str, list[tuple[int, dict[str, Any], dict[str, str]]]] = {}
    try:
        with ThreadPoolExecutor(options.jobs) as pool:
            results = list(pool.map(lambda item: (item, *runner.run_case(item[1])), cases))
        for (index, case), aws_run, our_run in results:
            found = differences(aws_run, our_run)
            if found:
                by_kind.setdefault(kind_of(aws_run, found), []).append((index, case, found))

        def check(candidate: dict[str, Any]) -> str | None:
            aws_run, our_run = runner.run_case(candidate)
            found = differences(aws_run, our_run)
            return kind_of(aws_run, found) if found else None

        def smallest(kind: str) -> tuple[dict[str, Any], dict[str, str]]:
            _, case, found = by_kind[kind][0]
            if options.no_shrink:
                return case, found
            case = shrink(case, kind, check)
            return case, differences(*runner.run_case(case)) or found

        kinds = sorted(by_kind, key=lambda kind: -len(by_kind[kind]))
        with ThreadPoolExecutor(options.jobs) as pool:
            shrunk = list(pool.map(smallest, kinds))
        for kind, (case, found) in zip(kinds, shrunk, strict=True):
            items = by_kind[kind]
            index = items[0][0]
            saved.append(case)
            numbers = ", ".join(f"#{i}" for i, _, _ in items[:8])
            print(f"\nMISMATCH ({len(items)} case(s): {numbers}) {kind}")
            print(f"  replay: make differential SEED={options.seed} CASE={index}")
            print(reproducer(case, found))
    finally:
        runner.close()
    if options.save and saved:
        options.save.write_text("".join(json.dumps(c) + "\n" for c in saved))

    mismatched = sum(len(items) for items in by_kind.values())
    elapsed = time.monotonic() - started
    print(
        f"\ndifferential: {len(cases)} cases (seed {options.seed}), "
        f"{len(cases) - mismatched} identical, {mismatched} different "
        f"({len(by_kind)} kinds), {elapsed:.0f} s with {options.jobs} jobs"
    )
    return 1 if mismatched else 0


if __name__ == "__main__":
    sys.exit(main())
