"""Helpers of the reliability suite: a private Kafka+Redis stack, Kafka probes with an explicit
bootstrap (the shared helpers are bound to the default stack), metric scraping, peak RSS.

Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families

from services.pipeline import PipelineConfig
from shared.settings import Topics
from tests.kafka_helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
STACK_SH = ROOT / "scripts" / "stack.sh"

# Consumer groups of the consumer services, by service (settings field each one reads).
GROUP_ENV = {
    "extractor": "WIREWATCH_CONSUMER_GROUP",
    "dedup": "WIREWATCH_CONSUMER_GROUP",
    "alerter": "WIREWATCH_ALERTER__CONSUMER_GROUP",
}


def fast_faults() -> bool:
    """WIREWATCH_FAST_FAULTS=1: shorter outages (CI)."""
    return os.environ.get("WIREWATCH_FAST_FAULTS", "") not in ("", "0")


@dataclass
class PrivateStack:
    """A second Kafka + Redis (scripts/stack.sh with other ports and state dir) that tests may break."""

    state_dir: Path
    kafka_port: int = field(default_factory=free_port)
    controller_port: int = field(default_factory=free_port)
    redis_port: int = field(default_factory=free_port)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def _run(self, action: str, timeout: float = 180) -> None:
        env = {
            **os.environ,
            "WIREWATCH_STACK_DIR": str(self.state_dir),
            "WIREWATCH_KAFKA_PORT": str(self.kafka_port),
            "WIREWATCH_KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "WIREWATCH_REDIS_PORT": str(self.redis_port),
            "WIREWATCH_KAFKA_HEAP": os.environ.get("WIREWATCH_RELIABILITY_KAFKA_HEAP", "512m"),
        }
        done = subprocess.run(
            [str(STACK_SH), action],
            check=False,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"stack.sh {action} failed: {done.stdout}\n{done.stderr}")

    def up(self) -> PrivateStack:
        self._run("up")
        return self

    def down(self) -> None:
        self._run("down")

    def stop_kafka(self) -> None:
        self._run("stop-kafka")

    def restart_kafka(self) -> None:
        self._run("restart-kafka")

    def start_kafka(self) -> None:
        self._run("restart-kafka")  # stop is a no-op when stopped

    def stop_redis(self) -> None:
        self._run("stop-redis")

    def restart_redis(self) -> None:
        self._run("restart-redis")


class GroupsConfig(PipelineConfig):
    """A pipeline config whose consumer services use uuid consumer groups (never the shared names)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        tag = uuid.uuid4().hex[:8]
        self.groups = {service: f"rel-{service}-{tag}" for service in GROUP_ENV}

    def service_env(self, service: str) -> dict[str, str]:
        env = super().service_env(service)
        if service in GROUP_ENV:
            env[GROUP_ENV[service]] = self.groups[service]
        return env


class Kafka:
    """Probes of one Kafka cluster (explicit bootstrap)."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap

    async def produce(
        self,
        topic: str,
        items: Iterable[tuple[str, bytes | None]],
        headers: list[tuple[str, bytes]] | None = None,
    ) -> int:
        """Write (key, value) pairs with acks=all; returns the count."""
        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            acks="all",
            max_request_size=8 * 1024 * 1024,
            linger_ms=20,
            max_batch_size=1024 * 1024,
        )
        await producer.start()
        count = 0
        try:
            pending = []
            for key, value in items:
                pending.append(await producer.send(topic, value, key=key.encode(), headers=headers))
                count += 1
                if len(pending) >= 5000:
                    await asyncio.gather(*pending)
                    pending.clear()
            await asyncio.gather(*pending)
        finally:
            await producer.stop()
        return count

    async def read_all(self, topic: str, timeout: float = 60) -> list[Any]:
        """Every record of a topic up to its current end offsets."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_bytes=32 * 1024 * 1024,
            max_partition_fetch_bytes=16 * 1024 * 1024,
        )
        await consumer.start()
        out: list[Any] = []
        try:
            parts = [TopicPartition(topic, p) for p in await self._partitions(consumer, topic)]
            ends = await consumer.end_offsets(parts)
            todo = {tp for tp in parts if ends[tp] > 0}
            consumer.assign(parts)
            await consumer.seek_to_beginning(*parts)
            deadline = time.monotonic() + timeout
            while todo and time.monotonic() < deadline:
                batch = await consumer.getmany(timeout_ms=500, max_records=5000)
                for tp, records in batch.items():
                    out.extend(records)
                    if records and records[-1].offset + 1 >= ends[tp]:
                        todo.discard(tp)
            if todo:
                raise TimeoutError(f"could not read {topic} to its end within {timeout}s")
        finally:
            await consumer.stop()
        return out

    async def values(self, topic: str, *, lenient: bool = False) -> list[dict[str, Any]]:
        """Decoded JSON objects of a topic; ``lenient`` skips values that are not (poison tests)."""
        out = []
        for record in await self.read_all(topic):
            try:
                value = json.loads(record.value)
            except (TypeError, ValueError, RecursionError):
                if not lenient:
                    raise
                continue
            if isinstance(value, dict) or not lenient:
                out.append(value)
        return out

    async def end_offsets(self, topic: str) -> dict[int, int]:
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None)
        await consumer.start()
        try:
            parts = [TopicPartition(topic, p) for p in await self._partitions(consumer, topic)]
            ends = await consumer.end_offsets(parts)
            return {tp.partition: off for tp, off in ends.items()}
        finally:
            await consumer.stop()

    async def count(self, topic: str) -> int:
        """Messages in a topic (sum of end offsets; topics here are never compacted or truncated)."""
        return sum((await self.end_offsets(topic)).values())

    async def lag(self, group: str, topic: str) -> int:
        """Sum over partitions of end offset - committed offset (no commit counts as 0)."""
        ends = await self.end_offsets(topic)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=group, enable_auto_commit=False
        )
        await consumer.start()
        try:
            total = 0
            for p, end in ends.items():
                committed = await consumer.committed(TopicPartition(topic, p))
                total += end - (committed or 0)
            return total
        finally:
            await consumer.stop()

    @staticmethod
    async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[int]:
        for _ in range(20):
            parts = consumer.partitions_for_topic(topic)
            if parts:
                return sorted(parts)
            await consumer._client.force_metadata_update()
            await asyncio.sleep(0.2)
        raise RuntimeError(f"topic {topic} has no partitions (does it exist?)")


async def delete_namespace(bootstrap: str, topics: Topics) -> None:
    """Delete a test namespace's topics (cleanup only: a failure is printed, not raised)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        await admin.start()
        try:
            await admin.delete_topics([*topics.all(), f"{topics.alerts}.dlq"])
        finally:
            await admin.close()
    except Exception as exc:
        print(f"[reliability] could not delete the topics of {topics.raw}: {exc}")


async def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """All samples of a /metrics page: (name, sorted labels) -> value."""
    async with httpx.AsyncClient(timeout=5) as client:
        text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


async def metric(port: int, name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels``."""
    samples = await scrape(port)
    return sum(
        value
        for (sample, sample_labels), value in samples.items()
        if sample == name and set(labels.items()) <= set(sample_labels)
    )


async def healthy(port: int) -> bool:
    """True if /healthz answers 200."""
    try:
        async with httpx.AsyncClient(timeout=3) as client:
            return (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
    except httpx.HTTPError:
        return False


async def redis_used_memory(url: str) -> int:
    """INFO memory used_memory in bytes."""
    client = aioredis.Redis.from_url(url)
    try:
        info = await client.info("memory")
        return int(info["used_memory"])
    finally:
        await client.aclose()


def peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident set) of a live process in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else 0.0


def log_text(log_dir: Path, name: str) -> str:
    """Everything a process wrote to its log file so far."""
    path = log_dir / f"{name}.log"
    return path.read_text(errors="replace") if path.exists() else ""


async def wait_for(predicate: Any, timeout: float, interval: float = 0.5, what: str = "condition") -> float:
    """Await an async ``predicate()`` until true; returns the seconds it took, raises on timeout."""
    started = time.monotonic()
    while True:
        if await predicate():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what} not reached within {timeout:.0f}s")
        await asyncio.sleep(interval)
