"""Load run: pre-fill a raw topic with N synthetic articles, start extractor + dedup, measure the drain.

Used by scripts/load_test.py (200k by default, on a private stack) and tests/reliability/test_load.py
(5k on the shared stack). Everything lives in a uuid topic namespace, Redis prefix and consumer
groups; the topics are deleted and the Redis keys cleared at the end.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from services.pipeline import LocalPipeline, clear_redis_prefix, wait_healthy
from tests.kafka_helpers import free_port
from tests.reliability.support import GroupsConfig, Kafka, delete_namespace, peak_rss_mb, redis_used_memory
from tests.reliability.synthetic import synthetic_articles

SERVICES = ("extractor", "dedup")


@dataclass
class LoadResult:
    """What a load run measured."""

    articles: int
    prefill_s: float = 0.0
    drain_s: float = 0.0
    articles_per_s: float = 0.0
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    redis_used_memory_delta_mb: float = 0.0
    redis_keys_mb_per_10k: float = 0.0
    raw_in: int = 0
    tagged_out: int = 0
    tagged_distinct: int = 0
    relevant: int = 0
    irrelevant_filtered: int = 0
    story_events: int = 0
    relevant_with_story: int = 0
    stories_by_kind: dict[str, int] = field(default_factory=dict)
    dlq: dict[str, int] = field(default_factory=dict)
    lag: dict[str, int] = field(default_factory=dict)
    exit_codes: dict[str, int | None] = field(default_factory=dict)

    def lost(self) -> list[str]:
        """Reasons the run lost something (empty when nothing was lost)."""
        problems = []
        if self.tagged_distinct != self.raw_in:
            problems.append(f"raw {self.raw_in} != distinct tagged {self.tagged_distinct}")
        if self.relevant_with_story != self.relevant:
            problems.append(
                f"{self.relevant - self.relevant_with_story} relevant articles without a story event"
            )
        if self.relevant + self.irrelevant_filtered != self.tagged_distinct:
            problems.append("tagged articles not accounted for")
        if any(self.dlq.values()):
            problems.append(f"DLQ: {self.dlq}")
        if any(self.lag.values()):
            problems.append(f"lag: {self.lag}")
        if any(code != 0 for code in self.exit_codes.values()):
            problems.append(f"exit codes: {self.exit_codes}")
        return problems

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def run_load(
    count: int,
    *,
    bootstrap: str,
    redis_url: str,
    log_dir: Path,
    relevant_share: float = 0.15,
    timeout: float = 3600,
    progress: bool = False,
) -> LoadResult:
    """Pre-fill, drain through extractor + dedup, verify counts; always cleans up."""
    namespace = f"load-{uuid.uuid4().hex[:8]}"
    config = GroupsConfig(
        namespace=namespace,
        redis_prefix=f"ww:{namespace}:",
        kafka_bootstrap=bootstrap,
        redis_url=redis_url,
        log_dir=log_dir,
        ports={s: free_port() for s in SERVICES},
        env={"WIREWATCH_LOG_LEVEL": "WARNING"},
    )
    topics = config.topics
    kafka = Kafka(bootstrap)
    pipeline = LocalPipeline(config)
    result = LoadResult(count)
    try:
        await pipeline.prepare()
        started = time.monotonic()
        result.raw_in = await kafka.produce(
            topics.raw,
            (
                (a.article_id, a.model_dump_json(by_alias=True).encode())
                for a in synthetic_articles(count, relevant_share=relevant_share)
            ),
        )
        result.prefill_s = round(time.monotonic() - started, 1)
        memory_before = await redis_used_memory(redis_url)
        started = time.monotonic()
        for service in SERVICES:
            pipeline.start(service)
        await wait_healthy(config.ports, timeout=120)
        pids = {s: pipeline.procs[f"{s}-0"][-1].popen.pid for s in SERVICES}
        deadline = started + timeout
        last_print = 0.0
        while True:
            lag_x = await kafka.lag(config.groups["extractor"], topics.raw)
            tagged = await kafka.count(topics.tagged)
            lag_d = await kafka.lag(config.groups["dedup"], topics.tagged) if tagged else 1
            if lag_x == 0 and lag_d == 0 and tagged >= result.raw_in:
                break
            if not all(pipeline.running().values()):
                raise RuntimeError(f"a service died during the load run: {pipeline.running()}")
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"not drained within {timeout}s (extractor lag {lag_x}, dedup lag {lag_d})"
                )
            if progress and time.monotonic() - last_print > 30:
                last_print = time.monotonic()
                print(
                    f"[load] {time.monotonic() - started:.0f}s: tagged {tagged}, lag x={lag_x} d={lag_d}",
                    flush=True,
                )
            await asyncio.sleep(1)
        result.drain_s = round(time.monotonic() - started, 1)
        result.articles_per_s = round(result.raw_in / result.drain_s, 1)
        result.peak_rss_mb = {s: round(peak_rss_mb(pid), 1) for s, pid in pids.items()}
        result.redis_used_memory_delta_mb = round(
            (await redis_used_memory(redis_url) - memory_before) / 2**20, 1
        )
        result.redis_keys_mb_per_10k = round(result.redis_used_memory_delta_mb * 10_000 / max(1, count), 2)

        relevant_ids: set[str] = set()
        tagged_ids: set[str] = set()
        for record in await kafka.read_all(topics.tagged, timeout=max(120, count / 500)):
            message = _json(record.value)
            tagged_ids.add(message["article_id"])
            if any(m["relevant"] for m in message["matches"]):
                relevant_ids.add(message["article_id"])
        result.tagged_out = await kafka.count(topics.tagged)
        result.tagged_distinct = len(tagged_ids)
        result.relevant = len(relevant_ids)
        result.irrelevant_filtered = len(tagged_ids - relevant_ids)
        stories = [
            _json(r.value) for r in await kafka.read_all(topics.stories, timeout=max(120, count / 500))
        ]
        result.story_events = len(stories)
        kinds: dict[str, int] = {}
        for event in stories:
            kinds[event["kind"]] = kinds.get(event["kind"], 0) + 1
        result.stories_by_kind = kinds
        result.relevant_with_story = len(relevant_ids & {e["article"]["article_id"] for e in stories})
        result.dlq = {t: await kafka.count(f"{t}.dlq") for t in (topics.raw, topics.tagged)}
        result.lag = {
            "extractor": await kafka.lag(config.groups["extractor"], topics.raw),
            "dedup": await kafka.lag(config.groups["dedup"], topics.tagged),
        }
    finally:
        result.exit_codes = {k: v for k, v in pipeline.stop().items()}
        await clear_redis_prefix(redis_url, config.redis_prefix)
        await delete_namespace(bootstrap, topics)
    return result


def _json(value: bytes) -> dict[str, Any]:
    import json

    data: dict[str, Any] = json.loads(value)
    return data
