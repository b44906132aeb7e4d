"""Bring your own container: ``serve`` runs the model server (``command:``, ``docker:``) the way
SageMaker runs a container, restarts it when it dies, and stops it on shutdown."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import conftest
from conftest import ACCESS_KEY, CREDENTIALS, REGION, SECRET_KEY, serve_env
from helpers import REPO, write_shell_wrapper

EXAMPLE = REPO / "examples" / "model_server.py"
COMMAND = "m=command:python examples/model_server.py"


def poll(condition, timeout: float = 20.0, what: str = "condition"):
    """Call ``condition`` until it returns something truthy; fail after ``timeout`` s."""
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder holding examples/model_server.py, and a PATH whose ``python`` is this one."""
    (tmp_path / "examples").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "examples" / "model_server.py")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    return tmp_path


def path_env(project: Path) -> dict[str, str]:
    return {"PATH": f"{project / 'bin'}{os.pathsep}{os.environ.get('PATH', os.defpath)}"}


def cli(args: list[str], url: str, project: Path, **kwargs) -> subprocess.Popen[bytes]:
    env = serve_env(
        project,
        {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
        },
    )
    return subprocess.Popen(
        [sys.executable, "-m", "sagemaker_async", "--endpoint-url", url, *args],
        env=env,
        cwd=project,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kwargs,
    )


def invoke_wait(url: str, project: Path, payload: bytes, *extra: str) -> subprocess.Popen[bytes]:
    path = project / f"payload-{time.monotonic_ns()}.txt"
    path.write_bytes(payload)
    args = ["sagemaker-runtime", "invoke-endpoint-async", "--endpoint-name", "m"]
    return cli([*args, "--payload", str(path), "--wait", *extra], url, project)


def model_server(server) -> dict:
    return server.status()["m"]["ModelServer"]


def test_command_model_serves_fails_in_flight_when_killed_and_restarts(start_serve, project):
    server = start_serve(
        "--endpoint", COMMAND, "--workers", "2", cwd=project, env=path_env(project)
    )
    first = model_server(server)
    assert first["State"] == "Healthy" and first["Restarts"] == 0
    log = server.stderr()
    assert f"SAGEMAKER_BIND_TO_PORT={first['Port']}" in log
    assert "[m stdout] model_server: listening on 127.0.0.1:" in log  # its output, prefixed

    ok = invoke_wait(server.url, project, b"three little words")
    out, err = ok.communicate(timeout=60)
    assert ok.returncode == 0, err.decode()
    assert json.loads(out) == {"bytes": 18, "words": 3, "content_type": "application/octet-stream"}

    # An inference in flight when the model server dies fails, with the reason.
    slow = invoke_wait(server.url, project, b"slow one", "--custom-attributes", "sleep=60")
    poll(lambda: server.status()["m"]["InProgress"] == 1, what="the slow inference to start")
    os.kill(first["Pid"], signal.SIGKILL)
    out, err = slow.communicate(timeout=60)
    assert slow.returncode == 3, err.decode()
    assert b"model server of endpoint m stopped (killed by SIGKILL) during the invocation" in err

    # A request sent while it restarts waits for the new process instead of failing.
    waiting = invoke_wait(server.url, project, b"patient")
    restarted = poll(
        lambda: (s := model_server(server))["State"] == "Healthy" and s["Restarts"] == 1 and s,
        what="the restart",
    )
    assert restarted["Pid"] != first["Pid"] and restarted["LastExit"] == "killed by SIGKILL"
    with urllib.request.urlopen(server.url + "/_dashboard", timeout=5) as response:
        page = response.read().decode()
    assert f"Healthy (pid {restarted['Pid']}, restarts 1); last exit: killed by SIGKILL" in page
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err.decode()
    assert json.loads(out)["words"] == 1
    assert "stopped (killed by SIGKILL); restarting in 1 s" in server.stderr()
    # (The counts follow the objects the CLI waited for by a moment: poll.)
    poll(
        lambda: (server.status()["m"]["Failed"], server.status()["m"]["Completed"]) == (1, 2),
        what="1 failed and 2 completed",
    )


def test_shutdown_sends_sigterm_then_sigkill_after_grace(start_serve, project):
    (project / "stubborn.py").write_text(
        "import importlib.util, json, os, signal\n"
        "from http.server import ThreadingHTTPServer\n"
        "env = {k: v for k, v in os.environ.items() if k.startswith('SAGEMAKER_')}\n"
        "open('seen-env.json', 'w').write(json.dumps(env))\n"
        "signal.signal(signal.SIGTERM, lambda *a: print('ignoring SIGTERM', flush=True))\n"
        "spec = importlib.util.spec_from_file_location('ms', 'examples/model_server.py')\n"
        "ms = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(ms)\n"
        "port = int(os.environ['SAGEMAKER_BIND_TO_PORT'])\n"
        "ThreadingHTTPServer(('127.0.0.1', port), ms.Handler).serve_forever()\n"
    )
    server = start_serve(
        "--endpoint",
        "m=command:python stubborn.py",
        "--grace",
        "1",
        cwd=project,
        env=path_env(project),
    )
    pid, port = model_server(server)["Pid"], model_server(server)["Port"]
    # Started as SageMaker starts a container, in serve's current directory.
    assert json.loads((project / "seen-env.json").read_text()) == {
        "SAGEMAKER_BIND_TO_PORT": str(port),
        "SAGEMAKER_SAFE_PORT_RANGE": "20000-20999",
    }
    assert server.stop() == 0
    assert "[m stdout] ignoring SIGTERM" in server.stderr()
    assert not running(pid)


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting for its parent is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal: Linux")
def test_a_killed_serve_leaves_no_model_server_behind(start_serve, project):
    server = start_serve("--endpoint", COMMAND, cwd=project, env=path_env(project))
    pid = model_server(server)["Pid"]
    assert running(pid)
    server.proc.kill()  # SIGKILL: serve cannot clean up
    server.proc.wait()
    poll(lambda: not running(pid), what="the model server to exit with serve")


def test_a_server_that_exits_at_start_stops_serve_with_its_stderr(project):
    command = "m=command:python -c \"import sys; sys.exit('cannot load model.tar.gz')\""
    result = run_serve(project, "--endpoint", command)
    assert result.returncode == 255
    stderr = result.stderr.decode()
    assert "sagemaker-async serve: error: --endpoint m=" in stderr
    assert "exited (exit code 1) before answering GET /ping" in stderr
    assert "cannot load model.tar.gz" in stderr
    assert "Traceback" not in stderr


def test_a_server_that_never_gets_healthy_stops_serve(project):
    command = "m=command:python -c \"import sys, time; print('warming up', file=sys.stderr, flush=True); time.sleep(60)\""
    result = run_serve(project, "--endpoint", command, "--startup-timeout", "1")
    assert result.returncode == 255
    stderr = result.stderr.decode()
    assert (
        "did not answer GET /ping with 200 within 1 s (--startup-timeout; does it listen" in stderr
    )
    assert "warming up" in stderr


def test_ctrl_c_while_the_model_server_starts_stops_serve_cleanly(project):
    command = 'm=command:python -c "import time; time.sleep(60)"'
    env = serve_env(
        project,
        {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY, **path_env(project)},
    )
    log = project / "serve.log"
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sagemaker_async.local",
                "--port",
                "0",
                "--data-dir",
                str(project / "data"),
                "--endpoint",
                command,
            ],
            env=env,
            cwd=project,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
        started = poll(
            lambda: re.search(r"\(pid (\d+), SAGEMAKER_BIND_TO_PORT", log.read_text()),
            what="the model server to start",
        )
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
        assert proc.stdout.read() == b""  # no URL: it never served
        proc.stdout.close()
    assert log.read_text().rstrip().endswith("stopped")
    assert not running(int(started.group(1)))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("m=command:", "command model must be command:CMD"),
        ("m=command:no-such-program-here --x", "command not found: no-such-program-here"),
        ("m=command:python 'unbalanced", "cannot split command"),
        ("m=command:MODEL=x python s.py", "is not run by a shell: set variables with `env"),
    ],
)
def test_bad_command_specs_are_usage_errors(project, spec, message):
    result = run_serve(project, "--endpoint", spec)
    assert result.returncode == 252
    assert message in result.stderr.decode()


def run_serve(project: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return conftest.run_serve(
        project, "--port", "0", *args, env={**CREDENTIALS, **path_env(project)}
    )


STAND_IN_DOCKER = """#!{python}
# A stand-in for docker: records its arguments, then runs the example server on the published
# port, as `docker run -p 127.0.0.1:PORT:8080 IMAGE serve` would.
import json, os, runpy, sys
with open({record!r}, "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
publish = sys.argv[sys.argv.index("-p") + 1]
os.environ["SAGEMAKER_BIND_TO_PORT"] = publish.split(":")[1]
sys.argv = ["model_server.py"]
runpy.run_path({example!r}, run_name="__main__")
"""


def test_docker_model_runs_the_image_with_sagemakers_command_line(start_serve, project):
    record = project / "docker-calls.jsonl"
    docker = project / "bin" / "docker"
    docker.write_text(
        STAND_IN_DOCKER.format(python=sys.executable, record=str(record), example=str(EXAMPLE))
    )
    docker.chmod(0o755)
    server = start_serve(
        "--endpoint", "m=docker:registry.example/my-model:1.0", cwd=project, env=path_env(project)
    )
    port = model_server(server)["Port"]
    call = json.loads(record.read_text().splitlines()[0])
    assert call == [
        "run",
        "--rm",
        "-p",
        f"127.0.0.1:{port}:8080",
        "registry.example/my-model:1.0",
        "serve",
    ]
    ok = invoke_wait(server.url, project, b"via docker")
    out, err = ok.communicate(timeout=60)
    assert ok.returncode == 0, err.decode()
    assert json.loads(out)["words"] == 2
    assert server.stop() == 0
    assert "[m stdout] model_server: stopped" in server.stderr()  # it stops on SIGTERM only


def test_docker_model_needs_docker_on_path(project):
    env = {**CREDENTIALS, "PATH": str(project / "bin")}  # python only
    result = conftest.run_serve(project, "--port", "0", "--endpoint", "m=docker:my-model", env=env)
    assert result.returncode == 252
    assert "docker is not on PATH" in result.stderr.decode()


def test_the_worked_example_in_the_docs_runs_as_written(project):
    page = (REPO / "docs" / "local-endpoint.md").read_text()
    section = page.split("### Worked example", 1)[1]
    script = section.split("```sh\n", 1)[1].split("```", 1)[0]
    bin_dir = write_shell_wrapper(project)
    env = serve_env(project, path_env(project))
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        env=env,
        cwd=project,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode()
    answer = {"bytes": 36, "words": 5, "content_type": "application/json"}
    assert json.loads(out.splitlines()[0]) == answer
    assert "failed as expected: exit 3" in out
    assert b'{"message": "bad input", "status": "error"}' in result.stderr
    assert "[m stdout] model_server: listening on 127.0.0.1:" in out
    assert '[m stderr] model_server: "POST /invocations HTTP/1.1" 200 -' in out
