"""Stopping feeds: a poller that swallows a cancellation is cancelled again until it ends."""

from __future__ import annotations

import asyncio
from typing import Any

from services.fetcher.service import FetcherService
from services.fetcher.settings import FetcherSettings


async def test_stop_recancels_a_poller_that_swallows_one_cancel() -> None:
    service = FetcherService(FetcherSettings())
    swallowed = asyncio.Event()

    async def stubborn() -> None:
        try:
            await asyncio.sleep(100)
        except asyncio.CancelledError:
            swallowed.set()  # what a library deep inside a poll did once
        await asyncio.sleep(100)

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    fake: Any = (None, None, task)
    service.pollers["stubborn"] = fake
    await asyncio.wait_for(service._stop_pollers(["stubborn"]), 5)
    assert swallowed.is_set()
    assert task.cancelled()
    assert "stubborn" not in service.pollers
    await service.pool.stop(grace=0)
