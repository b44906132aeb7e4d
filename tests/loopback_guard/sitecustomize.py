"""Loaded (through PYTHONPATH) by every Python program the tests start — our CLI, ``serve``,
the real AWS CLI in the differential run: a name lookup or a connection to anything but
loopback is refused inside the process, before a packet can leave the machine."""

from __future__ import annotations

import ipaddress
import sys

_NAMES = {"localhost", "localhost.", "ip6-localhost", "ip6-loopback"}
_EVENTS = {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex"}


def _is_loopback(host: object) -> bool:
    if host is None or host in ("", b""):
        return True  # the local host's own wildcard (a bind), never a remote peer
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    host = host.strip("[]").split("%")[0]
    if host.lower() in _NAMES:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def _guard(event: str, args: tuple) -> None:
    if event in _EVENTS:
        host = args[0]
    elif event == "socket.connect":
        address = args[1]
        if not isinstance(address, tuple):
            return  # a Unix socket
        host = address[0]
    else:
        return
    if not _is_loopback(host):
        raise PermissionError(f"tests reach loopback only: {host!r} refused")


sys.addaudithook(_guard)
