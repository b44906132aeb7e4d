"""A botocore data loader that remembers, across runs, botocore's service listing.

Every ``create_client`` makes botocore list its ~450 service folders twice (to check that the
service exists). This loader keeps the listing in a marshal file under the user's cache
folder, keyed by botocore's version and the search path, and invalidated when a search-path
folder changes (adding or removing a model changes its folder's mtime). Everything else is
botocore's own loader; if the cache cannot be read or written, it is simply not used.

Caching ``endpoints.json`` too was measured and dropped: marshal reads it back only ~3 ms
faster than botocore parses the JSON (21.5 vs 24.6 ms on the loaded 2-core CI machine).
"""

from __future__ import annotations

import hashlib
import marshal
import os
from typing import Any

import botocore
from botocore.loaders import Loader

from sagemaker_async.request.service_model import cache_dir, write_cache

# Part of every cache key: bump it when what is stored under a key changes shape.
CACHE_FORMAT = "3"


class CachingLoader(Loader):
    """botocore's Loader with a persistent cache for service listings."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._memo: dict[str, Any] = {}

    def _cache_path(self, kind: str) -> str | None:
        try:
            stamps = [
                f"{p}:{os.stat(p).st_mtime_ns}" for p in self.search_paths if os.path.isdir(p)
            ]
        except OSError:
            return None
        key = "\n".join([CACHE_FORMAT, botocore.__version__, kind, *stamps]).encode()
        return os.path.join(cache_dir(), hashlib.sha256(key).hexdigest()[:32] + ".marshal")

    def _remembered(self, kind: str, compute: Any) -> Any:
        if kind in self._memo:
            return self._memo[kind]
        path = self._cache_path(kind)
        value = _read(path) if path else None
        if value is None:
            value = _plain(compute())
            if path:
                write_cache(path, value)
        self._memo[kind] = value
        return value

    def list_available_services(self, type_name: str) -> list[str]:
        return self._remembered(
            f"services/{type_name}",
            lambda: super(CachingLoader, self).list_available_services(type_name),
        )


def _plain(value: Any) -> Any:
    """botocore parses JSON into OrderedDicts, which marshal cannot store; dicts keep order."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _read(path: str) -> Any:
    try:
        with open(path, "rb") as f:
            return marshal.load(f)
    except (OSError, EOFError, ValueError, TypeError):
        return None


def install(session: Any) -> None:
    """Make ``session`` use the caching loader (same search path as botocore's own)."""
    from botocore.exceptions import ProfileNotFound

    try:
        data_path = session.get_config_variable("data_path")
    except ProfileNotFound:  # reported by botocore when it first needs the profile, in order
        data_path = None
    extra = data_path.split(os.pathsep) if data_path else []
    session.register_component("data_loader", CachingLoader(extra_search_paths=extra))
