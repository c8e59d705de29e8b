"""Fixtures shared by the dedup integration tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from services.pipeline import clear_redis_prefix
from tests.kafka_helpers import REDIS_URL


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    """A fresh Redis key prefix; its keys are deleted afterwards."""
    name = f"test-dedup-{uuid.uuid4().hex[:10]}:"
    yield name
    await clear_redis_prefix(REDIS_URL, name)
