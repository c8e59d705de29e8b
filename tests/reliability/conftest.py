"""Reliability tests run against the real Kafka and Redis from scripts/stack.sh (never mocks).

Fault tests that restart a broker start their own private stack (tests/reliability/support.py);
the shared stack on the default ports must be up for everything else.
"""

from __future__ import annotations

import pytest

from tests.kafka_helpers import BOOTSTRAP, REDIS_URL, port_open


def _host_port(addr: str) -> tuple[str, int]:
    host, _, port = addr.rpartition(":")
    return host or "127.0.0.1", int(port)


@pytest.fixture(scope="session", autouse=True)
def _real_stack() -> None:
    kafka = _host_port(BOOTSTRAP)
    redis_addr = _host_port(REDIS_URL.split("//", 1)[1].split("/", 1)[0])
    missing = [name for name, addr in (("kafka", kafka), ("redis", redis_addr)) if not port_open(*addr)]
    if missing:
        pytest.fail(f"{', '.join(missing)} not reachable: start the stack with `scripts/stack.sh up`")
