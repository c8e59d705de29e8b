"""Runs ``extract_page`` in a process pool so CPU-bound extraction never blocks polling.

``workers=0`` runs it in a thread instead (tests, tiny deployments). A broken pool (a worker killed
by the OOM killer, say) is replaced and the page retried once.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from services.fetcher import metrics
from services.fetcher.extraction import ExtractedPage, PageInput, extract_page, warm_up
from shared.logs import get_logger

log = get_logger(__name__)

_MATH_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def single_threaded_math() -> None:
    """One BLAS thread per process. py3langid multiplies with numpy; OpenBLAS would start a
    spinning thread per core in every worker, and N workers x N cores of spinners made extraction
    2-3x slower on a 2-core machine. Must run before numpy is imported (worker start, ``__main__``)."""
    for name in _MATH_THREAD_VARS:
        os.environ.setdefault(name, "1")


def _worker_init() -> None:
    single_threaded_math()
    # Ctrl-C reaches the whole process group: the parent shuts the pool down in order, so workers
    # ignore SIGINT instead of dying mid-page with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class ExtractPool:
    """``await pool.extract(page)`` -> ``ExtractedPage``; ``timeout`` bounds one page."""

    def __init__(self, workers: int, timeout: float = 60.0) -> None:
        self.workers, self.timeout = workers, timeout
        self._executor: Executor = self._new_executor()

    def _new_executor(self) -> Executor:
        if self.workers <= 0:
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix="extract")
        # spawn, not fork: the parent has an event loop and client sockets that must not be cloned.
        return ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init
        )

    async def start(self) -> None:
        """Start the workers and import trafilatura in each before the first page arrives."""
        loop = asyncio.get_running_loop()
        count = max(1, self.workers)
        await asyncio.gather(*(loop.run_in_executor(self._executor, warm_up) for _ in range(count)))

    async def extract(self, page: PageInput) -> ExtractedPage:
        """Extract one page in a worker."""
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            try:
                result = await asyncio.wait_for(
                    loop.run_in_executor(self._executor, extract_page, page), self.timeout
                )
            except BrokenProcessPool:
                if attempt == 2:
                    raise
                log.error("extraction worker pool broke; starting a new one")
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = self._new_executor()
                continue
            metrics.EXTRACT_SECONDS.observe(result.seconds)
            return result
        raise AssertionError("unreachable")

    def pids(self) -> list[int]:
        """Worker process ids (for memory reporting)."""
        processes = getattr(self._executor, "_processes", None) or {}
        return [int(pid) for pid in processes]

    async def stop(self) -> None:
        """Stop the workers (pending pages are cancelled)."""
        self._executor.shutdown(wait=True, cancel_futures=True)
