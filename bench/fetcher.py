"""Fetcher benchmark: ``python -m bench.fetcher``.

The 181 real pages of ../shared/data/article-extraction-benchmark/html/ (gzipped) are served by the
replay server (its own process, ``wirewatch replay --html-dir``) as one RSS feed. The real fetcher
code path (``FetcherService``: feed poll, page fetch with gzip, robots.txt, extraction in a pool of
2 worker processes, language detection, Redis seen markers, publish with acks=all) fetches,
extracts and publishes them to the real Kafka in a uuid topic namespace.

Baselines, measured in the same run on the same decompressed pages:
- ``plain_1proc``: a plain loop of ``trafilatura.extract(html)`` in one process;
- ``plain_2proc``: the same loop split over a 2-process pool (the measured "2 cores" baseline).
``ratio_vs_plain_x2`` = fetcher pages/s / (plain_1proc x 2) (the issue's scaling: linear, the ideal);
``ratio_vs_plain_2proc`` = fetcher pages/s / plain_2proc (measured on this 2-core machine).
``ratio_cpu`` = plain CPU per page / the fetcher's CPU per page (main process + workers + replay
server, measured from /proc inside the timed window): the wall-clock ratios depend on what else
runs on the machine, this one does not much. Broker and Redis CPU are not counted in it.
Memory: the kernel's peak RSS (VmHWM) of the fetcher process plus each extraction worker, summed;
the replay server and the baselines run in other processes and are not counted.

The farm is one host, so per-host politeness is relaxed for the run (min delay 0, 8 in flight);
everything else uses the service defaults. Prints one JSON object on its last line.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from urllib.request import urlopen

from services.fetcher.extract_pool import single_threaded_math

ROOT = Path(__file__).resolve().parents[1]
PAGES_DIR = ROOT.parent / "shared" / "data" / "article-extraction-benchmark" / "html"
BOOTSTRAP = os.environ.get("WIREWATCH_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
REDIS_URL = os.environ.get("WIREWATCH_REDIS_URL", "redis://127.0.0.1:6379/0")
WORKERS = 2


def _load_pages() -> list[bytes]:
    return [gzip.decompress(p.read_bytes()) for p in sorted(PAGES_DIR.glob("*.html.gz"))]


def _plain_loop(pages: list[bytes]) -> tuple[int, float, float]:
    """Worker: plain trafilatura.extract over pages; returns (pages, seconds, CPU seconds)."""
    import trafilatura

    trafilatura.extract(pages[0])  # warm up (imports, caches) outside the timed loop
    started, cpu = time.perf_counter(), time.process_time()
    for page in pages:
        trafilatura.extract(page)
    return len(pages), time.perf_counter() - started, time.process_time() - cpu


def _warm(hold: float) -> bool:
    """Import trafilatura and extract once, then hold the worker so its sibling takes the next task."""
    import trafilatura

    trafilatura.extract("<html><body><article><p>warm up</p></article></body></html>")
    time.sleep(hold)
    return True


def plain_baselines(pages: list[bytes]) -> tuple[float, float, float]:
    """(pages/s of one process, pages/s of a 2-process pool, CPU seconds per page of the one
    process), each in spawned processes."""
    spawn = get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:
        count, seconds, cpu = pool.submit(_plain_loop, pages).result()
    one = count / seconds
    with ProcessPoolExecutor(2, mp_context=spawn) as pool:
        list(pool.map(_warm, [1.0, 1.0]))  # each worker takes one (the other is busy sleeping)
        halves = [pages[0::2], pages[1::2]]
        for _attempt in range(3):
            started = time.perf_counter()
            pids = set(pool.map(_plain_loop_untimed, halves))
            two = len(pages) / (time.perf_counter() - started)
            if len(pids) == 2:  # both halves ran at once, one per process (not one after the other)
                break
    return one, two, cpu / count


def _plain_loop_untimed(pages: list[bytes]) -> int:
    """Worker: plain trafilatura.extract over pages; returns the worker's pid."""
    import trafilatura

    for page in pages:
        trafilatura.extract(page)
    return os.getpid()


def _same_text_with_fast_parser(pages: list[bytes]) -> int:
    """Worker: pages whose extracted text is identical with trafilatura's stock parser and with
    the fetcher's C-lookup parser (services/fetcher/html_parser.py)."""
    import trafilatura
    from lxml.html import fromstring
    from trafilatura.utils import HTML_PARSER

    from services.fetcher.html_parser import fast_html_parser

    fast = fast_html_parser()
    same = 0
    for page in pages:
        stock_text = trafilatura.extract(fromstring(page, parser=HTML_PARSER), include_comments=False)
        fast_text = trafilatura.extract(fromstring(page, parser=fast), include_comments=False)
        same += stock_text == fast_text
    return same


def fast_parser_identical(pages: list[bytes]) -> int:
    """``_same_text_with_fast_parser`` in a fresh process (this one may have swapped parsers)."""
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_same_text_with_fast_parser, pages).result()


def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


class PeakRss:
    """The kernel's peak RSS (VmHWM) of this process and of each extraction worker, read while
    they are alive; the report sums the per-process peaks (an upper bound of the peak of the sum).
    No sampling thread: VmHWM already is the peak, and a sampler would steal CPU from the run."""

    def __init__(self, worker_pids: Callable[[], list[int]]) -> None:
        self.worker_pids = worker_pids
        self.peaks_kb: dict[int, int] = {}

    def sample(self) -> None:
        for pid in [os.getpid(), *self.worker_pids()]:
            self.peaks_kb[pid] = max(self.peaks_kb.get(pid, 0), _status_kb(pid, "VmHWM:"))

    @property
    def total_kb(self) -> int:
        return sum(self.peaks_kb.values())

    @property
    def main_kb(self) -> int:
        return self.peaks_kb.get(os.getpid(), 0)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (0.0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_of(pids: list[int]) -> float:
    return sum(process_cpu_seconds(pid) for pid in pids)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_replay() -> tuple[subprocess.Popen[bytes], str]:
    """The replay server as its own process, serving the saved pages; returns (process, feed URL)."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "replay", "--html-dir", str(PAGES_DIR), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/rss.xml"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urlopen(url, timeout=2) as response:
                response.read()
            return proc, url
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("replay server did not start") from None
            time.sleep(0.1)


async def run_fetcher(feed_url: str, expected: int, replay_pid: int | None = None) -> dict[str, float | int]:
    """Run FetcherService until every page is published; returns timings, counts and memory."""
    import redis.asyncio as aioredis

    from services.fetcher import metrics
    from services.fetcher.service import FetcherService
    from services.fetcher.settings import FetcherSettings, FetchOptions
    from shared.topics import create_topics, load_topics

    namespace = f"bench-{uuid.uuid4().hex[:10]}"
    prefix = f"bench:fetcher:{uuid.uuid4().hex}:"
    topics = load_topics(ROOT / "deploy" / "kafka" / "topics.yaml", namespace)
    await create_topics(BOOTSTRAP, topics)
    feeds = Path(tempfile.mkdtemp()) / "feeds.yaml"
    feeds.write_text(
        f"feeds:\n  - id: bench\n    url: {feed_url}\n    poll_interval: 3600\n    jitter: 0\n"
        "    allow_private: true\n",
        encoding="utf-8",
    )
    settings = FetcherSettings(
        kafka_bootstrap=BOOTSTRAP,
        redis_url=REDIS_URL,
        redis_prefix=prefix,
        topic_namespace=namespace,
        fetcher=FetchOptions(
            feeds_file=feeds, extract_workers=WORKERS, per_host_min_delay=0, per_host_concurrency=8
        ),
    )
    service = FetcherService(settings)
    sampler = PeakRss(service.pool.pids)
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))

    def published(source: str) -> float:
        sample = metrics.ARTICLES_PUBLISHED.labels("bench", source)._value.get()
        return float(sample)

    while not service.pollers:  # publisher connected and workers warmed up: the clock starts
        if task.done():
            await task
        await asyncio.sleep(0.005)
    others = [replay_pid] if replay_pid else []
    cpu_before = (time.process_time(), _cpu_of(service.pool.pids()), _cpu_of(others))
    started = time.perf_counter()
    deadline = started + 600
    poller = service.pollers["bench"][1]
    while published("page") + published("feed") < expected and time.perf_counter() < deadline:
        outcome = poller.last_outcome
        if outcome is not None and outcome.result not in ("ok", "not_modified"):
            raise RuntimeError(f"feed poll failed: {outcome.result}")
        await asyncio.sleep(0.01)
    seconds = time.perf_counter() - started
    cpu_after = (time.process_time(), _cpu_of(service.pool.pids()), _cpu_of(others))
    sampler.sample()  # the workers' peaks, before they exit
    stop.set()
    await task

    consumed = await _count_messages(settings.topics.raw)
    redis = aioredis.Redis.from_url(REDIS_URL)
    keys = [k async for k in redis.scan_iter(match=prefix + "*", count=1000)]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()
    await _delete_topics([t.name for t in topics])
    return {
        "seconds": seconds,
        "published_page": int(published("page")),
        "published_feed": int(published("feed")),
        "messages_in_kafka": consumed,
        "rss_total_kb": sampler.total_kb,
        "rss_main_kb": sampler.main_kb,
        "cpu_main_s": cpu_after[0] - cpu_before[0],
        "cpu_workers_s": cpu_after[1] - cpu_before[1],
        "cpu_replay_s": cpu_after[2] - cpu_before[2],
    }


async def _count_messages(topic: str) -> int:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(topic, bootstrap_servers=BOOTSTRAP, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        return int(sum(ends[tp] - starts[tp] for tp in partitions))
    finally:
        await consumer.stop()


async def _delete_topics(names: list[str]) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        await admin.delete_topics(names)
    finally:
        await admin.close()


def main() -> int:
    """Run the baselines and the fetcher; print the report."""
    single_threaded_math()  # as the service's __main__ does, before numpy is imported
    load_before = round(os.getloadavg()[0], 2)
    if not PAGES_DIR.is_dir():
        print(json.dumps({"stage": "fetcher", "skipped": f"{PAGES_DIR} not found"}))
        return 0
    pages = _load_pages()
    # Baselines before AND after the fetcher run, averaged: other work on the machine changes the
    # CPU time we get from minute to minute, and this keeps the ratio's two sides comparable.
    before_one, before_two, before_cpu = plain_baselines(pages)
    replay, feed_url = start_replay()
    try:
        run = asyncio.run(run_fetcher(feed_url, len(pages), replay.pid))
    finally:
        replay.terminate()
        replay.wait(10)
    after_one, after_two, after_cpu = plain_baselines(pages)
    identical = fast_parser_identical(pages)
    plain_one, plain_two = (before_one + after_one) / 2, (before_two + after_two) / 2
    plain_cpu = (before_cpu + after_cpu) / 2
    fetcher_cpu = sum(float(run[k]) for k in ("cpu_main_s", "cpu_workers_s", "cpu_replay_s")) / len(pages)
    rate = len(pages) / float(run["seconds"])
    report = {
        "stage": "fetcher",
        "pages": len(pages),
        "workers": WORKERS,
        "pages_per_s": round(rate, 1),
        "plain_extract_1proc_per_s": round(plain_one, 1),
        "plain_extract_2proc_per_s": round(plain_two, 1),
        "plain_extract_2proc_before_after": [round(before_two, 1), round(after_two, 1)],
        "ratio_vs_plain_x2": round(rate / (2 * plain_one), 3),
        "ratio_vs_plain_2proc": round(rate / plain_two, 3),
        "target_ratio": 0.8,
        "fast_parser_identical": identical,
        "published_page_text": run["published_page"],
        "published_feed_fallback": run["published_feed"],
        "messages_in_kafka": run["messages_in_kafka"],
        # CPU time per page inside the timed window, by process: what the run cost the machine
        "cpu_ms_per_page_main": round(1000 * float(run["cpu_main_s"]) / len(pages), 2),
        "cpu_ms_per_page_workers": round(1000 * float(run["cpu_workers_s"]) / len(pages), 2),
        "cpu_ms_per_page_replay": round(1000 * float(run["cpu_replay_s"]) / len(pages), 2),
        "plain_extract_cpu_ms_per_page": round(1000 * plain_cpu, 2),
        # plain CPU per page / the fetcher's (main + workers + replay) CPU per page: the ratio a
        # machine with nothing else running would allow, whatever else shares the cores now
        "ratio_cpu": round(plain_cpu / fetcher_cpu, 3),
        "rss_mb": round(float(run["rss_total_kb"]) / 1024, 1),
        "rss_main_mb": round(float(run["rss_main_kb"]) / 1024, 1),
        "cpus": os.cpu_count(),
        "load_avg_1m_before": load_before,
        "load_avg_1m_after": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
