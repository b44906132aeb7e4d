"""Shared fixtures: a clean AWS environment, a throw-away HOME for every test, a loopback stub,
and a check that the session wrote nothing into the real HOME."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import clean_env, home_variables
from homeguard import HOME_VARIABLES, RealHome, real_home_variables_of
from stub import ACCESS_KEY, SECRET_KEY, StubServer

# Proxy variables would route even loopback requests of in-process clients elsewhere.
PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy"}


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
        config.stash[_real_home] = RealHome(real)
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
            "(a test, or a process it started, used the real HOME: build its environment with "
            "helpers.clean_env. The check assumes nothing else on the machine writes there "
            "meanwhile, as in CI.)"
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    for name, value in config.stash.get(_saved_environment, {}).items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    if _session_home in config.stash:
        shutil.rmtree(config.stash[_session_home], ignore_errors=True)


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
