"""The guard of the tests' promise to write nothing outside their temporary folders: what
HOME looked like when the session started (see conftest.py, which also gives every test and
the session a throw-away HOME)."""

from __future__ import annotations

import json
import os
from collections.abc import MutableMapping
from pathlib import Path

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


class RealHome:
    """What the tests could write under the real HOME, as it stood when the session started.

    Watched: the entries directly in HOME and in its cache, config and data folders (a new one
    is a write), the files directly in them (changed or new), and everything under the folders
    this project's programs and the shells of the completion tests write to. Not watched: the
    rest of the tree, which other programs on the machine may be changing meanwhile.
    """

    def __init__(self, real: dict[str, str]):
        home = Path(real["HOME"])
        cache = Path(real.get("XDG_CACHE_HOME") or home / ".cache")
        config = Path(real.get("XDG_CONFIG_HOME") or home / ".config")
        data = Path(real.get("XDG_DATA_HOME") or home / ".local" / "share")
        self.folders = [home, cache, config, data]
        self.deep = [home / ".aws", cache / "sagemaker-async", config / "fish", data / "fish"]
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
