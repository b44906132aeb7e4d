"""The harness of tests/test_completion.py: real shells on a pseudo-terminal (bash through
readline, zsh through its line editor), bash's COMP_WORDS driver, fish's ``complete -C``, and
the AWS config files they complete from."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

PROG = "sagemaker-async"

TERMINAL_TIMEOUT = 60.0  # a guard against a shell waiting forever, not a measurement


def write_aws_config(folder: Path) -> tuple[Path, Path]:
    config = folder / "aws-config"
    credentials = folder / "aws-credentials"
    config.write_text(
        "[default]\nregion = us-east-1\n\n[profile dev]\nregion = eu-west-1\n\n"
        "[profile staging]\noutput = json\n\n[sso-session corp]\nsso_region = us-east-1\n"
    )
    credentials.write_text(
        "[ci]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = fake-secret-key\n"
    )
    return config, credentials


def require(shell: str) -> str:
    """The shell's path; missing, the test fails in CI (CI=true) and is skipped elsewhere."""
    path = shutil.which(shell)
    if path is None:
        message = f"{shell} is not installed (.ci/install-shells installs zsh and fish)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


INSTALL = {
    "bash": 'eval "$(sagemaker-async completion bash)"',
    "zsh": 'eval "$(sagemaker-async completion zsh)"',
    "fish": "mkdir -p ~/.config/fish/completions && "
    "sagemaker-async completion fish > ~/.config/fish/completions/sagemaker-async.fish",
}


RECORD = '#!/bin/sh\nfor a in "$@"; do printf "[%s]" "$a"; done >> "$RECORD"\necho >> "$RECORD"\n'


# Runs a command with the terminal on stdin as its controlling terminal (job control works
# as for a user), without preexec_fn: the child opens its terminal after setsid().
WITH_TERMINAL = (
    "import os, sys; os.close(os.open(os.ttyname(0), os.O_RDWR)); "
    "os.execvp(sys.argv[1], sys.argv[1:])"
)


READY = "READY$((6 * 7))"  # the terminal shows READY42 only once the shell has run it


def in_terminal(argv: list[str], setup: str, keys: str, env: dict[str, str], cwd: Path) -> str:
    """Run an interactive shell on a pseudo-terminal: run ``setup``, then type ``keys`` and
    wait for it to exit. Returns what the terminal showed (for failure messages)."""
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", WITH_TERMINAL, *argv],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=cwd,
        start_new_session=True,
    )
    os.close(slave)
    shown = bytearray()
    pending = (setup + f"echo {READY}\r").encode()
    later = keys.encode()
    deadline = time.monotonic() + TERMINAL_TIMEOUT
    try:
        while time.monotonic() < deadline:
            if later and b"READY42" in shown:  # typed only once the setup has run
                pending, later = pending + later, b""
            readable, writable, _ = select.select([master], [master] if pending else [], [], 0.2)
            if writable:
                pending = pending[os.write(master, pending[:64]) :]
            if readable:
                try:
                    data = os.read(master, 4096)
                except OSError:  # EIO: the shell has exited and closed the terminal
                    data = b""
                if not data:
                    break
                shown += data
        else:
            raise AssertionError(f"{argv[0]} did not exit; it showed:\n{shown.decode()}")
        proc.wait(timeout=30)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return shown.decode(errors="replace")


def typed(*lines: str) -> str:
    """Key strokes: each line completed with Tab where it says <TAB>, then recorded (Ctrl-A
    goes to the start of the line to put `record` in front) and run."""
    return "".join(line.replace("<TAB>", "\t") + "\x01record \r" for line in lines)


def recorded(env: dict[str, str]) -> list[list[str]]:
    path = Path(env["RECORD"])
    lines = path.read_text().splitlines() if path.exists() else []
    return [line[1:-1].split("][") for line in lines]


BASH = ["bash", "--norc", "--noprofile", "-i"]


ZSH = ["zsh", "-f", "-i"]


ZSH_SETUP = "autoload -Uz compinit && compinit -u -D\r" + INSTALL["zsh"] + "\r"


BASH_SETUP = INSTALL["bash"] + "\r"


BASH_DRIVER = """
source <(sagemaker-async completion bash)
complete -p sagemaker-async >&2
COMP_WORDS=("$@")
COMP_CWORD=$(( $# - 1 ))
COMP_LINE=$LINE
COMP_POINT=${#COMP_LINE}
_sagemaker_async_complete
printf '%s\\n' "${COMPREPLY[@]}"
"""


def bash_split(line: str) -> list[str]:
    """COMP_WORDS for an unquoted line, as bash splits it: at blanks, and around runs of '='
    and ':' (the interactive tests below check the real split through readline)."""
    import re

    words = [w for word in line.split() for w in re.split(r"([=:]+)", word) if w]
    return [*words, ""] if line.endswith(" ") else words


def bash_complete(env: dict[str, str], cwd: Path, line: str) -> tuple[list[str], str]:
    """COMPREPLY for ``line`` (Tab at its end), driving the function as bash would."""
    require("bash")
    result = subprocess.run(
        ["bash", "-c", BASH_DRIVER, "bash", *bash_split(line)],
        env={**env, "LINE": line},
        cwd=cwd,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.decode().splitlines(), result.stderr.decode()


# compadd wrapped as a function: the matches zsh accepts (after its own matching) are
# logged, then added as usual. Calls that only filter an array (-O, -A, -D) add nothing.
ZSH_CAPTURE = (
    "compadd() { "
    'if [[ -n ${@[(r)-[OAD]]} ]]; then builtin compadd "$@"; return; fi; '
    'local -a found; builtin compadd -O found "$@"; '
    'if (( $#found )); then print -rl -- "${found[@]}" >> "$COMPLOG"; fi; '
    'builtin compadd "$@"; }\r'
)


def zsh_offers(env: dict[str, str], cwd: Path, line: str) -> list[str]:
    """What zsh's completion system offers for ``line`` (Tab at its end), in its line editor."""
    require("zsh")
    keys = line + "\t\x07exit\r"  # Tab, then Ctrl-G (send-break) drops the line
    shown = in_terminal(ZSH, ZSH_SETUP + ZSH_CAPTURE, keys, env, cwd)
    log = Path(env["COMPLOG"])
    assert log.exists(), shown
    offered = log.read_text().splitlines()
    log.unlink()
    return offered


def fish_offers(env: dict[str, str], cwd: Path, line: str) -> list[tuple[str, str]]:
    """``complete -C`` for ``line``, with the script installed as the docs say."""
    require("fish")
    script = f"{INSTALL['fish']}\ncomplete -C {json.dumps(line)}\n"
    result = subprocess.run(
        ["fish", "-c", script],
        env=env,
        cwd=cwd,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [tuple((line + "\t").split("\t")[:2]) for line in result.stdout.decode().splitlines()]
