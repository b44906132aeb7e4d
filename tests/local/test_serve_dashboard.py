"""``GET /_dashboard`` in a real browser: headless Chromium loads the page of a running
``serve`` after a few invocations, and the numbers, the recent inferences and the escaping are
checked in the DOM it built. A screenshot is kept in pytest's temp folder (path printed).

Skipped, with the reason, where Chromium is not installed; ``.ci/run`` installs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from serving import wait_until

pytestmark = pytest.mark.browser

HOSTILE_ID = "<script>alert(1)</script>"


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def run_chromium(browser: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Headless Chromium with its own profile and HOME in ``tmp`` (nothing written elsewhere)."""
    flags = ["--headless", "--disable-gpu", "--no-first-run", "--disable-extensions"]
    if os.geteuid() == 0:
        flags.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(tmp)}
    return subprocess.run(
        [browser, *flags, f"--user-data-dir={tmp / 'profile'}", *args],
        env=env,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


class Page(HTMLParser):
    """What the test reads from the DOM: data-field cells, recent rows, script elements."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[tuple[str, str], str] = {}
        self.recent: list[list[str]] = []
        self.scripts = 0
        self._field: tuple[str, str] | None = None
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attr = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "table":
            self._table = attr.get("id")
        if "data-field" in attr:
            self._field = (attr.get("data-endpoint") or "", attr["data-field"])
            self.fields[self._field] = ""
        if self._table == "recent" and tag == "tr":
            self._row = []
        if self._row is not None and tag == "td":
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        if tag == "tr" and self._row:
            self.recent.append(self._row)
            self._row = None
        if tag in ("td", "span"):
            self._field = None
        if tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._field is not None:
            self.fields[self._field] += data
        if self._cell is not None:
            self._cell.append(data)


def test_dashboard_in_headless_chromium(start_serve, tmp_path, capsys):
    browser = find_chromium()
    if browser is None:
        pytest.skip(
            "chromium is not installed, so the dashboard was not tested in a browser "
            "(apt-get install chromium; .ci/run installs it)"
        )
    server = start_serve("--endpoint", "echo", "--endpoint", "other")
    runtime = server.client("sagemaker-runtime")
    for i in range(3):
        runtime.invoke_endpoint_async(EndpointName="echo", Body=b"SECRET-PAYLOAD-%d" % i)
    runtime.invoke_endpoint_async(
        EndpointName="echo",
        Body=b"SECRET-PAYLOAD-bad",
        InferenceId=HOSTILE_ID,
        CustomAttributes="fail=model says no",
    )
    runtime.invoke_endpoint_async(EndpointName="other", Body=b"SECRET-PAYLOAD-other")
    wait_until(
        server.status,
        lambda status: (
            status["echo"]["Completed"] + status["echo"]["Failed"] == 4
            and status["other"]["Completed"]
        ),
    )

    url = server.url + "/_dashboard"
    dumped = run_chromium(browser, tmp_path, "--dump-dom", url)
    assert dumped.returncode == 0, dumped.stderr.decode(errors="replace")[-2000:]
    dom = dumped.stdout.decode()
    page = Page()
    page.feed(dom)

    assert page.fields[("echo", "completed")] == "3"
    assert page.fields[("echo", "failed")] == "1"
    assert page.fields[("echo", "expired")] == "0"
    assert page.fields[("echo", "backlog")] == "0"
    assert page.fields[("echo", "in-progress")] == "0"
    assert page.fields[("echo", "per-minute")] == "4"
    assert page.fields[("other", "completed")] == "1"
    assert page.fields[("other", "per-minute")] == "1"

    assert len(page.recent) == 5
    newest_first = [row[1] for row in page.recent]
    assert newest_first.count("echo") == 4 and newest_first.count("other") == 1
    failed = [row for row in page.recent if row[3] == "Failed"]
    assert len(failed) == 1
    assert failed[0][2] == HOSTILE_ID  # shown as text …
    assert page.scripts == 0  # … never run as markup
    assert failed[0][5].startswith("ClientError: Received server error (500) from model.")
    assert all(row[4].isdigit() for row in page.recent)  # latency in ms
    assert "SECRET-PAYLOAD" not in dom and "model says no" not in dom
    assert '<meta http-equiv="refresh"' in dom

    shot = tmp_path / "dashboard.png"
    taken = run_chromium(browser, tmp_path, "--window-size=1280,900", f"--screenshot={shot}", url)
    assert taken.returncode == 0, taken.stderr.decode(errors="replace")[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with capsys.disabled():
        print(f"\ndashboard screenshot: {shot}")
