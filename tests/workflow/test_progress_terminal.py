"""The progress line as a terminal user sees it: the CLI runs on a real pseudo-terminal of 80
or 120 columns (stdout and stderr both on it, as in an interactive shell), and the bytes it
wrote are replayed on a small terminal emulator. The final screen must hold the results and
nothing of the progress line: no stale "Waiting for …" rows, however long the S3 URI."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading

import pytest

from helpers import CHILD_PYTHONPATH

from .support import BATCH, INVOKE

CSI = re.compile(r"\x1b\[([0-9;?]*)([@-~])")


class Screen:
    """Enough of a VT100 for a CLI: printable text with auto-wrap at the right margin, CR,
    LF, BS, and "erase in line" (CSI K). Any other escape sequence fails the test."""

    def __init__(self, columns: int):
        self.columns = columns
        self.rows: list[list[str]] = [[]]
        self.continued = [False]  # per row: it holds the spill of a line too long for the row
        self.row = self.col = 0
        self.pending_wrap = False
        self.wraps = 0  # rows a line spilled onto

    def feed(self, text: str) -> None:
        i = 0
        while i < len(text):
            match = CSI.match(text, i)
            if match:
                self._csi(match[1], match[2])
                i = match.end()
                continue
            self._char(text[i])
            i += 1

    def _csi(self, params: str, final: str) -> None:
        assert final == "K" and params in ("", "0"), f"unexpected escape: {params!r}{final}"
        del self.rows[self.row][self.col :]

    def _char(self, char: str) -> None:
        if char == "\r":
            self.col, self.pending_wrap = 0, False
        elif char == "\n":
            self._line_feed()
        elif char == "\b":
            self.col, self.pending_wrap = max(0, self.col - 1), False
        else:
            assert char.isprintable(), f"unexpected control character {char!r}"
            if self.pending_wrap:
                self.wraps += 1
                self._line_feed()
                self.continued[self.row] = True
                self.col, self.pending_wrap = 0, False
            cells = self.rows[self.row]
            cells.extend(" " * (self.col - len(cells)))
            if self.col < len(cells):
                cells[self.col] = char
            else:
                cells.append(char)
            if self.col == self.columns - 1:
                self.pending_wrap = True
            else:
                self.col += 1

    def _line_feed(self) -> None:
        self.row += 1
        if self.row == len(self.rows):
            self.rows.append([])
            self.continued.append(False)

    def lines(self) -> list[str]:
        """The lines on the screen, a wrapped line joined again."""
        text: list[str] = []
        for cells, continued in zip(self.rows, self.continued, strict=True):
            if continued:
                text[-1] += "".join(cells)
            else:
                text.append("".join(cells))
        text = [line.rstrip() for line in text]
        while text and not text[-1]:
            text.pop()
        return text


def run_on_terminal(args: list[str], env: dict[str, str], columns: int) -> tuple[int, bytes]:
    """Run the CLI with stdin from /dev/null and stdout+stderr on a ``columns``-wide pty."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "sagemaker_async", *args],
        env={**env, "PYTHONPATH": CHILD_PYTHONPATH, "TERM": "xterm"},
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    chunks: list[bytes] = []

    def read() -> None:  # keep reading, so the child never blocks on a full pty
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO once the child has exited
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    code = proc.wait(timeout=60)
    reader.join(30)
    os.close(leader)
    return code, b"".join(chunks)


def replay(data: bytes, columns: int) -> Screen:
    screen = Screen(columns)
    screen.feed(data.decode("utf-8"))
    return screen


@pytest.mark.parametrize("columns", [80, 120])
def test_waiting_redraws_one_line_that_fits_and_leaves_only_the_result(
    aws_home, serve, tmp_path, columns
):
    payload = tmp_path / "in.json"
    payload.write_bytes(b'{"hello": "terminal"}')
    code, data = run_on_terminal(
        [
            "--endpoint-url",
            serve.url,
            *INVOKE,
            "--endpoint-name",
            "slow",
            "--payload",
            str(payload),
            "--custom-attributes",
            "sleep=2",
            "--wait",
        ],
        aws_home,
        columns,
    )
    assert code == 0, data
    assert data.count(b"Waiting for s3://") >= 3  # the line was drawn, and redrawn
    screen = replay(data, columns)
    assert screen.wraps == 0
    assert screen.lines() == ['{"hello": "terminal"}']


@pytest.mark.parametrize("columns", [80, 120])
def test_batch_results_scroll_above_one_progress_line_that_then_goes(
    aws_home, serve, tmp_path, columns
):
    requests = tmp_path / "requests.jsonl"
    with requests.open("w") as f:
        for n in range(1, 5):
            document = {
                "EndpointName": "slow",
                "Body": "aGk=",
                "CustomAttributes": f"sleep={0.4 * n}",
            }
            f.write(json.dumps(document) + "\n")
    code, data = run_on_terminal(
        ["--endpoint-url", serve.url, *BATCH, "--requests", str(requests), "--wait"],
        aws_home,
        columns,
    )
    assert code == 0, data
    assert b"accepted" in data  # the progress line was drawn
    lines = replay(data, columns).lines()
    results = [json.loads(line) for line in lines[:4]]
    assert sorted(r["Line"] for r in results) == [1, 2, 3, 4]
    assert {r["Status"] for r in results} == {"completed"}
    assert [line.split(":")[0] for line in lines[4:]] == ["batch", "batch"]  # the summary


def test_columns_in_the_environment_wins_over_the_terminal_size(aws_home, serve, tmp_path):
    payload = tmp_path / "in.json"
    payload.write_bytes(b"{}")
    args = ["--endpoint-url", serve.url, *INVOKE, "--endpoint-name", "slow"]
    args += ["--payload", str(payload), "--custom-attributes", "sleep=1", "--wait"]
    code, data = run_on_terminal(args, {**aws_home, "COLUMNS": "50"}, 120)
    assert code == 0, data
    frames = [frame for frame in data.decode().split("\r\x1b[K") if frame.startswith("Waiting")]
    assert frames, data
    assert max(len(frame) for frame in frames) == 49  # one column kept free: no wrap
