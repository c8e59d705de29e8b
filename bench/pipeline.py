"""Whole-pipeline benchmark: ``python -m bench.pipeline [--seconds S] [--rates 20,100] [--skip-throughput]``.

Runs the four services as separate processes (``services.pipeline.LocalPipeline``) against the real
Kafka and Redis, each run in its own uuid topic namespace and Redis prefix (deleted afterwards).
The replay server runs in this process (a ``ReplayServer`` subclass that records when each article
page was requested and lists only the newest 200 items, like a real feed); a local
``WebhookReceiver`` records when each alert arrives.

1. Latency at a steady offered load (default 20 and 100 articles/s for 40 s each, feed poll
   interval 1 s, the minimum the feeds config allows). The articles are synthetic (bench/synthetic.py):
   each is relevant and is its own story, so every article yields exactly one ``new_story`` alert on a
   webhook route matching [new_story, development, member] with throttle 0. Per article:
   released (item n at start + n/rate) -> page requested -> fetched_at (after page fetch and
   extraction) -> Kafka CreateTime on raw / tagged / stories -> received by the webhook.
   ``pipeline`` = received - fetched_at (the target: p95 < 1 s at 20/s); ``feed_wait`` =
   fetched_at - released (the poll wait plus feed and page fetch and extraction), reported apart.
   The first ``--warmup`` seconds of releases are left out of the percentiles.
2. Throughput with real page extraction: the 181 saved pages of
   ../shared/data/article-extraction-benchmark/html/ as one feed, all released at once; the clock
   runs from the first feed response listing them until dedup has consumed all 181 tagged articles
   (its ``wirewatch_messages_total`` counter, read every 100 ms, 20 ms near the end). ``sustained_*``: its
   rate between 10% and 90% of the pages, i.e. without the one-off fill (first poll, feed parse)
   and drain (the last pages crossing every stage, ~0.3 s of a ~3 s burst). Baseline, same run,
   same decompressed pages, before the pipeline starts: a plain ``trafilatura.extract`` loop in
   one process, scaled x2 (linear, the ideal for 2 cores) -> ``ratio_vs_plain_x2``; and the loop
   split over a 2-process pool (what 2 cores give it here) -> ``ratio_vs_plain_2proc``.
3. Memory: peak RSS (VmHWM) of each service process at the end of each run; the fetcher's figure
   adds its descendants (the extraction pool). Redis bytes per indexed article: ``MEMORY USAGE`` of
   every key under the run's prefix, per owner (``dedup`` = keys under ``<prefix>dd:`` ...), divided by
   the articles; plus the ``INFO memory`` delta (noisy: the Redis is shared).

Prints progress on stderr and one JSON object on its last stdout line.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import html
import itertools
import json
import os
import re
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis

from bench.fetcher import plain_baselines, process_cpu_seconds
from bench.synthetic import corpus
from services.fetcher.replay import ReplayItem, ReplayServer, load_html_dir
from services.pipeline import (
    SERVICES,
    LocalPipeline,
    PipelineConfig,
    clear_redis_prefix,
    wait_healthy,
    write_webhook_configs,
)
from tests.webhook_receiver import WebhookReceiver

ROOT = Path(__file__).resolve().parents[1]
PAGES_DIR = ROOT.parent / "shared" / "data" / "article-extraction-benchmark" / "html"
BOOTSTRAP = os.environ.get("WIREWATCH_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
REDIS_URL = os.environ.get("WIREWATCH_REDIS_URL", "redis://127.0.0.1:6379/0")
POLL_SECONDS = 1.0
FEED_WINDOW = 200
WORKERS = 2
_ARTICLE_PATH = re.compile(r"/articles/(\d+)\.html")


def log(message: str) -> None:
    """Progress on stderr (stdout's last line is the report)."""
    print(f"[bench.pipeline] {message}", file=sys.stderr, flush=True)


# -- replay server ---------------------------------------------------------------------------------
class BenchReplay(ReplayServer):
    """The replay server, armed on demand, recording page requests; the feed lists the newest
    ``FEED_WINDOW`` released items (the stock server lists every released item)."""

    def __init__(self, items: list[ReplayItem], rate: float | None) -> None:
        self.armed = False
        self.page_requested: dict[int, float] = {}
        self.first_listing_at: float | None = None
        super().__init__(items, rate=rate)

    def arm(self) -> None:
        """Start the release clock: item n is released at now + n / rate."""
        self.started_at = time.time()
        self.armed = True

    def released(self) -> int:
        """Nothing before ``arm()``."""
        return super().released() if self.armed else 0

    def release_time(self, number: int) -> float:
        """When item ``number`` appeared in the feed (epoch seconds)."""
        return self.started_at + (number / self.rate if self.rate else 0.0)

    def rss(self, count: int) -> bytes:
        """RSS 2.0 of the newest ``FEED_WINDOW`` released items, newest first."""
        if count and self.first_listing_at is None:
            self.first_listing_at = time.time()
        esc = html.escape
        parts = [
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0">\n<channel>\n'
            f"<title>bench replay</title>\n<link>{self.base_url}/</link>\n<description>bench</description>\n"
        ]
        for number in reversed(range(max(0, count - FEED_WINDOW), count)):
            item = self.items[number]
            parts.append(
                f"<item><title>{esc(item.title)}</title><link>{self.base_url}/articles/{number}.html</link>"
                f'<guid isPermaLink="false">bench-{number}</guid>'
                f"<pubDate>{format_datetime(self.published_at(number), usegmt=True)}</pubDate>"
                f"<description>{esc(item.summary)}</description></item>\n"
            )
        parts.append("</channel>\n</rss>\n")
        return "".join(parts).encode("utf-8")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        base: Any = super()._handler_class()
        server = self

        class Timed(base):  # type: ignore[misc]
            def do_GET(self) -> None:
                match = _ARTICLE_PATH.fullmatch(self.path.split("?")[0])
                if match:
                    server.page_requested.setdefault(int(match.group(1)), time.time())
                super().do_GET()

        return Timed


def synthetic_items(count: int, seed: int) -> list[ReplayItem]:
    """Replay items from bench/synthetic.py."""
    return [
        ReplayItem(
            title=a.title, summary=a.text.split("\n")[0][:400], lang=a.lang, source=a.source, text=a.text
        )
        for a in corpus(count, seed)
    ]


# -- the pipeline ----------------------------------------------------------------------------------
def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_configs(directory: Path, feed_url: str) -> dict[str, Path]:
    """Feeds (one feed, 1 s poll, no jitter) and alerting (one webhook route, no throttle)."""
    return write_webhook_configs(
        directory,
        feed_url,
        route="bench",
        hook_env="WIREWATCH_BENCH_HOOK",
        feed_id="bench",
        poll_seconds=POLL_SECONDS,
        kinds=("new_story", "development", "member"),
    )


class Run:
    """One pipeline (four processes) in its own namespace, fed by a ``BenchReplay``."""

    def __init__(self, label: str, replay: BenchReplay, tmp: Path) -> None:
        self.label, self.replay = label, replay
        self.namespace = f"bench-pipe-{uuid.uuid4().hex[:10]}"
        self.prefix = f"bench:pipeline:{uuid.uuid4().hex[:12]}:"
        self.receiver = WebhookReceiver().start()
        configs = write_configs(tmp, replay.rss_url)
        self.config = PipelineConfig(
            namespace=self.namespace,
            redis_prefix=self.prefix,
            kafka_bootstrap=BOOTSTRAP,
            redis_url=REDIS_URL,
            log_dir=tmp / "logs",
            ports={s: free_port() for s in SERVICES},
            env={
                "WIREWATCH_LOG_LEVEL": "WARNING",
                "WIREWATCH_FETCHER__FEEDS_FILE": str(configs["feeds"]),
                "WIREWATCH_FETCHER__EXTRACT_WORKERS": str(WORKERS),
                # one local host serves every page: per-host politeness would be the only limit
                "WIREWATCH_FETCHER__PER_HOST_MIN_DELAY": "0",
                "WIREWATCH_FETCHER__PER_HOST_CONCURRENCY": "8",
                "WIREWATCH_ALERTER__ALERTING_FILE": str(configs["alerting"]),
                "WIREWATCH_BENCH_HOOK_URL": self.receiver.url,
                "WIREWATCH_BENCH_HOOK_SECRET": uuid.uuid4().hex,
            },
        )
        self.pipeline = LocalPipeline(self.config)
        # One client for every scrape: creating an httpx client costs ~28 ms of CPU (its SSL
        # context), and a client per 50 ms poll stole half a core from the services under test.
        self.http = httpx.AsyncClient(timeout=2)

    async def start(self) -> None:
        """Topics, then the consumers, then the fetcher; waits until all are healthy and settled."""
        await self.pipeline.prepare()
        for service in ("extractor", "dedup", "alerter", "fetcher"):
            self.pipeline.start(service)
        await wait_healthy(self.config.ports, timeout=120)
        await asyncio.sleep(6)  # consumer group joins, first (empty) feed polls, pool warm-up

    def pids(self) -> dict[str, int]:
        """Service -> pid."""
        return {name.rsplit("-", 1)[0]: procs[-1].popen.pid for name, procs in self.pipeline.procs.items()}

    async def metric(self, service: str, name: str, **labels: str) -> float:
        """Sum of a counter's samples on a service's /metrics whose labels include ``labels``."""
        text = (await self.http.get(f"http://127.0.0.1:{self.config.ports[service]}/metrics")).text
        total = 0.0
        for line in text.splitlines():
            if not (line.startswith(name + "{") or line.startswith(name + " ")):
                continue
            head, _, value = line.rpartition(" ")
            if all(f'{k}="{v}"' in head for k, v in labels.items()):
                total += float(value)
        return total

    async def handler_ms(self) -> dict[str, float]:
        """Mean handler time per message of each consumer (``wirewatch_process_seconds`` sum/count)."""
        out: dict[str, float] = {}
        for service in ("extractor", "dedup", "alerter"):
            total = await self.metric(service, "wirewatch_process_seconds_sum")
            count = await self.metric(service, "wirewatch_process_seconds_count")
            out[f"handler_mean_ms_{service}"] = round(1000 * total / count, 2) if count else 0.0
        return out

    async def stop(self) -> dict[str, Any]:
        """Memory figures, then stop the processes, delete the Redis keys and the topics."""
        memory = {
            f"rss_peak_mb_{s}": round(peak_rss_kb(pid, s == "fetcher") / 1024, 1)
            for s, pid in self.pids().items()
        }
        codes = self.pipeline.stop()
        self.receiver.stop()
        await self.http.aclose()
        await clear_redis_prefix(REDIS_URL, self.prefix)
        await delete_topics(self.config.topics.all())
        bad = {k: v for k, v in codes.items() if v not in (0, None)}
        if bad:
            log(f"{self.label}: non-zero exit codes {bad} (logs in {self.config.log_dir})")
        return memory


# -- memory ----------------------------------------------------------------------------------------
def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


def infrastructure_pids() -> dict[str, int]:
    """The local Kafka broker and Redis server processes (by command line), if any."""
    found: dict[str, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                argv = handle.read().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"java") and any(a.endswith(b"kafka.Kafka") for a in argv):
            found.setdefault("kafka", int(entry))
        elif argv and b"redis-server" in argv[0]:
            found.setdefault("redis", int(entry))
    return found


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (from /proc/*/stat)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def peak_rss_kb(pid: int, with_children: bool) -> int:
    """VmHWM of a process (plus its descendants' VmHWM: an upper bound of their joint peak)."""
    pids = [pid, *(descendants(pid) if with_children else [])]
    return sum(_status_kb(p, "VmHWM") for p in pids)


async def redis_usage(prefix: str) -> dict[str, int]:
    """``MEMORY USAGE`` of the keys under ``prefix``, summed per first key component."""
    client = aioredis.Redis.from_url(REDIS_URL)
    usage: dict[str, int] = {}
    try:
        async for key in client.scan_iter(match=f"{prefix}*", count=1000):
            part = key.decode()[len(prefix) :].split(":", 1)[0]
            usage[part] = usage.get(part, 0) + int(await client.memory_usage(key, samples=0) or 0)
    finally:
        await client.aclose()
    return usage


async def redis_used_memory() -> int:
    """INFO memory used_memory."""
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        return int((await client.info("memory"))["used_memory"])
    finally:
        await client.aclose()


# -- Kafka -----------------------------------------------------------------------------------------
async def read_topic(
    topic: str, idle: float = 3.0, timeout: float = 90.0
) -> list[tuple[float, dict[str, Any]]]:
    """Every message of a topic (read until ``idle`` quiet seconds): (CreateTime, decoded value)."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=BOOTSTRAP,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    out: list[tuple[float, dict[str, Any]]] = []
    deadline = last = time.monotonic()
    deadline += timeout
    try:
        while time.monotonic() < deadline and time.monotonic() - last < idle:
            for records in (await consumer.getmany(timeout_ms=300, max_records=5000)).values():
                out.extend((r.timestamp / 1000, json.loads(r.value)) for r in records)
                last = time.monotonic()
    finally:
        await consumer.stop()
    return out


async def delete_topics(names: list[str]) -> None:
    """Delete the run's topics (best effort)."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        await admin.delete_topics(names)
    except Exception as exc:
        log(f"topic cleanup failed: {exc}")
    finally:
        await admin.close()


# -- statistics ------------------------------------------------------------------------------------
def percentiles(values: Iterable[float], prefix: str) -> dict[str, float]:
    """p50/p95/p99/max in milliseconds."""
    data = sorted(values)
    if not data:
        return {}

    def at(q: float) -> float:
        return round(1000 * data[min(len(data) - 1, int(q * len(data)))], 1)

    return {
        f"{prefix}_p50_ms": at(0.5),
        f"{prefix}_p95_ms": at(0.95),
        f"{prefix}_p99_ms": at(0.99),
        f"{prefix}_max_ms": at(1.0),
    }


def stage_rates(name: str, messages: list[tuple[float, dict[str, Any]]]) -> dict[str, float | int]:
    """Message count of a topic and its rate over the span of the messages' timestamps."""
    stamps = [t for t, _ in messages]
    span = max(stamps) - min(stamps) if stamps else 0.0
    return {f"{name}_messages": len(stamps), f"{name}_per_s": round(len(stamps) / span, 1) if span else 0.0}


def _ts(value: str | None) -> float | None:
    return datetime.fromisoformat(value).timestamp() if value else None


def _number(url: str) -> int | None:
    match = _ARTICLE_PATH.search(url)
    return int(match.group(1)) if match else None


# -- 1. latency ------------------------------------------------------------------------------------
async def latency(rate: float, seconds: float, warmup: float, seed: int) -> dict[str, Any]:
    """Offer ``rate`` articles/s for ``seconds``; per-article latencies and their breakdown."""
    count = int(rate * seconds)
    replay = BenchReplay(synthetic_items(count, seed), rate).start()
    tmp = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    run = Run(f"latency@{rate:g}/s", replay, tmp)
    memory: dict[str, Any] = {}
    try:
        await run.start()
        log(f"{run.label}: armed, {count} articles over {seconds:g} s")
        replay.arm()
        deadline = time.time() + seconds + 60
        while len(run.receiver.snapshot()) < count and time.time() < deadline:
            await asyncio.sleep(0.5)
        await asyncio.sleep(2)  # stragglers / duplicates
        received = run.receiver.snapshot()
        raw = await read_topic(run.config.topics.raw)
        tagged = await read_topic(run.config.topics.tagged)
        stories = await read_topic(run.config.topics.stories)
        usage = await redis_usage(run.prefix)
        handler = await run.handler_ms()
        memory = await run.stop()
    finally:
        replay.stop()
        if not memory:
            await run.stop()

    number_of = {v["article_id"]: n for _, v in raw if (n := _number(v["url"])) is not None}
    raw_ts = {v["article_id"]: t for t, v in raw}
    tagged_ts = {v["article_id"]: t for t, v in tagged}
    story_ts: dict[str, float] = {}
    kinds: dict[str, int] = {}
    for t, v in stories:
        story_ts.setdefault(v["article"]["article_id"], t)
        kinds[v["kind"]] = kinds.get(v["kind"], 0) + 1
    alerts_per_article: dict[int, int] = {}
    dedup_by_number: list[tuple[int, float]] = []
    series: dict[str, list[float]] = {
        k: []
        for k in ("pipeline", "feed_wait", "poll", "page", "publish", "extractor", "dedup", "alerter", "e2e")
    }
    for alert in received:
        trigger = alert.json()["stories"][0]["trigger"]
        number = number_of.get(trigger["article_id"], _number(trigger["url"]))
        if number is None:
            continue
        alerts_per_article[number] = alerts_per_article.get(number, 0) + 1
        if alerts_per_article[number] > 1:
            continue
        released = replay.release_time(number)
        if released - replay.started_at < warmup:
            continue
        fetched = _ts(trigger["fetched_at"]) or 0.0
        aid = trigger["article_id"]
        series["pipeline"].append(alert.received_at - fetched)
        series["feed_wait"].append(fetched - released)
        series["e2e"].append(alert.received_at - released)
        if number in replay.page_requested:
            series["poll"].append(replay.page_requested[number] - released)
            series["page"].append(fetched - replay.page_requested[number])
        if aid in raw_ts and aid in tagged_ts and aid in story_ts:
            series["publish"].append(raw_ts[aid] - fetched)
            series["extractor"].append(tagged_ts[aid] - raw_ts[aid])
            series["dedup"].append(story_ts[aid] - tagged_ts[aid])
            dedup_by_number.append((number, story_ts[aid] - tagged_ts[aid]))
            series["alerter"].append(alert.received_at - story_ts[aid])
    first = min((a.received_at for a in received), default=0.0)
    last = max((a.received_at for a in received), default=0.0)
    report: dict[str, Any] = {
        "offered_per_s": rate,
        "articles": count,
        "measured": len(series["pipeline"]),
        "alerts": len(received),
        "articles_alerted": len(alerts_per_article),
        "duplicate_alerts": sum(c - 1 for c in alerts_per_article.values()),
        "story_events": kinds,
        "delivered_per_s": round(len(received) / (last - first), 1) if last > first else 0.0,
        # how far each stage got by the end (rate = messages / span of their Kafka timestamps)
        **stage_rates("raw", raw),
        **stage_rates("tagged", tagged),
        **stage_rates("stories", stories),
        "redis_bytes_per_article_all": round(sum(usage.values()) / max(1, len(raw))),
        "redis_bytes_per_article_by_owner": {
            k: round(v / max(1, len(raw))) for k, v in sorted(usage.items())
        },
    }
    for name in ("pipeline", "feed_wait", "e2e"):
        report.update(percentiles(series[name], name))
    for name in ("poll", "page", "publish", "extractor", "dedup", "alerter"):
        stats = percentiles(series[name], f"stage_{name}")
        report.update({k: v for k, v in stats.items() if "_p50_" in k or "_p95_" in k})
    dedup_by_number.sort()
    quarter = max(1, len(dedup_by_number) // 4)
    # does dedup slow down as stories accumulate? (median of the first vs the last quarter)
    for name, part in (("first", dedup_by_number[:quarter]), ("last", dedup_by_number[-quarter:])):
        report[f"stage_dedup_{name}_quarter_p50_ms"] = percentiles([d for _, d in part], "x").get("x_p50_ms")
    report.update(handler)
    report.update(memory)
    return report


# -- 2. throughput with real pages -------------------------------------------------------------------
def tree_cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of each service process and its descendants (the extraction pool)."""
    return {name: sum(process_cpu_seconds(p) for p in [pid, *descendants(pid)]) for name, pid in pids.items()}


async def follow(counter: Callable[[], Any], target: float, timeout: float) -> list[tuple[float, float]]:
    """(time, value) samples of ``counter`` every 100 ms until it reaches ``target``, then every
    20 ms past 90% of it (the finishing time is what needs the resolution). Each scrape costs the
    scraped service CPU too, so the clock is not read more often than this."""
    samples: list[tuple[float, float]] = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = await counter()
        samples.append((time.time(), value))
        if value >= target:
            break
        await asyncio.sleep(0.02 if value >= 0.9 * target else 0.1)
    return samples


def crossing(samples: list[tuple[float, float]], level: float) -> float | None:
    """When the sampled counter reached ``level`` (linear between samples)."""
    for (t_a, v_a), (t_b, v_b) in itertools.pairwise(samples):
        if v_a < level <= v_b:
            return t_a + (level - v_a) / (v_b - v_a) * (t_b - t_a)
    return None


def steady_rate(samples: list[tuple[float, float]], total: int) -> float | None:
    """Articles/s between 10% and 90% of ``total`` done: the sustained rate, without the pipeline's
    fill (first feed poll and parse) and drain (the last articles crossing every stage)."""
    start, end = crossing(samples, 0.1 * total), crossing(samples, 0.9 * total)
    return 0.8 * total / (end - start) if start is not None and end is not None and end > start else None


async def throughput() -> dict[str, Any]:
    """Real pages through fetcher + extractor + dedup (+ alerter) vs plain trafilatura."""
    pages = [gzip.decompress(p.read_bytes()) for p in sorted(PAGES_DIR.glob("*.html.gz"))]
    log(f"throughput: plain trafilatura baseline over {len(pages)} pages")
    plain_before = plain_baselines(pages)
    items = load_html_dir(PAGES_DIR)
    replay = BenchReplay(items, None).start()
    tmp = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    run = Run("throughput", replay, tmp)
    memory: dict[str, Any] = {}
    try:
        before = await redis_used_memory()
        await run.start()
        log("throughput: armed")
        infrastructure = infrastructure_pids()
        cpu_before = tree_cpu_seconds(run.pids())
        infra_before = {name: process_cpu_seconds(pid) for name, pid in infrastructure.items()}
        bench_cpu_before = time.process_time()
        replay.arm()
        tagged_topic = run.config.topics.tagged

        async def dedup_done() -> float:
            return await run.metric("dedup", "wirewatch_messages_total", topic=tagged_topic, status="ok")

        samples = await follow(dedup_done, len(items), 600)
        bench_cpu = time.process_time() - bench_cpu_before
        infra_cpu = {n: process_cpu_seconds(pid) - infra_before[n] for n, pid in infrastructure.items()}
        done_at = samples[-1][0] if samples and samples[-1][1] >= len(items) else None
        cpu_after = tree_cpu_seconds(run.pids())
        after = await redis_used_memory()
        usage = await redis_usage(run.prefix)
        raw = await read_topic(run.config.topics.raw)
        tagged = await read_topic(tagged_topic)
        extracted_at = max((t for t, _ in tagged), default=None) if len(tagged) >= len(items) else None
        stories = await read_topic(run.config.topics.stories)
        handler = await run.handler_ms()
        for name, metric, labels in (
            ("fetcher_extract_mean_ms", "wirewatch_extract_seconds", {}),
            ("fetcher_page_fetch_mean_ms", "wirewatch_fetch_seconds", {"kind": "page"}),
        ):
            total = await run.metric("fetcher", metric + "_sum", **labels)
            count = await run.metric("fetcher", metric + "_count", **labels)
            handler[name] = round(1000 * total / count, 1) if count else 0.0
        memory = await run.stop()
    finally:
        replay.stop()
        if not memory:
            await run.stop()
    started = replay.first_listing_at or replay.started_at
    if done_at is None:
        return {"error": "dedup did not consume every page within the timeout", **memory}
    # Baselines before AND after, averaged: the CPU time this machine gives us drifts from minute
    # to minute, and this keeps both sides of the ratio comparable (as bench.fetcher does).
    log("throughput: plain trafilatura baseline again")
    plain_after = plain_baselines(pages)
    plain_one, plain_two, plain_cpu = ((b + a) / 2 for b, a in zip(plain_before, plain_after, strict=True))
    seconds = done_at - started
    rate = len(items) / seconds
    sustained = steady_rate(samples, len(items)) or rate
    cpu_ms = {s: round(1000 * (cpu_after[s] - cpu_before[s]) / len(items), 2) for s in cpu_before}
    fetched = [_ts(v["fetched_at"]) or 0.0 for _, v in raw]
    text_sources = [v.get("text_source") for _, v in raw]
    indexed = len(items)
    report: dict[str, Any] = {
        "pages": len(items),
        "seconds": round(seconds, 2),
        "articles_per_s": round(rate, 1),
        "fetch_span_s": round(max(fetched) - min(fetched), 2) if fetched else None,
        "extractor_done_s": round(extracted_at - started, 2) if extracted_at else None,
        "plain_extract_1proc_per_s": round(plain_one, 1),
        "plain_extract_2proc_per_s": round(plain_two, 1),
        "plain_extract_2proc_before_after": [round(plain_before[1], 1), round(plain_after[1], 1)],
        "ratio_vs_plain_x2": round(rate / (2 * plain_one), 3),
        "ratio_vs_plain_2proc": round(rate / plain_two, 3),
        # the same between 10% and 90% of the pages through dedup (no fill and drain)
        "sustained_articles_per_s": round(sustained, 1),
        "sustained_ratio_vs_plain_x2": round(sustained / (2 * plain_one), 3),
        "sustained_ratio_vs_plain_2proc": round(sustained / plain_two, 3),
        "plain_extract_cpu_ms_per_page": round(1000 * plain_cpu, 2),
        # this process: the replay server serving the pages, the scrapes, the webhook receiver
        "bench_process_cpu_ms_per_page": round(1000 * bench_cpu / len(items), 2),
        # the broker and Redis (all their work in the window; nothing else uses them during it)
        "infrastructure_cpu_ms_per_page": {n: round(1000 * c / len(items), 2) for n, c in infra_cpu.items()},
        "cpu_ms_per_page": cpu_ms,
        # plain CPU per page / the four services' CPU per page (Kafka, Redis and this process not
        # counted): the ratio the services would reach on a machine with nothing else running
        "ratio_cpu": round(1000 * plain_cpu / sum(cpu_ms.values()), 3),
        "raw_page_text": text_sources.count("page"),
        "raw_feed_fallback": text_sources.count("feed"),
        "story_events": len(stories),
        "redis_bytes_per_article_all": round(sum(usage.values()) / indexed),
        "redis_bytes_per_article_by_owner": {k: round(v / indexed) for k, v in sorted(usage.items())},
        "redis_info_delta_per_article": round((after - before) / indexed),
    }
    report.update(handler)
    report.update(memory)
    return report


def flatten(prefix: str, data: dict[str, Any]) -> dict[str, Any]:
    """``{a: 1, b: {c: 2}}`` -> ``{prefix_a: 1, prefix_b_c: 2}`` (the aggregator prints flat rows)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(flatten(f"{prefix}_{key}", value))
        else:
            out[f"{prefix}_{key}"] = value
    return out


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    """Run the selected measurements."""
    report: dict[str, Any] = {"stage": "pipeline", "cpus": os.cpu_count(), "poll_interval_s": POLL_SECONDS}
    for rate in [float(r) for r in args.rates.split(",") if r]:
        result = await latency(rate, args.seconds, args.warmup, seed=int(rate))
        log(json.dumps(result))
        report.update(flatten(f"lat{rate:g}", result))
    if not args.skip_throughput:
        if PAGES_DIR.is_dir():
            result = await throughput()
            log(json.dumps(result))
            report.update(flatten("tput", result))
        else:
            report["tput_skipped"] = f"{PAGES_DIR} not found"
    return report


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run, print the JSON report as the last stdout line."""
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline", description=__doc__.split("\n")[0])
    parser.add_argument("--rates", default="20,100", help="offered loads, articles/s (comma-separated)")
    parser.add_argument("--seconds", type=float, default=40.0, help="duration of each load")
    parser.add_argument("--warmup", type=float, default=5.0, help="releases left out of the percentiles")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args(argv)
    report = asyncio.run(main_async(args))
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
