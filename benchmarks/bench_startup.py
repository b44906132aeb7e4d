"""Wall-time of our ``sagemaker-async`` against the ``aws`` CLI and the botocore floor.

    python benchmarks/bench_startup.py [--runs N]

The ``aws`` side is the real AWS CLI v2 when it is installed at ``/tmp/awscli2/bin/aws`` (or
``$AWS_CLI_V2``; ``../shared/tools/install-aws-cli-v2.sh`` makes it), else AWS CLI v1 from PyPI
in a throw-away venv under ``benchmarks/.venv-awscli/``. The "botocore floor" is a fresh
``python -c`` that imports ``botocore.session``, builds the sagemaker-runtime client and sends
the same request: what any botocore-based tool pays at least. Everything talks only to the
loopback stub (``tests/stub.py``), with temp config/credentials and the metadata service
disabled. Budgets (issue 9): invoke <= 0.95x the floor; skeleton, help, --version <= 0.12x aws.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import venv
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
AWSCLI_VENV = REPO / "benchmarks" / ".venv-awscli"
AWSCLI_V2 = Path(os.environ.get("AWS_CLI_V2", "/tmp/awscli2/bin/aws"))
PROJECT_VENV = REPO / ".venv"
STUB_SCRIPT = REPO / "tests" / "stub.py"
RUN_TIMEOUT = 120


def _bin(venv_dir: Path, name: str) -> Path:
    return venv_dir / ("Scripts" if os.name == "nt" else "bin") / name


def ensure_awscli() -> tuple[list[str], str] | None:
    """The real AWS CLI v2 if installed, else ``aws`` v1 from the throw-away venv (installed
    on first use); with a label for the table."""
    if AWSCLI_V2.exists():
        return [str(AWSCLI_V2)], "aws (v2)"
    aws = _bin(AWSCLI_VENV, "aws")
    if not aws.exists():
        print(f"installing awscli (v1) from PyPI into {AWSCLI_VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(AWSCLI_VENV)
        install = subprocess.run(
            [str(_bin(AWSCLI_VENV, "python")), "-m", "pip", "install", "-q", "awscli"],
            stdin=subprocess.DEVNULL,
            check=False,
        )
        if install.returncode != 0 or not aws.exists():
            print("could not install awscli; timing our CLI alone", flush=True)
            return None
    return [str(aws)], "aws (v1)"


# The floor: botocore alone, building the client and sending the invoke's request.
FLOOR_SCRIPT = """
import sys
import botocore.session
client = botocore.session.Session().create_client(
    "sagemaker-runtime", endpoint_url=sys.argv[1]
)
client.invoke_endpoint_async(
    EndpointName="my-endpoint", InputLocation="s3://in-bucket/input.json", InferenceId="inf-0001"
)
"""


def floor_command() -> list[str]:
    python = _bin(PROJECT_VENV, "python")
    return [str(python) if python.exists() else sys.executable, "-c", FLOOR_SCRIPT]


def our_command() -> tuple[list[str], dict[str, str]]:
    """Our console script if installed, else ``python -m sagemaker_async`` on the source tree."""
    script = _bin(PROJECT_VENV, "sagemaker-async")
    if script.exists():
        return [str(script)], {}
    python = _bin(PROJECT_VENV, "python")
    interpreter = str(python) if python.exists() else sys.executable
    return [interpreter, "-m", "sagemaker_async"], {"PYTHONPATH": str(REPO / "src")}


def safe_env(home: Path) -> dict[str, str]:
    """Temp config and credentials, no other AWS_* setting, no metadata-service lookups."""
    aws_dir = home / ".aws"
    aws_dir.mkdir(parents=True)
    (aws_dir / "config").write_text("[default]\nregion = us-east-1\n")
    (aws_dir / "credentials").write_text(
        "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = fake-secret-key\n"
    )
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(aws_dir / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(aws_dir / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


class Stub:
    """``tests/stub.py`` as a subprocess on a free loopback port."""

    def __enter__(self) -> Stub:
        self.process = subprocess.Popen(
            [sys.executable, str(STUB_SCRIPT)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
        )
        self.url = self.process.stdout.readline().decode().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.__exit__()
            raise RuntimeError(f"stub did not start (said {self.url!r})")
        return self

    def __exit__(self, *exc_info) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


@dataclass
class Timings:
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)  # the process's user + system time
    failures: set[int] = field(default_factory=set)

    def median_ms(self) -> float | None:
        return statistics.median(self.seconds) * 1000 if self.seconds else None

    def cpu_ms(self) -> float | None:
        return statistics.median(self.cpu_seconds) * 1000 if self.cpu_seconds else None


def time_once(command: list[str], env: dict[str, str], timings: Timings) -> None:
    """Wall time, and CPU time from the child's rusage (steadier on a busy machine)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    guard = threading.Timer(RUN_TIMEOUT, process.kill)  # a hung run must not hang the bench
    guard.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        guard.cancel()
        process.returncode = 0  # reaped by wait4
    timings.seconds.append(time.perf_counter() - started)
    timings.cpu_seconds.append(usage.ru_utime + usage.ru_stime)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        timings.failures.add(code)


Tool = tuple[list[str], dict[str, str]]


def bench(tools: dict[str, Tool], args: dict[str, list[str]], runs: int) -> dict[str, Timings]:
    """One warm-up each, then ``runs`` alternating runs; who goes first alternates too, so
    neither side always gets the warmer disk cache. ``args``: each tool's arguments."""
    for name, (command, env) in tools.items():
        time_once(command + args[name], env, Timings())
    timings = {name: Timings() for name in tools}
    names = list(tools)
    for run in range(runs):
        for name in names if run % 2 == 0 else reversed(names):
            command, env = tools[name]
            time_once(command + args[name], env, timings[name])
    return timings


def version_line(command: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(
        [*command, "--version"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    text = (result.stdout or result.stderr).decode(errors="replace").strip()
    return text.splitlines()[0] if text else f"(no output, exit {result.returncode})"


def _cell(timings: Timings | None) -> str:
    if timings is None or timings.median_ms() is None:
        return "n/a"
    cell = f"{timings.median_ms():.0f} ms"
    if timings.failures:
        cell += f" (exit {','.join(map(str, sorted(timings.failures)))}!)"
    return cell


def _ratio(ours: Timings | None, other: Timings | None) -> str:
    """wall-time ratio (CPU-time ratio)"""
    if ours is None or other is None:
        return "n/a"
    mine, theirs = ours.median_ms(), other.median_ms()
    if not mine or not theirs:
        return "n/a"
    mine_cpu, theirs_cpu = ours.cpu_ms(), other.cpu_ms()
    cpu = f" ({mine_cpu / theirs_cpu:.2f})" if mine_cpu and theirs_cpu else ""
    return f"{mine / theirs:.2f}{cpu}"


def print_table(results: dict[str, dict[str, Timings]], runs: int, aws_label: str) -> None:
    header = ("command", aws_label, "botocore floor", "sagemaker-async", "ours/aws", "ours/floor")
    rows = []
    for label, timings in results.items():
        aws, floor, ours = timings.get("aws"), timings.get("floor"), timings.get("ours")
        rows.append(
            (
                label,
                _cell(aws),
                _cell(floor),
                _cell(ours),
                _ratio(ours, aws),
                _ratio(ours, floor),
            )
        )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print(f"\nmedian wall time over {runs} runs each (after 1 warm-up); ratios: wall (CPU time)")
    for row in [header, tuple("-" * w for w in widths), *rows]:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per command and tool")
    runs = max(1, parser.parse_args(argv).runs)

    found = ensure_awscli()
    ours, ours_extra_env = our_command()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp, Stub() as stub:
        env = safe_env(Path(tmp) / "home")
        tools: dict[str, Tool] = {"ours": (ours, {**env, **ours_extra_env})}
        aws_label = "aws"
        if found:
            aws, aws_label = found
            tools = {"aws": (aws, env), **tools}
            print(f"aws: {version_line(aws, env)}")
        print(f"ours: {' '.join(ours)} -> {version_line(ours, tools['ours'][1])}")
        print(f"stub: {stub.url}")
        with_floor = {**tools, "floor": (floor_command(), env)}

        invoke = [
            "sagemaker-runtime",
            "invoke-endpoint-async",
            "--endpoint-name",
            "my-endpoint",
            "--input-location",
            "s3://in-bucket/input.json",
            "--inference-id",
            "inf-0001",
            "--endpoint-url",
            stub.url,
        ]
        skeleton = [
            "sagemaker-runtime",
            "invoke-endpoint-async",
            "--generate-cli-skeleton",
            "input",
        ]

        def same(args: list[str]) -> dict[str, list[str]]:
            return {name: args for name in tools}

        results = {
            "invoke-endpoint-async": bench(with_floor, {**same(invoke), "floor": [stub.url]}, runs),
            "--generate-cli-skeleton input": bench(tools, same(skeleton), runs),
            "help": bench(
                tools, same(["sagemaker-runtime", "invoke-endpoint-async", "help"]), runs
            ),
            "--version": bench(tools, same(["--version"]), runs),
        }
    print_table(results, runs, aws_label)
    return 0


if __name__ == "__main__":
    sys.exit(main())
