"""The AWS config and credentials files as the AWS CLI reads them before any argument, without
importing botocore (help and skeletons must start without it).

The AWS CLI parses both files first, so a malformed one fails every command, ``--version``
and help included; and it reads ``cli_binary_format`` and ``cli_error_format`` from the
profile before botocore's session is built. This module does exactly that much, with the
same parser botocore uses (the standard library's ``RawConfigParser``), and nothing else:
everything else stays botocore's.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing costs start-up time; mypy reads this as typing.TYPE_CHECKING
if TYPE_CHECKING:
    from typing import Any

CONFIG = ("AWS_CONFIG_FILE", "~/.aws/config")
CREDENTIALS = ("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")


class ConfigFileError(Exception):
    """A config or credentials file that cannot be parsed (botocore's ConfigParseError)."""

    def __init__(self, path: str):
        super().__init__(f"Unable to parse config file: {path}")


class ProfileMissing(Exception):
    """A profile named by --profile, AWS_PROFILE or AWS_DEFAULT_PROFILE that no file has."""


def file_path(which: tuple[str, str]) -> str:
    variable, default = which
    return os.path.expanduser(os.path.expandvars(os.environ.get(variable, default)))


# Each file is parsed once a run (the config file is read again for each profile value);
# keyed by what the file is now, so a process that runs several command lines sees changes.
_parsed: dict[tuple[str, int, int, int], dict[str, dict[str, str]]] = {}


def read_sections(which: tuple[str, str]) -> dict[str, dict[str, str]]:
    """The file's sections ({} when there is no file); ConfigFileError when malformed."""
    path = file_path(which)
    if not os.path.isfile(path):
        return {}
    stat = os.stat(path)
    key = (path, stat.st_ino, stat.st_mtime_ns, stat.st_size)
    if key not in _parsed:
        _parsed[key] = _parse(path)
    return _parsed[key]


def _parse(path: str) -> dict[str, dict[str, str]]:
    import configparser

    parser = configparser.RawConfigParser()
    try:
        parser.read([path])
    except (configparser.Error, UnicodeDecodeError):
        raise ConfigFileError(path) from None
    sections = {name: dict(parser.items(name)) for name in parser.sections()}
    for values in sections.values():
        for value in values.values():
            # A nested block (``s3 =`` then indented ``key = value`` lines) needs its "=".
            if value.startswith("\n") and any(
                line.strip() and "=" not in line for line in value.split("\n")
            ):
                raise ConfigFileError(path)
    return sections


def check_files() -> None:
    """Parse the config and credentials files, as the AWS CLI does before anything else."""
    read_sections(CONFIG)
    read_sections(CREDENTIALS)


def profiles() -> dict[str, dict[str, str]]:
    """The config file's profiles: ``[default]`` and ``[profile NAME]`` sections."""
    import shlex

    found: dict[str, dict[str, str]] = {}
    for name, values in read_sections(CONFIG).items():
        if name == "default":
            found.setdefault("default", values)
            continue
        try:
            parts = shlex.split(name)
        except ValueError:
            continue
        if len(parts) == 2 and parts[0] == "profile":
            found[parts[1]] = values
    return found


def profile_value(profile: str | None, name: str, variable: str | None = None) -> Any:
    """A session variable as botocore resolves it: ``variable`` from the environment, else the
    profile's config value. A named profile that no file has raises ProfileMissing (botocore's
    ProfileNotFound); the default profile may be absent. --profile "" names no profile."""
    if variable is not None and variable in os.environ:
        return os.environ[variable]
    if not profile:
        profile = None
        for profile_variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            if profile_variable in os.environ:  # set but empty names the profile ""
                profile = os.environ[profile_variable]
                break
    known = profiles()
    if profile is None:
        return known.get("default", {}).get(name)
    if profile not in known and profile not in read_sections(CREDENTIALS):
        raise ProfileMissing(profile)
    return known.get(profile, {}).get(name)
