"""Shell completion: the candidate engine, the ``__complete`` command, and each real shell
driving it — bash through readline on a pseudo-terminal and through COMP_WORDS/COMP_CWORD,
zsh through its line editor with compinit on a pseudo-terminal, fish through ``complete -C``.

Only loopback is contacted: endpoint names come from a real ``serve`` on 127.0.0.1, and an
audit hook shows that no other address is ever looked up or connected to.
"""

from __future__ import annotations

import http.server
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from completion_support import (
    BASH,
    BASH_SETUP,
    INSTALL,
    RECORD,
    ZSH,
    ZSH_SETUP,
    bash_complete,
    fish_offers,
    in_terminal,
    recorded,
    require,
    typed,
    write_aws_config,
    zsh_offers,
)
from helpers import CHILD_PYTHONPATH, REPO, closed_port, probe_cli, run_cli
from sagemaker_async.cli import completion as engine
from sagemaker_async.cli.tree import build_tree
from serving import Serve
from test_startup import HEAVY, loaded_modules

PROG = "sagemaker-async"
SERVICE = "sagemaker-runtime"
INVOKE = "invoke-endpoint-async"
CHOICE_OPTIONS = ("--output", "--color", "--cli-binary-format", "--cli-error-format")


# -- helpers ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def root() -> click.Group:
    return build_tree()


def candidates(root: click.Group, *words: str, environ=None) -> list[engine.Candidate]:
    """Complete the last of ``words`` (the words after the program name)."""
    return engine.complete(root, list(words), len(words) - 1, {} if environ is None else environ)


def values(root: click.Group, *words: str, environ=None) -> list[str]:
    return [c.value for c in candidates(root, *words, environ=environ)]


def values_at(root: click.Group, cword: int, *words: str) -> list[str]:
    """Complete ``words[cword]`` (the cursor in the middle of the line)."""
    return [c.value for c in engine.complete(root, list(words), cword, {})]


def option_names(params) -> set[str]:
    return {
        name
        for p in params
        if isinstance(p, click.Option) and not p.hidden
        for name in [*p.opts, *p.secondary_opts]
    }


def global_names(root: click.Group) -> set[str]:
    return option_names(root.params)


def commands_of(group: click.Group) -> dict[str, click.Command]:
    """A group's commands (the tree builds them when asked for)."""
    ctx = click.Context(group)
    found = {name: group.get_command(ctx, name) for name in group.list_commands(ctx)}
    return {name: command for name, command in found.items() if command is not None}


def sub(group: click.Command, name: str) -> click.Command:
    assert isinstance(group, click.Group)
    return commands_of(group)[name]


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with files to complete (and a cwd there)."""
    work = tmp_path / "work"
    (work / "requests").mkdir(parents=True)
    (work / "requests" / "one.json").write_text("{}")
    (work / "requests" / "two.json").write_text("{}")
    (work / "my dir").mkdir()
    (work / "my dir" / "x.bin").write_bytes(b"\0")
    (work / ".hidden").write_text("")
    (work / "payload.json").write_text("{}")
    monkeypatch.chdir(work)
    return work


# -- a running serve -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def serve(tmp_path_factory) -> Iterator[Serve]:
    """The shared test serve (tests/serving.py) with endpoints alpha and beta."""
    folder = tmp_path_factory.mktemp("completion-serve")
    key, secret = "AKIDEXAMPLE", "fake-secret-key"
    args = ["--endpoint", "alpha", "--endpoint", "beta"]
    args += ["--access-key-id", key, "--secret-access-key", secret]
    with Serve(folder / "data", args, key=key, secret=secret) as server:
        yield server


# == the engine ==============================================================================
def test_top_level_offers_the_visible_commands_of_the_tree(root):
    visible = sorted(n for n, c in commands_of(root).items() if not c.hidden)
    assert values(root, "") == [*visible, "help"]
    assert {"sagemaker-runtime", "serve", "completion"} <= set(visible)
    assert "__complete" in commands_of(root) and "__complete" not in values(root, "")
    assert values(root, "se") == ["serve"]


def test_operations_come_from_the_service_group(root):
    service = sub(root, SERVICE)
    assert isinstance(service, click.Group)
    expected = sorted(n for n, c in commands_of(service).items() if not c.hidden)
    assert INVOKE in expected
    assert values(root, SERVICE, "") == [*expected, "help"]
    assert values(root, "--region", "us-east-1", SERVICE, "inv") == [INVOKE]


def test_commands_have_one_line_descriptions(root):
    described = {c.value: c.description for c in candidates(root, SERVICE, "")}
    assert described[INVOKE].startswith("After you deploy a model")  # the model's doc, no HTML
    assert "<" not in described[INVOKE]
    assert all(len(d) <= engine.DESCRIPTION_WIDTH for d in described.values())


def test_every_operation_offers_its_options_and_the_globals(root):
    for name, command in commands_of(sub(root, SERVICE)).items():
        offered = values(root, SERVICE, name, "--")
        assert set(offered) == option_names(command.params) | global_names(root), name
        assert len(offered) == len(set(offered))


def test_an_empty_word_after_an_operation_offers_its_options(root):
    assert set(values(root, SERVICE, INVOKE, "")) == set(values(root, SERVICE, INVOKE, "--"))
    assert values(root, SERVICE, INVOKE, "x") == []


def test_global_options_are_offered_at_every_aws_level(root):
    assert set(values(root, "--")) == global_names(root)
    assert set(values(root, SERVICE, "--")) == global_names(root)


def test_required_options_say_so(root):
    by_value = {c.value: c.description for c in candidates(root, SERVICE, INVOKE, "--endpoint-")}
    assert by_value["--endpoint-name"].startswith("(required)")
    assert by_value["--endpoint-url"] == "Override the service URL."


def test_options_already_given_are_not_offered_again(root):
    offered = values(
        root, "--output", "json", SERVICE, INVOKE, "--endpoint-name", "e", "--debug", "--"
    )
    assert not {"--output", "--endpoint-name", "--debug"} & set(offered)
    assert "--endpoint-url" in offered
    # given after the cursor, or with "=", or abbreviated as the CLI allows
    later = values_at(root, 2, SERVICE, INVOKE, "--c", "--content-type", "x")
    assert "--content-type" not in later and "--custom-attributes" in later
    assert "--content-type" not in values(root, SERVICE, INVOKE, "--content-t=x", "--c")
    assert "--endpoint-name" not in values(root, SERVICE, INVOKE, "--endpoint-n", "e", "--e")


def test_an_abbreviated_option_takes_its_value(root):
    assert values(root, SERVICE, INVOKE, "--out", "j") == ["json"]
    assert values(root, SERVICE, INVOKE, "--out=y") == ["--out=yaml", "--out=yaml-stream"]
    # the global options are parsed first, anywhere on the line: --co is --color there
    assert values(root, SERVICE, INVOKE, "--co", "") == ["on", "off", "auto"]
    # ambiguous among the operation's options: no option takes the next word
    assert values(root, SERVICE, INVOKE, "--in", "") == values(root, SERVICE, INVOKE, "")


@pytest.mark.parametrize("name", CHOICE_OPTIONS)
def test_choice_values_come_from_the_click_option(root, name):
    option = next(p for p in root.params if name in getattr(p, "opts", ()))
    choices = list(option.type.choices)
    assert values(root, name, "") == choices
    assert values(root, SERVICE, INVOKE, name, "") == choices
    assert values(root, f"{name}={choices[0][:1]}") == [
        f"{name}={c}" for c in choices if c.startswith(choices[0][:1])
    ]


def test_output_values(root):
    assert values(root, SERVICE, INVOKE, "--output", "") == [
        "json",
        "text",
        "table",
        "yaml",
        "yaml-stream",
        "off",
    ]
    assert values(root, "--output=ya") == ["--output=yaml", "--output=yaml-stream"]
    assert values(root, "--output", "x") == []


def test_an_option_with_an_optional_value(root):
    assert values(root, SERVICE, INVOKE, "--generate-cli-skeleton", "") == [
        "input",
        "output",
        "yaml-input",
    ]
    after = values(root, SERVICE, INVOKE, "--generate-cli-skeleton", "--endpoint-n")
    assert after == ["--endpoint-name"]
    assert "--endpoint-name" in values(root, SERVICE, INVOKE, "--generate-cli-skeleton", "--", "")


def test_serve_offers_its_own_options_only(root):
    serve = sub(root, "serve")
    offered = values(root, "serve", "--")
    assert set(offered) == option_names(serve.params) | {"--help"}  # -h: not a "--" name
    assert "--output" not in offered  # global options go before serve
    assert values(root, "--debug", "serve", "--p") == ["--port"]
    assert "--endpoint" in values(root, "serve", "--endpoint", "a", "--")  # repeatable
    assert "--port" not in values(root, "serve", "--port", "0", "--")
    assert values(root, "serve", "--port=1", "--po") == []


def test_serve_data_dir_completes_directories(root, files):
    assert values(root, "serve", "--data-dir", "") == ["my dir/", "requests/"]
    assert values(root, "serve", "--data-dir=re") == ["--data-dir=requests/"]


def test_completion_takes_a_shell(root):
    assert values(root, "completion", "") == ["bash", "zsh", "fish"]
    assert values(root, "completion", "z") == ["zsh"]
    assert values(root, "completion", "bash", "") == ["--help", "-h"]


def test_nothing_after_an_unknown_command_or_help(root):
    assert values(root, "ec2", "") == []
    assert values(root, "help", "") == []
    assert values(root, SERVICE, "no-such-operation", "--") == []


def test_file_urls_complete_paths(root, files):
    got = candidates(root, SERVICE, INVOKE, "--cli-input-json", "file://")
    assert [(c.value, c.partial) for c in got] == [
        ("file://my dir/", True),
        ("file://payload.json", False),
        ("file://requests/", True),
    ]
    assert values(root, SERVICE, INVOKE, "--body", "fileb://requests/") == [
        "fileb://requests/one.json",
        "fileb://requests/two.json",
    ]
    assert values(root, SERVICE, INVOKE, "--body", "fileb://requests/t") == [
        "fileb://requests/two.json"
    ]
    assert values(root, SERVICE, INVOKE, "--body=file://my") == ["--body=file://my dir/"]
    assert values(root, SERVICE, INVOKE, "--body", "file://.h") == ["file://.hidden"]
    absolute = f"file://{files}/req"
    assert values(root, SERVICE, INVOKE, "--body", absolute) == [f"file://{files}/requests/"]
    assert values(root, SERVICE, INVOKE, "--body", "file://nowhere/") == []


def test_file_urls_expand_the_home_directory(root, files, monkeypatch):
    monkeypatch.setenv("HOME", str(files))
    assert values(root, SERVICE, INVOKE, "--body", "file://~") == ["file://~/"]
    assert values(root, SERVICE, INVOKE, "--body", "file://~/my") == ["file://~/my dir/"]


def test_file_prefixes_are_offered(root, files):
    got = candidates(root, SERVICE, INVOKE, "--body", "f")
    assert [(c.value, c.partial) for c in got] == [("file://", True), ("fileb://", True)]
    assert values(root, SERVICE, INVOKE, "--cli-input-json", "") == ["file://", "fileb://"]
    assert values(root, SERVICE, INVOKE, "--cli-input-yaml", "fileb") == ["fileb://"]
    assert values(root, SERVICE, INVOKE, "--custom-attributes", "") == []


def test_workflow_paths_complete_as_files(root, files):
    assert values(root, SERVICE, INVOKE, "--payload", "") == [
        "my dir/",
        "payload.json",
        "requests/",
    ]
    assert values(root, SERVICE, INVOKE, "--download=requests/o") == [
        "--download=requests/one.json"
    ]
    assert values(root, SERVICE, "batch", "--requests", "requests/") == [
        "requests/one.json",
        "requests/two.json",
    ]


def test_ca_bundle_completes_paths(root, files):
    assert values(root, "--ca-bundle", "pay") == ["payload.json"]


def test_regions_where_sagemaker_runtime_is(root):
    got = {c.value: c.description for c in candidates(root, "--region", "")}
    assert got["us-east-1"] == "US East (N. Virginia)"
    assert "eu-west-1" in got and "cn-north-1" in got
    assert values(root, SERVICE, INVOKE, "--region", "eu-west-") == [
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
    ]


def test_profiles_from_the_config_files(root, tmp_path, monkeypatch):
    config, credentials = write_aws_config(tmp_path)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    got = candidates(root, "--profile", "")
    assert [(c.value, c.description) for c in got] == [
        ("ci", ""),
        ("default", "region us-east-1"),
        ("dev", "region eu-west-1"),
        ("staging", ""),
    ]
    assert values(root, SERVICE, INVOKE, "--endpoint-name", "e", "--profile", "d") == [
        "default",
        "dev",
    ]
    assert values(root, "--profile=s") == ["--profile=staging"]


def test_no_profiles_without_config_files(root, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "missing"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "missing-too"))
    assert values(root, "--profile", "") == []


def test_a_broken_config_file_gives_no_profiles(root, tmp_path, monkeypatch):
    config = tmp_path / "config"
    config.write_text("[default\nregion = \x00 us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "missing"))
    assert values(root, "--profile", "") == []


def test_endpoint_names_from_a_running_serve(root, serve):
    line = (SERVICE, INVOKE, "--endpoint-name")
    got = candidates(root, "--endpoint-url", serve.url, *line, "")
    assert [(c.value, c.description) for c in got] == [
        ("alpha", "model echo, backlog 0"),
        ("beta", "model echo, backlog 0"),
    ]
    assert values_at(root, 3, *line, "a", "--endpoint-url", serve.url) == ["alpha"]
    assert values(root, f"--endpoint-url={serve.url}/", *line, "") == ["alpha", "beta"]
    localhost = serve.url.replace("127.0.0.1", "localhost")
    assert values(root, SERVICE, INVOKE, "--endpoint-url", localhost, "--endpoint-name=b") == [
        "--endpoint-name=beta"
    ]


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", "AWS_ENDPOINT_URL"])
def test_endpoint_names_with_the_url_in_the_environment(root, serve, variable):
    line = (SERVICE, INVOKE, "--endpoint-name", "")
    assert values(root, *line, environ={variable: serve.url}) == ["alpha", "beta"]
    off = {variable: serve.url, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}
    assert values(root, *line, environ=off) == []


def test_the_url_on_the_line_wins_over_the_environment(root, serve):
    environ = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{closed_port()}"}
    line = ("--endpoint-url", serve.url, SERVICE, INVOKE, "--endpoint-name", "")
    assert values(root, *line, environ=environ) == ["alpha", "beta"]


def test_no_endpoint_names_without_a_local_serve(root):
    line = (SERVICE, INVOKE, "--endpoint-name", "")
    assert values(root, *line) == []
    assert values(root, "--endpoint-url", f"http://127.0.0.1:{closed_port()}", *line) == []
    assert values(root, "--endpoint-url", "not a url", *line) == []
    assert values(root, "--endpoint-url", "http://127.0.0.1:99999", *line) == []


def test_only_loopback_urls_are_contacted():
    assert engine.loopback_addresses("http://127.0.0.1:8080") == [("127.0.0.1", 8080)]
    assert engine.loopback_addresses("http://127.1.2.3:80/x") == [("127.1.2.3", 80)]
    assert engine.loopback_addresses("http://[::1]:8080") == [("::1", 8080)]
    assert engine.loopback_addresses("http://LOCALHOST:9") == [("127.0.0.1", 9), ("::1", 9)]
    for url in (
        "http://10.0.0.1:8080",
        "http://192.0.2.1",
        "http://example.com:8080",
        "http://localhost.example.com",
        "http://127.0.0.1.nip.io",
        "https://127.0.0.1:8080",
        "file:///etc/passwd",
        "127.0.0.1:8080",
    ):
        assert engine.loopback_addresses(url) == [], url


class _StatusHandler(http.server.BaseHTTPRequestHandler):
    replies: dict[str, tuple[int, bytes]] = {}

    def do_GET(self):  # noqa: N802 - http.server's name
        status, body = self.replies.get(self.path, (404, b""))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def status_server() -> Iterator[str]:
    """A loopback server whose /_status pages are broken in various ways."""
    _StatusHandler.replies = {
        "/garbage/_status": (200, b"<html>not json"),
        "/error/_status": (500, b'{"Endpoints": {"x": {}}}'),
        "/list/_status": (200, b'{"Endpoints": ["x"]}'),
        "/odd/_status": (200, b'{"Endpoints": {"odd": 1}}'),
    }
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _StatusHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_broken_status_page_gives_no_names(root, status_server):
    line = (SERVICE, INVOKE, "--endpoint-name", "")
    for path in ("/garbage", "/error", "/list", "/missing"):
        assert values(root, "--endpoint-url", status_server + path, *line) == [], path
    assert values(root, "--endpoint-url", status_server + "/odd", *line) == ["odd"]


# -- what the shells read ------------------------------------------------------------------
C = engine.Candidate


def test_bash_replies_replace_only_the_text_after_a_word_break():
    json_ = [C("--output=json"), C("--output=text")]
    assert engine.format_bash(json_, "--output=") == ["json ", "text "]
    assert engine.format_bash([C("file://a b/", partial=True)], "file://a") == ["//a\\ b/"]
    assert engine.format_bash([C("file://a b/", partial=True)], "'file://a") == ["file://a b/"]
    assert engine.format_bash([C("--x=a:b")], "--x=a:") == ["b "]
    assert engine.format_bash([C("--x=a:b")], "--x=a:", wordbreaks=" ") == ["--x=a:b "]
    assert engine.format_bash([C("it's$x")], "") == ["it\\'s\\$x "]
    default_breaks = " \t\n\"'><=;|&(:"
    got = engine.format_bash([C("file://my dir/x.bin")], "file://my\\ dir/x", default_breaks)
    assert got == ["//my\\ dir/x.bin "]  # an escaped blank is no word break
    got = engine.format_bash([C("--body=file://a b/", partial=True)], '--body="file://a')
    assert got == ["file://a b/"]  # the text after the quote opened in the word


def test_bash_words_are_put_back_together():
    words = ["sagemaker-async", "--output", "=", "js"]
    line = "sagemaker-async --output=js"
    assert engine.bash_words(words, 3, line, len(line)) == (
        ["sagemaker-async", "--output=js"],
        1,
        "--output=js",
    )
    words = ["sagemaker-async", "--body", "file", ":", "//my\\ d"]
    line = "sagemaker-async --body file://my\\ d"
    assert engine.bash_words(words, 4, line, len(line)) == (
        ["sagemaker-async", "--body", "file://my d"],
        2,
        "file://my\\ d",
    )
    words = ["sagemaker-async", "--output", ""]  # Tab after a blank
    assert engine.bash_words(words, 2, "sagemaker-async --output ", 25)[:2] == (
        ["sagemaker-async", "--output", ""],
        2,
    )
    words = ["sagemaker-async", "--outp", "--debug"]  # the cursor inside the first option
    assert engine.bash_words(words, 1, "sagemaker-async --outp --debug", 20)[:2] == (
        ["sagemaker-async", "--ou", "--debug"],
        1,
    )
    assert engine.bash_words(["a", "b"], 1, None, None) == (["a", "b"], 1, "b")


def test_zsh_and_fish_lines():
    got = [C("file://a:b/", partial=True), C("--output", "Output format.")]
    assert engine.format_zsh(got) == ["N\tfile\\://a\\:b/", "S\t--output:Output format."]
    assert engine.format_fish(got) == ["file://a:b/", "--output\tOutput format."]


def test_unquote_word():
    assert engine.unquote_word("'a b'") == "a b"
    assert engine.unquote_word('"a \\"b\\" $x') == 'a "b" $x'
    assert engine.unquote_word("a\\ b") == "a b"
    assert engine.unquote_word("'open") == "open"


# == the commands, through the real entry point ==============================================
def test_complete_command_prints_one_candidate_a_line(aws_home):
    result = run_cli(["__complete", "fish", "2", "--", PROG, SERVICE, "inv"], aws_home)
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().splitlines()[0].startswith(f"{INVOKE}\tAfter you deploy")
    assert result.stderr == b""


@pytest.mark.parametrize(
    "args",
    [
        ["__complete"],
        ["__complete", "ksh", "1", "--", PROG, ""],
        ["__complete", "bash", "x", "--", PROG, ""],
        ["__complete", "zsh", "9", "--", PROG, ""],
        ["__complete", "zsh", "0", "--"],
    ],
)
def test_complete_command_never_fails(aws_home, args):
    result = run_cli(args, aws_home)
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")


def test_complete_command_is_quiet_when_a_lookup_fails(aws_home, status_server):
    args = ["__complete", "bash", "6", "--", PROG, "--endpoint-url", status_server + "/garbage"]
    result = run_cli([*args, SERVICE, INVOKE, "--endpoint-name", ""], aws_home)
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")


def test_the_hidden_command_is_not_in_help(aws_home):
    result = run_cli(["help"], aws_home)
    assert result.returncode == 0
    assert b"o completion" in result.stdout
    assert b"__complete" not in result.stdout


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_the_script(aws_home, shell):
    result = run_cli(["completion", shell], aws_home)
    assert result.returncode == 0
    script = result.stdout.decode()
    assert f"{PROG} __complete {shell}" in script
    assert f"completion {shell}" in script  # the install line is in the script itself


def test_completion_usage_errors_are_one_line(aws_home):
    result = run_cli(["completion", "ksh"], aws_home)
    assert result.returncode == 252
    assert result.stderr.decode().count("\n") == 1
    assert result.stderr.startswith(b"sagemaker-async completion: error: ")


def test_the_docs_give_the_install_commands():
    text = (REPO / "docs" / "completion.md").read_text()
    assert INSTALL["bash"] in text
    assert INSTALL["zsh"] in text
    assert INSTALL["fish"] in text


def test_completing_does_not_load_client_machinery(aws_home):
    for words in ([PROG, SERVICE, INVOKE, "--"], [PROG, "--output", ""], [PROG, "--region", ""]):
        modules = loaded_modules(["__complete", "zsh", str(len(words) - 1), "--", *words], aws_home)
        assert "sagemaker_async.cli.completion" in modules  # it did complete
        assert not [m for m in HEAVY if m in modules], words


AUDIT_HOOK = """
events = []
def hook(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname"):
        events.append([event, repr(args)])
        if not any(host in repr(args) for host in ("'127.", "'::1'", "'localhost'")):
            raise PermissionError("the test refuses anything but loopback")
sys.addaudithook(hook)
"""


def audited(args: list[str], env: dict[str, str]) -> tuple[str, list[list[str]]]:
    """Run the CLI with an audit hook: (stdout, the socket events it caused)."""
    return probe_cli(args, env, "events", before=AUDIT_HOOK)


@pytest.mark.parametrize(
    "url",
    ["http://192.0.2.1:8080", "http://example.com", "https://127.0.0.1:1", "http://localhost.x"],
)
def test_no_other_address_is_ever_contacted(aws_home, url):
    words = [PROG, "--endpoint-url", url, SERVICE, INVOKE, "--endpoint-name", ""]
    out, events = audited(["__complete", "bash", "6", "--", *words], aws_home)
    assert out == ""
    assert events == []


def test_localhost_is_not_looked_up(aws_home):
    url = f"http://localhost:{closed_port()}"
    words = [PROG, "--endpoint-url", url, SERVICE, INVOKE, "--endpoint-name", ""]
    out, events = audited(["__complete", "bash", "6", "--", *words], aws_home)
    assert out == ""
    assert events  # it tried, on loopback addresses only
    assert all("'127.0.0.1'" in args or "'::1'" in args for _, args in events), events


def test_endpoint_names_through_the_cli(aws_home, serve):
    words = [PROG, SERVICE, INVOKE, "--endpoint-name", "", "--endpoint-url", serve.url]
    out, events = audited(["__complete", "fish", "4", "--", *words], aws_home)
    assert out.splitlines() == ["alpha\tmodel echo, backlog 0", "beta\tmodel echo, backlog 0"]
    port = serve.url.rsplit(":", 1)[1]
    assert [e for e in events if e[0] == "socket.connect"]
    assert all("127.0.0.1" in args and port in args for _, args in events), events


# == the real shells =========================================================================


@pytest.fixture
def shell_env(tmp_path: Path, files: Path) -> dict[str, str]:
    """An environment where `sagemaker-async` is this checkout and `record ARGS…` appends
    ``[arg]…`` lines to $RECORD; HOME, config files and the working directory are temporary."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / PROG
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m sagemaker_async "$@"\n')
    record = bin_dir / "record"
    record.write_text(RECORD)
    for script in (wrapper, record):
        script.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    config, credentials = write_aws_config(tmp_path)
    return {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
        "PYTHONPATH": CHILD_PYTHONPATH,
        "HOME": str(home),
        "ZDOTDIR": str(home),
        "HISTFILE": str(home / "history"),
        "INPUTRC": os.devnull,  # readline's defaults, not the machine's /etc/inputrc
        "TERM": "dumb",
        "LANG": "C.UTF-8",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "RECORD": str(tmp_path / "record.txt"),
        "COMPLOG": str(tmp_path / "compadd.txt"),
    }


# -- bash ----------------------------------------------------------------------------------


def test_bash_registers_the_function(shell_env, files):
    _, registered = bash_complete(shell_env, files, f"{PROG} ")
    assert registered.strip() == f"complete -o nospace -F _sagemaker_async_complete {PROG}"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f"{PROG} ", ["completion ", "sagemaker-runtime ", "serve ", "help "]),
        (f"{PROG} sagemaker-r", ["sagemaker-runtime "]),
        (f"{PROG} {SERVICE} {INVOKE} --endpoint-n", ["--endpoint-name "]),
        (f"{PROG} --out", ["--output "]),
        (f"{PROG} --output=js", ["json "]),
        (f"{PROG} --output=", ["json ", "text ", "table ", "yaml ", "yaml-stream ", "off "]),
        (f"{PROG} --color ", ["on ", "off ", "auto "]),
        (f"{PROG} --cli-binary-format r", ["raw-in-base64-out "]),
        (f"{PROG} --cli-error-format=ya", ["yaml "]),
        (f"{PROG} {SERVICE} {INVOKE} --body f", ["file://", "fileb://"]),
        (
            f"{PROG} {SERVICE} {INVOKE} --body file://",
            ["//my\\ dir/", "//payload.json ", "//requests/"],
        ),
        (f"{PROG} {SERVICE} {INVOKE} --body file://requests/o", ["//requests/one.json "]),
        (f"{PROG} {SERVICE} {INVOKE} --body=fileb://requests/t", ["//requests/two.json "]),
        (f"{PROG} --profile d", ["default ", "dev "]),
        (f"{PROG} serve --data-dir m", ["my\\ dir/"]),
        (f"{PROG} completion ", ["bash ", "zsh ", "fish "]),
        # issue 12 #5: the workflow options' values are file names
        (f"{PROG} {SERVICE} {INVOKE} --payload pay", ["payload.json "]),
        (f"{PROG} {SERVICE} {INVOKE} --download requests/t", ["requests/two.json "]),
        (f"{PROG} {SERVICE} batch --requests req", ["requests/"]),
        (f"{PROG} {SERVICE} wait --download my", ["my\\ dir/"]),
    ],
)
def test_bash_through_comp_words(shell_env, files, line, expected):
    assert bash_complete(shell_env, files, line)[0] == expected


def test_bash_endpoint_names_through_comp_words(shell_env, files, serve):
    line = f"{PROG} --endpoint-url {serve.url} {SERVICE} {INVOKE} --endpoint-name "
    assert bash_complete(shell_env, files, line)[0] == ["alpha ", "beta "]
    line = f"{PROG} {SERVICE} {INVOKE} --endpoint-url={serve.url} --endpoint-name=b"
    assert bash_complete(shell_env, files, line)[0] == ["beta "]


def test_bash_readline_inserts_the_completions(shell_env, files, serve):
    require("bash")
    keys = (
        typed(
            f"{PROG} --output=js<TAB>",
            f"{PROG} {SERVICE} inv<TAB>--endpoint-n<TAB>e --cli-input-json file://my<TAB>x<TAB>",
            f'{PROG} {SERVICE} {INVOKE} --body "file://my<TAB>x<TAB>',
            f"{PROG} --endpoint-url {serve.url} {SERVICE} {INVOKE} --endpoint-name al<TAB>",
            f"{PROG} ser<TAB>--data-d<TAB>req<TAB>",
            f"{PROG} --profile st<TAB>",
            f"{PROG} {SERVICE} {INVOKE} --payload pay<TAB>",
        )
        + "exit\r"
    )
    shown = in_terminal(BASH, BASH_SETUP, keys, shell_env, files)
    assert recorded(shell_env) == [
        [PROG, "--output=json"],
        [PROG, SERVICE, INVOKE, "--endpoint-name", "e", "--cli-input-json", "file://my dir/x.bin"],
        [PROG, SERVICE, INVOKE, "--body", "file://my dir/x.bin"],
        [PROG, "--endpoint-url", serve.url, SERVICE, INVOKE, "--endpoint-name", "alpha"],
        [PROG, "serve", "--data-dir", "requests/"],
        [PROG, "--profile", "staging"],
        [PROG, SERVICE, INVOKE, "--payload", "payload.json"],
    ], shown


# -- zsh -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f"{PROG} ", ["completion", "help", "sagemaker-runtime", "serve"]),
        (f"{PROG} --output=y", ["--output=yaml", "--output=yaml-stream"]),
        (f"{PROG} --color ", ["on", "off", "auto"]),
        (f"{PROG} {SERVICE} {INVOKE} --body file://re", ["file://requests/"]),
        (f"{PROG} {SERVICE} {INVOKE} --body 'file://my d", ["file://my dir/"]),
        (f"{PROG} --profile ", ["ci", "default", "dev", "staging"]),
        (f"{PROG} completion ", ["bash", "zsh", "fish"]),
    ],
)
def test_zsh_offers(shell_env, files, line, expected):
    assert sorted(zsh_offers(shell_env, files, line)) == sorted(expected)


def test_zsh_offers_options_with_descriptions(shell_env, files):
    offered = zsh_offers(shell_env, files, f"{PROG} {SERVICE} {INVOKE} --endpoint-")
    assert sorted(offered) == ["--endpoint-name", "--endpoint-url"]


def test_zsh_endpoint_names(shell_env, files, serve):
    line = f"{PROG} --endpoint-url {serve.url} {SERVICE} {INVOKE} --endpoint-name "
    assert sorted(zsh_offers(shell_env, files, line)) == ["alpha", "beta"]


def test_zsh_line_editor_inserts_the_completions(shell_env, files, serve):
    require("zsh")
    keys = (
        typed(
            f"{PROG} --output=js<TAB>",
            f"{PROG} {SERVICE} inv<TAB>--endpoint-n<TAB>e --cli-input-json file://my<TAB>x<TAB>",
            f"{PROG} {SERVICE} {INVOKE} --body 'file://my<TAB>x<TAB>",
            f"{PROG} --endpoint-url {serve.url} {SERVICE} {INVOKE} --endpoint-name al<TAB>",
        )
        + "exit\r"
    )
    shown = in_terminal(ZSH, ZSH_SETUP, keys, shell_env, files)
    assert recorded(shell_env) == [
        [PROG, "--output=json"],
        [PROG, SERVICE, INVOKE, "--endpoint-name", "e", "--cli-input-json", "file://my dir/x.bin"],
        [PROG, SERVICE, INVOKE, "--body", "file://my dir/x.bin"],
        [PROG, "--endpoint-url", serve.url, SERVICE, INVOKE, "--endpoint-name", "alpha"],
    ], shown


def test_zsh_from_a_file_in_fpath(shell_env, files):
    """The other install: the script saved as _sagemaker-async in a folder on $fpath."""
    require("zsh")
    setup = (
        "mkdir -p ~/.zfunc && sagemaker-async completion zsh > ~/.zfunc/_sagemaker-async\r"
        "fpath=(~/.zfunc $fpath); autoload -Uz compinit && compinit -u -D\r"
    )
    keys = typed(f"{PROG} --cli-binary<TAB>") + "exit\r"
    shown = in_terminal(ZSH, setup, keys, shell_env, files)
    assert recorded(shell_env) == [[PROG, "--cli-binary-format"]], shown


# -- fish ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f"{PROG} ", ["completion", "help", "sagemaker-runtime", "serve"]),
        (f"{PROG} --output=y", ["--output=yaml", "--output=yaml-stream"]),
        (f"{PROG} --color ", ["auto", "off", "on"]),
        (f"{PROG} {SERVICE} {INVOKE} --cli-error-format t", ["table", "text"]),
        (f"{PROG} {SERVICE} {INVOKE} --body file://re", ["file://requests/"]),
        (f"{PROG} {SERVICE} {INVOKE} --body file://my\\ d", ["file://my dir/"]),
        (f"{PROG} {SERVICE} {INVOKE} --body 'file://my dir/", ["file://my dir/x.bin"]),
        (f"{PROG} --profile d", ["default", "dev"]),
        (f"{PROG} completion ", ["bash", "fish", "zsh"]),
    ],
)
def test_fish_offers(shell_env, files, line, expected):
    offered = sorted(value for value, _ in fish_offers(shell_env, files, line))
    assert offered == sorted(expected)


def test_fish_offers_the_operations_of_the_tree(root, shell_env, files):
    service = sub(root, SERVICE)
    expected = sorted([*(n for n, c in commands_of(service).items() if not c.hidden), "help"])
    offered = fish_offers(shell_env, files, f"{PROG} {SERVICE} ")
    assert sorted(value for value, _ in offered) == expected


def test_fish_shows_descriptions(shell_env, files):
    offered = dict(fish_offers(shell_env, files, f"{PROG} {SERVICE} {INVOKE} --endpoint-n"))
    assert offered["--endpoint-name"].startswith("(required) The name of the endpoint")
    offered = dict(fish_offers(shell_env, files, f"{PROG} --profile "))
    assert offered["dev"] == "region eu-west-1"


def test_fish_endpoint_names(shell_env, files, serve):
    line = f"{PROG} {SERVICE} {INVOKE} --endpoint-url {serve.url} --endpoint-name "
    assert fish_offers(shell_env, files, line) == [
        ("alpha", "model echo, backlog 0"),
        ("beta", "model echo, backlog 0"),
    ]
