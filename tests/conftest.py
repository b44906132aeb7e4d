"""Shared fixtures: a clean AWS environment, a throw-away HOME for every test, a loopback stub,
and a check that the session wrote nothing into the real HOME."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, MutableMapping
from pathlib import Path

import pytest

from helpers import clean_env, home_variables
from stub import ACCESS_KEY, SECRET_KEY, StubServer

# Proxy variables would route even loopback requests of in-process clients elsewhere.
PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy"}
# Where programs keep per-user files; each test (and the session around them) gets its own.
HOME_VARIABLES = ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME")
# The developer's values of HOME_VARIABLES (JSON), kept for the check at the end and for
# pytest-xdist's workers, which start with the session's throw-away HOME already in place.
REAL_HOME_VARIABLE = "SAGEMAKER_ASYNC_TESTS_REAL_HOME"


def real_home_variables_of(environ: MutableMapping[str, str]) -> dict[str, str]:
    """The developer's HOME_VARIABLES (those set), HOME always."""
    if REAL_HOME_VARIABLE not in environ:  # the first pytest process: this is the real one
        real = {name: environ[name] for name in HOME_VARIABLES if environ.get(name)}
        real["HOME"] = os.path.expanduser("~")
        environ[REAL_HOME_VARIABLE] = json.dumps(real)
    return json.loads(environ[REAL_HOME_VARIABLE])


def pytest_configure(config: pytest.Config) -> None:
    # Registered here because filterwarnings=error turns an unknown mark into a failure.
    config.addinivalue_line(
        "markers",
        "slow: waits on retries with backoff, refused connections or read timeouts "
        "(deselect with -m 'not slow')",
    )
    config.addinivalue_line(
        "markers", "browser: drives a real headless Chromium (select with -m browser)"
    )
    config.addinivalue_line(
        "markers",
        "interop: drives a real AWS CLI downloaded from PyPI (`make interop`; not in `make check`)",
    )
    # From here on, even code outside any test (collection, session fixtures, processes that
    # inherit this environment) sees a throw-away HOME; each test then gets one of its own.
    real = real_home_variables_of(os.environ)
    if not hasattr(config, "workerinput"):  # pytest-xdist's controller, or no xdist
        config.stash[_real_home] = RealHome(Path(real["HOME"]), real.get("XDG_CACHE_HOME"))
    config.stash[_saved_environment] = {name: os.environ.get(name) for name in HOME_VARIABLES}
    session_home = Path(tempfile.mkdtemp(prefix="sagemaker-async-tests-home-"))
    config.stash[_session_home] = session_home
    os.environ.update(home_variables(session_home))


def pytest_sessionfinish(session: pytest.Session) -> None:
    if hasattr(session.config, "workerinput"):
        return  # pytest-xdist: the controller checks, once, after every worker has finished
    written = session.config.stash[_real_home].written_since()
    if written:
        session.config.stash[_written] = written
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    written = config.stash.get(_written, [])
    if written:
        terminalreporter.section("written outside the tests' temporary folders", red=True)
        for line in written:
            terminalreporter.write_line(line, red=True)
        terminalreporter.write_line(
            "(a test or a process it started used the real HOME: give it helpers.clean_env)"
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    for name, value in config.stash.get(_saved_environment, {}).items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    if _session_home in config.stash:
        shutil.rmtree(config.stash[_session_home], ignore_errors=True)


class RealHome:
    """What the tests could write under the real HOME, as it stood when the session started.

    Watched: the entries directly in HOME and in its cache, config and data folders (a new one
    is a write), the files directly in them (changed or new), and everything under the folders
    this project's programs and the shells of the completion tests write to. Not watched: the
    rest of the tree, which other programs on the machine may be changing meanwhile.
    """

    def __init__(self, home: Path, cache: str | None):
        self.folders = [home, Path(cache) if cache else home / ".cache"]
        self.folders += [home / ".config", home / ".local" / "share"]
        self.deep = [home / ".aws", home / ".config" / "fish", home / ".local" / "share" / "fish"]
        self.deep.append(self.folders[1] / "sagemaker-async")
        self.before = self.snapshot()

    def snapshot(self) -> dict[str, tuple[int, int] | None]:
        seen: dict[str, tuple[int, int] | None] = {}
        for folder in self.folders:
            for entry in _entries(folder):
                seen[str(entry)] = None if entry.is_dir() else _stamp(entry)
        for folder in self.deep:
            if folder.is_dir():
                for entry in folder.rglob("*"):
                    seen[str(entry)] = None if entry.is_dir() else _stamp(entry)
        return seen

    def written_since(self) -> list[str]:
        now = self.snapshot()
        return sorted(
            f"{path} ({'new' if path not in self.before else 'changed'})"
            for path, stamp in now.items()
            if path not in self.before or self.before[path] != stamp
        )


def _entries(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size)


_real_home = pytest.StashKey[RealHome]()
_saved_environment = pytest.StashKey[dict[str, "str | None"]]()
_session_home = pytest.StashKey[Path]()
_written = pytest.StashKey[list[str]]()


@pytest.fixture
def real_home_variables() -> dict[str, str]:
    """HOME and XDG_CONFIG_HOME as the developer had them, for the one tool that must read its
    configuration from there (pip, finding this machine's package index in the interop test).
    Give them to nothing that writes: its cache stays in the test's XDG_CACHE_HOME."""
    real = real_home_variables_of(os.environ)
    return {name: real[name] for name in ("HOME", "XDG_CONFIG_HOME") if name in real}


@pytest.fixture(autouse=True)
def isolated_home(monkeypatch: pytest.MonkeyPatch, tmp_path_factory) -> Path:
    """Every test runs with its own empty HOME and XDG folders (caches included), so nothing
    it does, in-process or in a process that inherits the environment, lands in the real
    HOME or in another test's."""
    home = tmp_path_factory.mktemp("home")
    for name, value in home_variables(home).items():
        monkeypatch.setenv(name, value)
    return home


@pytest.fixture(autouse=True)
def clean_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's AWS settings or reaches the instance metadata service."""
    for name in list(os.environ):
        if name.startswith("AWS_") or name.lower() in PROXY_VARIABLES:
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def stub_server() -> Iterator[StubServer]:
    """One stub for the whole session; use the ``stub`` fixture, which resets it per test."""
    with StubServer() as server:
        yield server


@pytest.fixture
def stub(stub_server: StubServer) -> StubServer:
    """The session's stub with no recorded requests and the ``ok`` scenario."""
    stub_server.reset()
    return stub_server


def write_aws_home(home: Path) -> tuple[Path, Path]:
    """Config (region us-east-1) and credentials (the stub's key pair) under ``home/.aws``."""
    aws_dir = home / ".aws"
    aws_dir.mkdir(parents=True, exist_ok=True)
    config = aws_dir / "config"
    credentials = aws_dir / "credentials"
    config.write_text("[default]\nregion = us-east-1\n")
    credentials.write_text(
        f"[default]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
    )
    return config, credentials


@pytest.fixture
def aws_home(tmp_path: Path) -> dict[str, str]:
    """An environment for CLI subprocesses (:func:`helpers.clean_env`): a temp HOME whose
    ``.aws`` holds config (region us-east-1) and credentials (the stub's), no other AWS_*
    variable, and the metadata service disabled."""
    home = tmp_path / "home"
    write_aws_home(home)
    return clean_env(home)
