"""Unit tests use no sockets: any attempt to connect, bind or resolve a host name fails the test.

Unix-domain socket pairs stay allowed (asyncio's event loop uses one to wake itself).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest


class SocketUsedInUnitTest(RuntimeError):
    """A unit test tried to use the network."""


def _is_ip_literal(host: Any) -> bool:
    if host is None:
        return True
    try:
        ipaddress.ip_address(host.decode() if isinstance(host, bytes) else str(host))
        return True
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _no_sockets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real_connect, real_bind = socket.socket.connect, socket.socket.bind

    def guard(real: Any) -> Any:
        def checked(self: socket.socket, *args: Any) -> Any:
            if self.family == socket.AF_UNIX:
                return real(self, *args)
            raise SocketUsedInUnitTest(f"unit tests must not open sockets ({real.__name__} {args!r})")

        return checked

    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_ip_literal(host):
            raise SocketUsedInUnitTest(f"unit tests must not resolve host names ({host!r})")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guard(real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guard(socket.socket.connect_ex))
    monkeypatch.setattr(socket.socket, "bind", guard(real_bind))
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield
