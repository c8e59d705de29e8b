"""Runs ``extract_page`` in worker processes so CPU-bound extraction never blocks polling.

Each worker is a spawned process joined to the event loop by its own Unix socket: the loop writes
a pickled page, the worker extracts it and writes the pickled result back. There are no threads
between the loop and the workers (``concurrent.futures.ProcessPoolExecutor`` runs a manager
thread and a feeder thread per page, which cost the fetcher's main process about 1.5 ms of CPU
per page, more than the rest of the fetcher's own work).

A page that takes longer than ``timeout`` (a parser stuck on hostile HTML) raises
``ExtractionTimeout``; its worker is killed (it would hold its core for good) and replaced. A worker
that dies (the OOM killer, a crash in C code) is replaced and its page retried once; a page that
kills a second worker raises ``WorkerDied``. ``workers=0`` runs extraction in a thread instead
(tests, tiny deployments).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import pickle
import signal
import socket
import struct
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess

from services.fetcher import metrics
from services.fetcher.extraction import ExtractedPage, PageInput, extract_page, warm_up
from shared.logs import get_logger

log = get_logger(__name__)

_MATH_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_HEADER = struct.Struct("!Q")  # the length of the pickle that follows


def single_threaded_math() -> None:
    """One BLAS thread per process. py3langid multiplies with numpy; OpenBLAS would start a
    spinning thread per core in every worker, and N workers x N cores of spinners made extraction
    2-3x slower on a 2-core machine. Must run before numpy is imported (worker start, ``__main__``)."""
    for name in _MATH_THREAD_VARS:
        os.environ.setdefault(name, "1")


class ExtractionTimeout(Exception):
    """A page took longer than the pool's timeout; its worker was killed and replaced."""


class WorkerDied(Exception):
    """The worker extracting a page died (twice: the page is retried once on a new worker)."""


Extractor = Callable[[PageInput], ExtractedPage]


def _recv_exactly(sock: socket.socket, size: int) -> bytes | None:
    """``size`` bytes from ``sock``; None when the other side closed it first."""
    chunks, remaining = [], size
    while remaining:
        chunk = sock.recv(min(remaining, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _picklable_error(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _serve(sock: socket.socket, function: Extractor) -> None:
    """Worker process: warm up, say so, then answer pages until the parent closes the socket."""
    single_threaded_math()
    # Ctrl-C reaches the whole process group: the parent stops the workers in order, so workers
    # ignore SIGINT instead of dying mid-page with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    warm_up()
    with contextlib.suppress(ConnectionError):  # the parent went away: nothing left to answer
        sock.sendall(_HEADER.pack(0))
        while (header := _recv_exactly(sock, _HEADER.size)) is not None:
            payload = _recv_exactly(sock, _HEADER.unpack(header)[0])
            if payload is None:
                return
            try:
                reply: tuple[bool, object] = (True, function(pickle.loads(payload)))
            except Exception as exc:
                reply = (False, _picklable_error(exc))
            data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
            sock.sendall(_HEADER.pack(len(data)) + data)


@dataclass
class _Job:
    page: PageInput
    future: asyncio.Future[ExtractedPage]
    attempts: int = 0


@dataclass
class _Worker:
    process: BaseProcess
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    task: asyncio.Task[None] | None = field(default=None)
    job: _Job | None = None  # the page it is extracting


class ExtractPool:
    """``await pool.extract(page)`` -> ``ExtractedPage``; ``timeout`` bounds one page.
    ``function`` (a module-level function, picklable) is ``extract_page`` except in tests."""

    def __init__(self, workers: int, timeout: float = 60.0, function: Extractor = extract_page) -> None:
        self.workers, self.timeout, self.function = workers, timeout, function
        self._jobs: asyncio.Queue[_Job] = asyncio.Queue()
        self._workers: list[_Worker] = []
        self._thread = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="extract") if workers <= 0 else None
        )
        self._starting = asyncio.Lock()
        self._started = self._stopping = False

    async def start(self) -> None:
        """Start the workers; each imports trafilatura and extracts a page before it is used.
        (``extract`` starts them too if this was not called.)"""
        async with self._starting:
            if self._started:
                return
            if self._thread is not None:
                await asyncio.get_running_loop().run_in_executor(self._thread, warm_up)
            else:
                self._workers = list(await asyncio.gather(*(self._spawn() for _ in range(self.workers))))
                for worker in self._workers:
                    worker.task = asyncio.create_task(
                        self._drive(worker), name=f"extract:{worker.process.pid}"
                    )
            self._started = True

    async def _spawn(self) -> _Worker:
        ours, theirs = socket.socketpair()
        # spawn, not fork: the parent has an event loop and client sockets that must not be cloned.
        process = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(theirs, self.function), name="wirewatch-extract", daemon=True
        )
        process.start()
        theirs.close()
        reader, writer = await asyncio.open_unix_connection(sock=ours, limit=1 << 20)
        worker = _Worker(process, reader, writer)
        try:
            await reader.readexactly(_HEADER.size)  # warmed up and ready
        except (asyncio.IncompleteReadError, ConnectionError):
            _kill(worker)
            raise WorkerDied(f"extraction worker exited at start (exit code {process.exitcode})") from None
        except BaseException:  # cancelled (the pool is stopping) while the worker warmed up
            _kill(worker)
            raise
        return worker

    async def extract(self, page: PageInput) -> ExtractedPage:
        """Extract one page in a worker."""
        if self._stopping:
            raise RuntimeError("the extraction pool is stopped")
        if not self._started:
            await self.start()
        if self._thread is not None:
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(self._thread, self.function, page)
        else:
            job = _Job(page, asyncio.get_running_loop().create_future())
            self._jobs.put_nowait(job)
            result = await job.future
        metrics.EXTRACT_SECONDS.observe(result.seconds)
        return result

    async def _drive(self, worker: _Worker) -> None:
        """One worker's loop: take a page, send it, wait for the result (at most ``timeout``)."""
        while True:
            job = await self._jobs.get()
            if job.future.done():  # its caller gave up while it waited
                continue
            job.attempts += 1
            worker.job = job
            data = pickle.dumps(job.page, protocol=pickle.HIGHEST_PROTOCOL)
            try:
                worker.writer.write(_HEADER.pack(len(data)) + data)
                header = await asyncio.wait_for(worker.reader.readexactly(_HEADER.size), self.timeout)
                ok, value = pickle.loads(await worker.reader.readexactly(_HEADER.unpack(header)[0]))
            except TimeoutError:
                log.error("extraction of %s took over %.0fs; killing its worker", job.page.url, self.timeout)
                if not job.future.done():
                    job.future.set_exception(ExtractionTimeout(f"extraction took over {self.timeout:.0f}s"))
                await self._replace(worker)
                return
            except (asyncio.IncompleteReadError, OSError):  # OSError: ConnectionError and the rest
                if self._stopping:
                    return
                log.error("extraction worker %s died; starting a new one", worker.process.pid)
                if not job.future.done():
                    if job.attempts < 2:
                        self._jobs.put_nowait(job)  # retried once, on whichever worker is free
                    else:
                        job.future.set_exception(
                            WorkerDied(f"extraction worker died twice on {job.page.url}")
                        )
                await self._replace(worker)
                return
            worker.job = None
            if not job.future.done():
                if ok:
                    job.future.set_result(value)
                else:
                    job.future.set_exception(value)

    async def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` and start a new one in its place (this runs in the old worker's task)."""
        _kill(worker)
        with contextlib.suppress(ValueError):
            self._workers.remove(worker)
        while not self._stopping:
            try:
                new = await self._spawn()
                break
            except Exception as exc:  # cannot start a worker (no memory?): try again shortly
                log.error("cannot start an extraction worker: %s", exc)
                await asyncio.sleep(1.0)
        else:
            return
        self._workers.append(new)
        new.task = asyncio.create_task(self._drive(new), name=f"extract:{new.process.pid}")

    def pids(self) -> list[int]:
        """Worker process ids (for memory reporting)."""
        return [int(w.process.pid) for w in self._workers if w.process.pid is not None]

    async def stop(self, grace: float = 5.0) -> None:
        """Stop the workers (pending pages are cancelled); a worker still busy after ``grace``
        seconds (stuck on a page) is killed instead of holding up the shutdown."""
        self._stopping = True
        if self._thread is not None:
            self._thread.shutdown(wait=False, cancel_futures=True)
        workers, self._workers = list(self._workers), []
        tasks = [w.task for w in workers if w.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        pending = [w.job for w in workers if w.job is not None]
        while not self._jobs.empty():
            pending.append(self._jobs.get_nowait())
        for job in pending:
            job.future.cancel()
        for worker in workers:
            worker.writer.close()  # the worker reads end-of-file once its page is done, and exits
        deadline = time.monotonic() + grace
        for worker in workers:
            while worker.process.is_alive() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            if worker.process.is_alive():
                log.warning("extraction worker %s still busy at shutdown; killing it", worker.process.pid)
            _kill(worker)


def _kill(worker: _Worker) -> None:
    """Kill the worker's process (if still running), reap it and close its socket."""
    if worker.process.is_alive():
        worker.process.kill()
    worker.process.join(1)
    worker.writer.close()
