"""The shared consumer runtime against the real Kafka broker, with the consumer as a separate process."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from shared.ids import article_id
from shared.messages import ArticleRaw, encode
from shared.settings import Topics
from tests.kafka_helpers import (
    committed_offsets,
    consume_all,
    free_port,
    make_namespace,
    produce,
    start_service,
)

pytestmark = [pytest.mark.kafka]

MODULE = "tests.integration.shared.echo_service"


def raw_article(n: int, title: str | None = None) -> tuple[str, bytes]:
    url = f"https://runtime-test.example/{uuid.uuid4().hex}/{n}"
    aid = article_id(url)
    now = datetime.now(UTC)
    msg = ArticleRaw(
        trace=aid,
        article_id=aid,
        url=url,
        canonical_url=url,
        feed_id="runtime-test",
        source="Runtime Test",
        title=title or f"Article number {n}",
        text=f"Body of test article {n}.",
        lang="en",
        fetched_at=now,
        content_sha256="0" * 64,
    )
    return aid, encode(msg)


class Consumers:
    """Starts and stops echo consumer processes for one test."""

    def __init__(self, topics: Topics, group: str, tmp: Path) -> None:
        self.topics, self.group, self.tmp = topics, group, tmp
        self.procs: list[tuple[subprocess.Popen[bytes], int]] = []

    def start(self, **env: str) -> tuple[subprocess.Popen[bytes], int]:
        port = free_port()
        proc = start_service(
            MODULE,
            {
                "WIREWATCH_TOPIC_NAMESPACE": self.topics.raw.split(".")[0],
                "WIREWATCH_METRICS_PORT": str(port),
                "WIREWATCH_METRICS_HOST": "127.0.0.1",
                "ECHO_GROUP": self.group,
                **env,
            },
            self.tmp / f"consumer-{len(self.procs)}.log",
        )
        self.procs.append((proc, port))
        return proc, port

    def stop_all(self) -> None:
        for proc, _ in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


@pytest.fixture
async def topics() -> Topics:
    return await make_namespace("rt")


@pytest.fixture
def consumers(topics: Topics, tmp_path: Path) -> Iterator[Consumers]:
    c = Consumers(topics, f"g-{uuid.uuid4().hex[:8]}", tmp_path)
    yield c
    c.stop_all()


async def health(port: int) -> dict[str, object]:
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(100):
            try:
                response = await client.get(f"http://127.0.0.1:{port}/healthz")
                result: dict[str, object] = response.json()
                return result
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise AssertionError(f"no /healthz on port {port}")


async def test_round_trip(topics: Topics, consumers: Consumers) -> None:
    items = [raw_article(n) for n in range(40)]
    await produce(topics.raw, items)
    _, port = consumers.start()
    out = await consume_all(topics.tagged, expect=40, timeout=60)
    ids = {v["article_id"] for v in out.values()}
    assert ids == {k for k, _ in items}
    assert all(v["schema"] == "article.tagged/1" for v in out.values())
    async with httpx.AsyncClient() as client:
        metrics = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    assert 'wirewatch_messages_total{service="echo",status="ok"' in metrics
    assert "wirewatch_consumer_lag" in metrics


async def test_sigkill_mid_batch_loses_nothing(topics: Topics, consumers: Consumers) -> None:
    items = [raw_article(n) for n in range(300)]
    await produce(topics.raw, items)
    proc, _ = consumers.start(ECHO_SLEEP="0.01", ECHO_BATCH="100")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        seen = await consume_all(topics.tagged, timeout=2, idle=0.5)
        if len(seen.records) >= 60:
            break
    proc.kill()  # SIGKILL: no graceful anything
    proc.wait(10)
    consumers.start()
    expected = {k for k, _ in items}
    deadline = time.monotonic() + 90
    got: set[str] = set()
    while time.monotonic() < deadline and got != expected:
        got = {v["article_id"] for v in (await consume_all(topics.tagged, timeout=5, idle=1)).values()}
    assert got == expected, f"lost {len(expected - got)} messages"


async def test_poison_goes_to_dlq_and_later_messages_flow(topics: Topics, consumers: Consumers) -> None:
    good_before, good_after = raw_article(1), raw_article(2)
    poison = raw_article(3, title="POISON article")
    flaky = raw_article(4, title="FLAKY article")
    items = [
        good_before,
        ("k-bad-json", b"{not json"),
        ("k-bad-schema", json.dumps({"schema": "article.raw/1", "title": 7}).encode()),
        poison,
        flaky,
        good_after,
    ]
    # one key -> one partition, so the order above is the processing order
    await produce(topics.raw, [("same-key", value) for _, value in items])
    consumers.start()
    out = await consume_all(topics.tagged, expect=3, timeout=60)
    assert {v["article_id"] for v in out.values()} == {good_before[0], flaky[0], good_after[0]}
    dlq = await consume_all(topics.raw + ".dlq", expect=3, timeout=30)
    assert len(dlq.records) == 3
    errors = [dict(r.headers)["wirewatch-error-type"] for r in dlq.records]
    assert errors == [b"PermanentError"] * 3
    for r in dlq.records:
        headers = dict(r.headers)
        assert headers["wirewatch-source-topic"] == topics.raw.encode()
        assert headers["wirewatch-service"] == b"echo"
        assert int(headers["wirewatch-source-offset"]) >= 1
    assert dlq.records[0].value == b"{not json"


async def test_sigterm_commits_and_exits_zero(topics: Topics, consumers: Consumers) -> None:
    items = [raw_article(n) for n in range(200)]
    await produce(topics.raw, items)
    proc, _ = consumers.start(ECHO_SLEEP="0.02", ECHO_BATCH="20")
    await consume_all(topics.tagged, expect=30, timeout=60)
    proc.send_signal(signal.SIGTERM)
    started = time.monotonic()
    rc = proc.wait(timeout=15)
    assert rc == 0
    assert time.monotonic() - started < 10
    produced = len((await consume_all(topics.tagged, timeout=10, idle=1.5)).records)
    committed = sum((await committed_offsets(consumers.group, topics.raw)).values())
    # everything committed was processed (outputs flushed first); nothing processed is left uncommitted
    assert committed == produced, (committed, produced)
    assert 0 < committed < 200


async def test_two_replicas_share_partitions_and_survivor_takes_over(
    topics: Topics, consumers: Consumers
) -> None:
    first, port1 = consumers.start()
    second, port2 = consumers.start()
    await produce(topics.raw, [raw_article(n) for n in range(60)])
    await consume_all(topics.tagged, expect=60, timeout=60)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        p1, p2 = (await health(port1))["partitions"], (await health(port2))["partitions"]
        assert isinstance(p1, list) and isinstance(p2, list)
        if p1 and p2 and len(p1) + len(p2) == 6:
            break
        await asyncio.sleep(0.5)
    assert p1 and p2 and sorted(p1 + p2) == list(range(6)), (p1, p2)
    second.send_signal(signal.SIGTERM)
    assert second.wait(15) == 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if (await health(port1))["partitions"] == list(range(6)):
            break
        await asyncio.sleep(0.5)
    assert (await health(port1))["partitions"] == list(range(6))
    later = [raw_article(n) for n in range(100, 130)]
    await produce(topics.raw, later)
    out = await consume_all(topics.tagged, expect=90, timeout=60)
    assert {k for k, _ in later} <= {v["article_id"] for v in out.values()}
    assert first.poll() is None
