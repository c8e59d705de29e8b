"""Fixtures for alerter integration tests: a uuid Redis prefix (cleaned up), a local receiver."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from shared.redis_store import connect
from tests.integration.alerter.receiver import Receiver
from tests.kafka_helpers import REDIS_URL


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    prefix = f"t-{uuid.uuid4().hex[:10]}:"
    yield prefix
    client = connect(REDIS_URL)
    try:
        keys = [k async for k in client.scan_iter(match=prefix + "*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    await r.start()
    yield r
    await r.stop()
