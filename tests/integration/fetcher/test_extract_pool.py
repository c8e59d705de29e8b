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
    if "raise" in page.url:
        raise ValueError(f"parser failed on {page.url}")
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


async def test_an_error_in_the_worker_reaches_the_caller_and_the_worker_goes_on() -> None:
    pool = ExtractPool(1, timeout=30.0, function=stuck_or_extract)
    await pool.start()
    try:
        [pid] = pool.pids()
        with pytest.raises(ValueError, match=r"parser failed on http://x\.test/raise"):
            await pool.extract(PageInput("http://x.test/raise", GOOD))
        page = await pool.extract(PageInput("http://x.test/good", GOOD))
        assert "inspected at the port" in page.text
        assert pool.pids() == [pid]  # an exception is an answer, not a dead worker
    finally:
        await pool.stop()
    with pytest.raises(RuntimeError, match="stopped"):
        await pool.extract(PageInput("http://x.test/good", GOOD))


async def test_pages_queue_for_busy_workers_and_a_caller_may_give_up_waiting() -> None:
    pool = ExtractPool(1, timeout=30.0, function=stuck_or_extract)
    await pool.start()
    try:
        first = asyncio.create_task(pool.extract(PageInput("http://x.test/good1", GOOD)))
        abandoned = asyncio.create_task(pool.extract(PageInput("http://x.test/good2", GOOD)))
        last = asyncio.create_task(pool.extract(PageInput("http://x.test/good3", GOOD)))
        await asyncio.sleep(0)
        abandoned.cancel()
        pages = await asyncio.wait_for(asyncio.gather(first, last), 30)
        assert all("inspected" in p.text for p in pages)
        assert abandoned.cancelled()
    finally:
        await pool.stop()
