"""``sagemaker-async completion SHELL`` and the hidden ``__complete`` the scripts call.

Only click is imported here: ``__complete`` runs on every Tab, so the engine
(:mod:`sagemaker_async.cli.completion`) and the scripts are imported when a command runs.
Usage errors, ``help`` and ``-h`` are the tree's (cli/core.py) and errors.py's.
"""

from __future__ import annotations

import os
import sys

import click

SHELLS = ("bash", "zsh", "fish")


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the shell completion script for bash, zsh or fish.

    \b
    bash:  eval "$(sagemaker-async completion bash)"    in ~/.bashrc
    zsh:   eval "$(sagemaker-async completion zsh)"     in ~/.zshrc, after compinit
    fish:  mkdir -p ~/.config/fish/completions &&
           sagemaker-async completion fish > ~/.config/fish/completions/sagemaker-async.fish
    """
    from sagemaker_async.cli.completion_scripts import SCRIPTS

    sys.stdout.write(SCRIPTS[shell])
    sys.stdout.flush()


@click.command(
    "__complete",
    hidden=True,
    add_help_option=False,
    context_settings={"ignore_unknown_options": True},
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def complete_words(args: tuple[str, ...]) -> None:
    """``__complete SHELL CWORD -- WORDS…``: the candidates for WORDS[CWORD], one a line.

    WORDS are the words of the command line as the shell has them, the program name first;
    CWORD is the index of the word being completed. For bash, COMP_LINE, COMP_POINT and
    COMP_WORDBREAKS in the environment tell how COMP_WORDS were split. Never an error: on
    any failure it prints nothing and exits 0.
    """
    from sagemaker_async.cli.tree import build_tree

    try:
        lines = _candidate_lines(build_tree(), list(args))
    except Exception:  # a Tab must never print a traceback
        return
    if lines:
        out = "".join(line + "\n" for line in lines)
        sys.stdout.buffer.write(out.encode("utf-8", "surrogateescape"))
        sys.stdout.flush()


def _candidate_lines(root: click.Group, args: list[str]) -> list[str]:
    if len(args) < 2 or args[0] not in SHELLS or not args[1].isdigit():
        return []
    from sagemaker_async.cli import completion as engine

    shell, cword, words = args[0], int(args[1]), args[2:]  # click has dropped the "--"
    raw_current = ""
    if shell == "bash":
        point = os.environ.get("COMP_POINT", "")
        words, cword, raw_current = engine.bash_words(
            words, cword, os.environ.get("COMP_LINE"), int(point) if point.isdigit() else None
        )
    elif shell == "fish" and cword < len(words):
        # `commandline -opc` unescapes the words before the cursor, not `-ct` the current one.
        words[cword] = engine.unquote_word(words[cword])
    if not 1 <= cword <= len(words):
        return []
    candidates = engine.complete(root, words[1:], cword - 1)
    if shell == "bash":
        breaks = os.environ.get("COMP_WORDBREAKS", engine.BASH_WORDBREAKS)
        return engine.format_bash(candidates, raw_current, breaks)
    if shell == "zsh":
        return engine.format_zsh(candidates)
    return engine.format_fish(candidates)
