"""A first install is quiet: building the package prints no deprecation warning."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

from helpers import REPO


def test_build_is_warning_free_and_declares_an_spdx_license(tmp_path):
    # A copy of the project, so the build writes nothing into the working tree; no build
    # isolation, so nothing is downloaded (the test extra installs the backend).
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, project / name)
    shutil.copytree(REPO / "src", project / "src", ignore=shutil.ignore_patterns("*.egg-info"))
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(tmp_path / "dist")],
        cwd=project,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )
    output = (result.stdout + result.stderr).decode()
    assert result.returncode == 0, output
    assert "deprecated" not in output.lower(), output
    assert "BuildBackendWarning" not in output, output
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        text = archive.read(metadata).decode()
    assert "License-Expression: Apache-2.0" in text
