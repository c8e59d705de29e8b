"""Helpers for tests against the real Kafka and Redis started by scripts/stack.sh."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.settings import Topics
from shared.topics import create_topics, load_topics

ROOT = Path(__file__).resolve().parents[1]
BOOTSTRAP = os.environ.get("WIREWATCH_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
REDIS_URL = os.environ.get("WIREWATCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def port_open(host: str, port: int) -> bool:
    """True if something listens on host:port."""
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((host, port)) == 0


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def make_namespace(prefix: str = "t") -> Topics:
    """Create every wirewatch topic under a fresh uuid namespace."""
    namespace = f"{prefix}-{uuid.uuid4().hex[:10]}"
    await create_topics(BOOTSTRAP, load_topics(ROOT / "deploy" / "kafka" / "topics.yaml", namespace))
    return Topics(namespace)


async def produce(
    topic: str, items: Iterable[tuple[str, bytes]], headers: list[tuple[str, bytes]] | None = None
) -> None:
    """Write (key, value) pairs with acks=all."""
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", max_request_size=4 * 1024 * 1024)
    await producer.start()
    try:
        futures = [
            await producer.send(topic, value, key=key.encode(), headers=headers) for key, value in items
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


@dataclass
class Collected:
    """Messages read from a topic."""

    records: list[Any] = field(default_factory=list)

    def values(self) -> list[dict[str, Any]]:
        return [json.loads(r.value) for r in self.records]


async def consume_all(
    topic: str, *, expect: int | None = None, timeout: float = 30, idle: float = 2.0
) -> Collected:
    """Read a topic from the start until ``expect`` messages, ``idle`` quiet seconds or ``timeout``."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=BOOTSTRAP,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    out = Collected()
    deadline = time.monotonic() + timeout
    last = time.monotonic()
    try:
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for records in batch.values():
                out.records.extend(records)
                last = time.monotonic()
            if expect is not None and len(out.records) >= expect:
                break
            if expect is None and time.monotonic() - last > idle and out.records:
                break
    finally:
        await consumer.stop()
    return out


async def committed_offsets(group: str, topic: str) -> dict[int, int]:
    """Committed offset per partition of a consumer group (-1 / missing when none)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        out: dict[int, int] = {}
        for p in partitions:
            offset = await consumer.committed(TopicPartition(topic, p))
            out[p] = offset if offset is not None else 0
        return out
    finally:
        await consumer.stop()


def start_service(module: str, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start ``python -m <module>`` as a separate process with extra environment, logs to a file."""
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
    log = log_path.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", module], cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT
    )


def _host_port(addr: str) -> tuple[str, int]:
    host, _, port = addr.rpartition(":")
    return host or "127.0.0.1", int(port)


def missing_stack() -> list[str]:
    """Which of kafka / redis (from scripts/stack.sh) do not answer."""
    kafka = _host_port(BOOTSTRAP)
    redis_addr = _host_port(REDIS_URL.split("//", 1)[1].split("/", 1)[0])
    return [name for name, addr in (("kafka", kafka), ("redis", redis_addr)) if not port_open(*addr)]
