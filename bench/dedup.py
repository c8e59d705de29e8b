"""Dedup throughput and Redis memory with a large index, through the real code path.

    python -m bench.dedup [--prefill 100000] [--articles 3000] [--partitions 6] [--commands] [--profile FILE]

1. Pre-fills the near-duplicate index and stories in real Redis (a uuid prefix) with ``--prefill``
   synthetic articles through ``DedupEngine`` on ``RedisStore`` (10% near-duplicate copies, 5%
   relevant to a watchlist, spread over ~3 days so stories form and close).
2. Measures Redis memory per indexed article: ``INFO memory`` delta over the pre-fill, and the sum
   of ``MEMORY USAGE`` over every key under the prefix.
3. Times ``--articles`` more through ``DedupHandler.handle`` with ``--partitions`` concurrent loops
   (the runtime processes partitions concurrently), and once sequentially. Wall-clock rates depend
   on what else runs on the machine; ``cpu_ms_per_article`` (this process's CPU time) does not much,
   and ``articles_per_cpu_second`` is the rate one free core sustains.
4. Deletes every key it created. Prints one JSON object on the last line.

``--commands`` adds ``redis_commands``: per Redis command (``INFO commandstats``, commands run inside
scripts included), calls and server microseconds per measured article over the timed concurrent
phase (the whole server: on a shared Redis other clients count too). ``--profile FILE`` also writes
a cProfile of that phase (``python -m pstats FILE``; it slows the client down).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import json
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.dedup.engine import DedupEngine
from services.dedup.handler import DedupHandler
from services.dedup.redis_backend import RedisStore
from services.dedup.settings import DedupSettings
from shared.ids import short_hash
from shared.messages import ArticleTagged, Entity, Fact, WatchlistMatch
from shared.redis_store import connect
from shared.runtime import Record

START = datetime(2025, 3, 1, tzinfo=UTC)
LETTERS = "abcdefghijklmnopqrstuvwxyz"
ENTITY_POOL = (
    [f"place:p{n}" for n in range(60)]
    + [f"org:o{n}" for n in range(30)]
    + [f"person:x{n}" for n in range(40)]
)


class Corpus:
    """Deterministic synthetic articles: random words, some copies, some relevant."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        # A news-like vocabulary: a few hundred frequent words and a long tail of rarer ones.
        self.vocab = ["".join(self.rng.choices(LETTERS, k=self.rng.randint(2, 10))) for _ in range(20000)]
        self.cum_weights = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(len(self.vocab))))
        self.texts: list[tuple[str, str]] = []  # (text, article id) of originals
        self.copy_of: dict[str, str] = {}  # copy article id -> original article id

    def text(self) -> str:
        words = self.rng.choices(self.vocab, cum_weights=self.cum_weights, k=self.rng.randint(250, 450))
        return ". ".join(" ".join(words[i : i + 15]) for i in range(0, len(words), 15))

    def article(self, n: int) -> ArticleTagged:
        aid = short_hash("bench", str(n), uuid.uuid4().hex, length=32)
        if self.texts and self.rng.random() < 0.1:  # a republished copy with an edited sentence
            base, base_id = self.rng.choice(self.texts[-5000:])
            text = "SEOUL (Wire) - " + base.replace(". ", ". " + self.text()[:80] + ". ", 1)
            self.copy_of[aid] = base_id
        else:
            text = self.text()
            self.texts.append((text, aid))
        when = START + timedelta(seconds=n * 3)
        relevant = self.rng.random() < 0.05
        event = self.rng.randrange(400)  # relevant articles come from a few hundred events
        rng = random.Random(event)
        entities = ["country:KP", "country:RU", *rng.sample(ENTITY_POOL, 4)] if relevant else []
        facts = [Fact(type="troop_count", value=float(rng.randrange(1, 50) * 500), unit="troops", span="x")]
        return ArticleTagged(
            trace=aid,
            article_id=aid,
            url=f"https://bench.test/{aid}",
            canonical_url=f"https://bench.test/{aid}",
            feed_id="bench",
            source=f"outlet-{n % 50}",
            title=f"article {n}",
            text=text,
            lang="en",
            published_at=when,
            fetched_at=when,
            content_sha256="0" * 64,
            matches=[
                WatchlistMatch(
                    watchlist="nk-russia-military", score=0.9 if relevant else 0.0, relevant=relevant
                )
            ],
            entities=[Entity.model_validate({"id": e, "type": e.partition(":")[0]}) for e in entities],
            facts=facts if relevant else [],
        )


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def redis_cpu(redis: object) -> float:
    """Redis server CPU seconds (the whole server: other clients of a shared Redis count too)."""
    info = await redis.info("cpu")  # type: ignore[attr-defined]
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def command_stats(redis: object) -> dict[str, tuple[int, float]]:
    """``INFO commandstats``: command -> (calls, microseconds)."""
    info = await redis.info("commandstats")  # type: ignore[attr-defined]
    return {k.removeprefix("cmdstat_"): (int(v["calls"]), float(v["usec"])) for k, v in info.items()}


async def used_memory(redis: object) -> int:
    info = await redis.info("memory")  # type: ignore[attr-defined]
    return int(info["used_memory"])


async def run(
    prefill: int, articles: int, partitions: int, profile: str | None = None, commands: bool = False
) -> dict[str, object]:
    """Pre-fill, measure memory, time the handler, clean up."""
    prefix = f"bench-dedup-{uuid.uuid4().hex[:8]}:"
    config_dir = Path("config")
    try:
        from shared.watchlists import load_watchlists

        load_watchlists(config_dir / "watchlists")
    except Exception:  # a watchlist being edited must not stop the benchmark: default rules
        config_dir = Path(tempfile.mkdtemp())
    settings = DedupSettings(redis_prefix=prefix, config_dir=config_dir)
    redis = connect(settings.redis_url)
    corpus = Corpus(7)
    try:
        before = await used_memory(redis)
        store = RedisStore(redis, prefix, settings.dedup)
        engine = DedupEngine(store, settings.dedup)
        started = time.perf_counter()
        batch = 64
        found = missed = false_dups = 0
        for first in range(0, prefill, batch):
            items = [corpus.article(n) for n in range(first, min(prefill, first + batch))]
            results = await asyncio.gather(*(engine.process(a) for a in items))
            if first >= prefill * 0.9:  # near-duplicate recall with a nearly full index
                for a, r in zip(items, results, strict=True):
                    if a.article_id in corpus.copy_of:
                        found, missed = (
                            found + (r.near_duplicate_of is not None),
                            missed + (r.near_duplicate_of is None),
                        )
                    else:
                        false_dups += r.near_duplicate_of is not None
        prefill_seconds = time.perf_counter() - started
        await store.close()
        after = await used_memory(redis)
        keys = [k async for k in redis.scan_iter(match=prefix + "*", count=5000)]
        usage = 0
        for i in range(0, len(keys), 500):
            async with redis.pipeline(transaction=False) as pipe:
                for key in keys[i : i + 500]:
                    pipe.memory_usage(key, samples=0)
                usage += sum(int(u or 0) for u in await pipe.execute())

        handler = DedupHandler(settings, redis)
        await handler.start()
        todo = [corpus.article(prefill + n) for n in range(articles)]
        latencies: list[float] = []

        async def loop(part: list[ArticleTagged], partition: int) -> None:
            for offset, a in enumerate(part):
                t0 = time.perf_counter()
                await handler.handle(a, Record("bench", partition, offset, a.article_id, 0))
                latencies.append(time.perf_counter() - t0)

        profiler = cProfile.Profile() if profile else None
        commands = commands or profiler is not None
        stats_before = await command_stats(redis) if commands else {}
        cpu_before, redis_cpu_before = _cpu_seconds(), await redis_cpu(redis)
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        await asyncio.gather(*(loop(todo[p::partitions], p) for p in range(partitions)))
        if profiler is not None:
            profiler.disable()
        concurrent = articles / (time.perf_counter() - started)
        cpu_ms = (_cpu_seconds() - cpu_before) / articles * 1000
        redis_cpu_ms = (await redis_cpu(redis) - redis_cpu_before) / articles * 1000
        per_command: dict[str, object] = {}
        if profiler is not None and profile:
            profiler.dump_stats(profile)
        if commands:
            after_stats = await command_stats(redis)
            for name, (calls, usec) in sorted(after_stats.items()):
                calls0, usec0 = stats_before.get(name, (0, 0.0))
                if calls > calls0:
                    per_command[name] = {
                        "calls_per_article": round((calls - calls0) / articles, 2),
                        "us_per_article": round((usec - usec0) / articles, 1),
                    }
        seq = [corpus.article(prefill + articles + n) for n in range(articles // 3)]
        started = time.perf_counter()
        await loop(seq, 0)
        sequential = len(seq) / (time.perf_counter() - started)
        await handler.stop()
        latencies.sort()
        return {
            "stage": "dedup",
            "articles_per_s": round(concurrent, 1),
            "articles_per_s_sequential": round(sequential, 1),
            "partitions": partitions,
            "indexed_before": prefill,
            "prefill_articles_per_s": round(prefill / prefill_seconds, 1),
            "cpu_ms_per_article": round(cpu_ms, 3),
            "articles_per_cpu_second": round(1000 / cpu_ms, 1),
            "redis_server_cpu_ms_per_article": round(redis_cpu_ms, 3),
            "p50_ms": round(statistics.median(latencies) * 1000, 2),
            "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 2),
            "near_dup_recall_last_10pct": round(found / max(1, found + missed), 4),
            "near_dup_false_positives_last_10pct": false_dups,
            "redis_bytes_per_article": round((after - before) / prefill, 1),
            "redis_key_bytes_per_article": round(usage / prefill, 1),
            "redis_keys": len(keys),
            "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            **({"redis_commands": per_command} if per_command else {}),
        }
    finally:
        keys = [k async for k in redis.scan_iter(match=prefix + "*", count=5000)]
        for i in range(0, len(keys), 1000):
            await redis.delete(*keys[i : i + 1000])
        await redis.aclose()


def main() -> int:
    """Run the benchmark and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefill", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--commands", action="store_true", help="add Redis commandstats per article")
    parser.add_argument("--profile", default=None, help="write a cProfile of the timed phase here")
    args = parser.parse_args()
    result = asyncio.run(run(args.prefill, args.articles, args.partitions, args.profile, args.commands))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
