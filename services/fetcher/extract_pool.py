"""Runs ``extract_page`` in a process pool so CPU-bound extraction never blocks polling.

``workers=0`` runs it in a thread instead (tests, tiny deployments). A broken pool (a worker killed
by the OOM killer, say) is replaced and the page retried once. A page that takes longer than
``timeout`` (a parser stuck on hostile HTML) raises ``ExtractionTimeout`` and the pool is replaced:
its workers are killed, since a stuck worker would otherwise hold its core and its slot for good.
Pages in flight on the old pool are retried on the new one.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
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


def _processes(executor: Executor) -> list[multiprocessing.Process]:
    """The worker processes of a process pool (none for the thread executor)."""
    return list((getattr(executor, "_processes", None) or {}).values())


class ExtractionTimeout(Exception):
    """A page took longer than the pool's timeout; the workers were replaced."""


Extractor = Callable[[PageInput], ExtractedPage]


class ExtractPool:
    """``await pool.extract(page)`` -> ``ExtractedPage``; ``timeout`` bounds one page.
    ``function`` (a module-level function, picklable) is ``extract_page`` except in tests."""

    def __init__(self, workers: int, timeout: float = 60.0, function: Extractor = extract_page) -> None:
        self.workers, self.timeout, self.function = workers, timeout, function
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
            executor = self._executor
            try:
                result = await asyncio.wait_for(
                    loop.run_in_executor(executor, self.function, page), self.timeout
                )
            except BrokenProcessPool:
                if attempt == 2:
                    raise
                if executor is self._executor:  # not yet replaced by another page's failure
                    log.error("extraction worker pool broke; starting a new one")
                    self._replace()
                continue
            except TimeoutError:
                log.error(
                    "extraction of %s took over %.0fs; killing the extraction workers", page.url, self.timeout
                )
                if executor is self._executor:
                    self._replace(kill=True)
                raise ExtractionTimeout(f"extraction took over {self.timeout:.0f}s") from None
            metrics.EXTRACT_SECONDS.observe(result.seconds)
            return result
        raise AssertionError("unreachable")

    def _replace(self, *, kill: bool = False) -> None:
        old = self._executor
        self._executor = self._new_executor()
        processes = _processes(old)
        old.shutdown(wait=False, cancel_futures=True)
        if kill:
            for process in processes:
                if process.is_alive():
                    process.kill()

    def pids(self) -> list[int]:
        """Worker process ids (for memory reporting)."""
        return [int(p.pid) for p in _processes(self._executor) if p.pid is not None]

    async def stop(self, grace: float = 5.0) -> None:
        """Stop the workers (pending pages are cancelled); a worker still busy after ``grace``
        seconds (stuck on a page) is killed instead of holding up the shutdown."""
        processes = _processes(self._executor)
        self._executor.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + grace
        for process in processes:
            while process.is_alive() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            if process.is_alive():
                log.warning("extraction worker %s still busy at shutdown; killing it", process.pid)
                process.kill()
