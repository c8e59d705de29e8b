"""The unit-test socket guard itself: opening a socket in a unit test fails."""

from __future__ import annotations

import socket

import pytest

from tests.unit.conftest import SocketUsedInUnitTest


def test_tcp_connect_is_refused() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, pytest.raises(SocketUsedInUnitTest):
        s.connect(("127.0.0.1", 9))


def test_bind_is_refused() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, pytest.raises(SocketUsedInUnitTest):
        s.bind(("127.0.0.1", 0))


def test_name_resolution_is_refused() -> None:
    with pytest.raises(SocketUsedInUnitTest):
        socket.getaddrinfo("example.org", 80)


async def test_event_loop_still_works() -> None:
    import asyncio

    await asyncio.sleep(0)
