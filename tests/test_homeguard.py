"""The session's check on the real HOME (homeguard.RealHome) sees the writes a test could make
there, and the autouse fixture keeps a test's own writes out of it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import CHILD_PYTHONPATH
from homeguard import RealHome, real_home_variables_of


def make_home(tmp_path: Path) -> Path:
    home = tmp_path / "real"
    for folder in (".cache/sagemaker-async", ".aws", ".config/fish", ".local/share", "Documents"):
        (home / folder).mkdir(parents=True)
    (home / ".bashrc").write_text("# mine\n")
    (home / "Documents" / "notes.txt").write_text("not watched\n")
    return home


def test_new_and_changed_files_are_reported(tmp_path):
    home = make_home(tmp_path)
    guard = RealHome({"HOME": str(home)})
    assert guard.written_since() == []

    (home / ".cache" / "sagemaker-async" / "listing.marshal").write_bytes(b"x")
    (home / ".rustup").mkdir()
    (home / ".bashrc").write_text("# mine\neval stuff\n")
    (home / ".config" / "fish" / "completions").mkdir()
    (home / ".config" / "fish" / "completions" / "sagemaker-async.fish").write_text("complete\n")
    (home / "Documents" / "notes.txt").write_text("changed, but deep in a folder not watched\n")

    assert guard.written_since() == [
        f"{home}/.bashrc (changed)",
        f"{home}/.cache/sagemaker-async/listing.marshal (new)",
        f"{home}/.config/fish/completions (new)",
        f"{home}/.config/fish/completions/sagemaker-async.fish (new)",
        f"{home}/.rustup (new)",
    ]


def test_the_cache_folder_is_the_developers_xdg_cache_home(tmp_path):
    home = make_home(tmp_path)
    cache = tmp_path / "elsewhere"
    (cache / "sagemaker-async").mkdir(parents=True)
    guard = RealHome({"HOME": str(home), "XDG_CACHE_HOME": str(cache)})
    (cache / "sagemaker-async" / "listing.marshal").write_bytes(b"x")
    assert guard.written_since() == [f"{cache}/sagemaker-async/listing.marshal (new)"]


def test_each_test_has_a_home_of_its_own(isolated_home):
    real = real_home_variables_of(os.environ)
    assert os.environ["HOME"] == str(isolated_home) != real["HOME"]
    assert os.environ["XDG_CACHE_HOME"] == str(isolated_home / ".cache")
    # A process that inherits the environment writes its cache there too.
    code = "from sagemaker_async.request import botocache; print(botocache.cache_dir())"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": CHILD_PYTHONPATH},
        capture_output=True,
        check=True,
    )
    assert result.stdout.decode().strip() == str(isolated_home / ".cache" / "sagemaker-async")
