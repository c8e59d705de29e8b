"""Reliability tests run against the real Kafka and Redis from scripts/stack.sh (never mocks).

Fault tests that restart a broker start their own private stack (tests/reliability/support.py);
the shared stack on the default ports must be up for everything else.
"""

from __future__ import annotations

import pytest

from tests.kafka_helpers import missing_stack


@pytest.fixture(scope="session", autouse=True)
def _real_stack() -> None:
    missing = missing_stack()
    if missing:
        pytest.fail(f"{', '.join(missing)} not reachable: start the stack with `scripts/stack.sh up`")
