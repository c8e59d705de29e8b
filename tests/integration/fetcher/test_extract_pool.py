"""The extraction pool with real worker processes: a stuck page is abandoned and its worker killed,
a crashed worker is replaced, and the pool keeps extracting."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from services.fetcher.extract_pool import ExtractionTimeout, ExtractPool
from services.fetcher.extraction import ExtractedPage, PageInput, extract_page

GOOD = (
    b"<html><body><article><h1>Title</h1>"
    + b"<p>The ministry said on Monday that the shipment had been inspected at the port.</p>" * 6
    + b"</article></body></html>"
)


def stuck_or_extract(page: PageInput) -> ExtractedPage:
    """Module level (picklable): 'stuck' pages never finish, 'crash' pages kill the worker."""
    if "stuck" in page.url:
        time.sleep(3600)
    if "crash" in page.url:
        os.kill(os.getpid(), signal.SIGKILL)
    return extract_page(page)


async def test_stuck_page_times_out_its_worker_is_killed_and_the_pool_goes_on() -> None:
    pool = ExtractPool(1, timeout=3.0, function=stuck_or_extract)
    await pool.start()
    try:
        [stuck_pid] = pool.pids()
        started = time.monotonic()
        with pytest.raises(ExtractionTimeout):
            await pool.extract(PageInput("http://x.test/stuck", GOOD))
        assert time.monotonic() - started < 10
        await asyncio.sleep(0.5)
        with pytest.raises(ProcessLookupError):
            os.kill(stuck_pid, 0)  # the stuck worker is gone, not left holding a core
        page = await pool.extract(PageInput("http://x.test/good", GOOD))
        assert "inspected at the port" in page.text
        assert stuck_pid not in pool.pids()
    finally:
        await pool.stop()


async def test_crashed_worker_is_replaced_and_other_pages_are_extracted() -> None:
    pool = ExtractPool(2, timeout=30.0, function=stuck_or_extract)
    await pool.start()
    try:
        results = await asyncio.gather(
            pool.extract(PageInput("http://x.test/crash", GOOD)),
            *(pool.extract(PageInput(f"http://x.test/good{n}", GOOD)) for n in range(4)),
            return_exceptions=True,
        )
        crashed, *good = results
        assert isinstance(crashed, Exception)  # the crashing page fails twice (retried once)
        assert all(isinstance(r, ExtractedPage) and "inspected" in r.text for r in good), good
    finally:
        await pool.stop()


async def test_stop_does_not_wait_for_a_stuck_worker() -> None:
    pool = ExtractPool(1, timeout=600.0, function=stuck_or_extract)
    await pool.start()
    task = asyncio.create_task(pool.extract(PageInput("http://x.test/stuck", GOOD)))
    await asyncio.sleep(1.0)
    [pid] = pool.pids()
    started = time.monotonic()
    await pool.stop(grace=1.0)
    assert time.monotonic() - started < 5
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await asyncio.sleep(0.3)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
