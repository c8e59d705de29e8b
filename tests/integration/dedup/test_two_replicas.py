"""Two real dedup processes (``python -m services.dedup``) share a burst of copies of one story,
each copy delivered twice: exactly one story, one new_story event, one event per article."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from shared.messages import encode
from shared.settings import Topics
from tests.kafka_helpers import consume_all, free_port, make_namespace, produce, start_service
from tests.unit.dedup import texts
from tests.unit.dedup.test_engine import NIS_ENTITIES, NIS_FACT
from tests.unit.dedup.texts import NOW, article

pytestmark = [pytest.mark.kafka, pytest.mark.redis]
COPIES = 24


@pytest.fixture
async def topics() -> Topics:
    return await make_namespace("dd")


@pytest.fixture
def replicas(
    topics: Topics, prefix: str, tmp_path: Path
) -> Iterator[list[tuple[subprocess.Popen[bytes], int]]]:
    group = f"dedup-{uuid.uuid4().hex[:8]}"
    procs = []
    for n in range(2):
        port = free_port()
        env = {
            "WIREWATCH_TOPIC_NAMESPACE": topics.raw.split(".")[0],
            "WIREWATCH_REDIS_PREFIX": prefix,
            "WIREWATCH_CONSUMER_GROUP": group,
            "WIREWATCH_CONFIG_DIR": str(tmp_path),  # no watchlists: default story rules
            "WIREWATCH_METRICS_PORT": str(port),
            "WIREWATCH_METRICS_HOST": "127.0.0.1",
            "WIREWATCH_INSTANCE": f"dedup-{n}",
        }
        procs.append((start_service("services.dedup", env, tmp_path / f"dedup-{n}.log"), port))
    yield procs
    for proc, _ in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


async def health(port: int) -> dict[str, object]:
    async with httpx.AsyncClient(timeout=2) as client:
        try:
            found: dict[str, object] = (await client.get(f"http://127.0.0.1:{port}/healthz")).json()
            return found
        except httpx.TransportError:
            return {}


async def partitions(port: int) -> list[int]:
    found = (await health(port)).get("partitions", [])
    return found if isinstance(found, list) else []


async def test_two_processes_make_one_story_from_a_burst_of_copies(
    topics: Topics, replicas: list[tuple[subprocess.Popen[bytes], int]]
) -> None:
    deadline = time.monotonic() + 60
    assigned: list[list[int]] = [[], []]
    while time.monotonic() < deadline:
        assigned = [await partitions(port) for _, port in replicas]
        if all(assigned) and len(assigned[0]) + len(assigned[1]) == 6:
            break
        await asyncio.sleep(0.5)
    assert all(assigned), f"both replicas must own partitions before the burst: {assigned}"
    copies = [
        article(
            f"burst-{uuid.uuid4().hex}",
            texts.retitle_and_tail(texts.EN_NIS, f"SEOUL {n}"),
            source=f"Outlet {n}",
            when=NOW + timedelta(minutes=n),
            entities=NIS_ENTITIES,
            facts=(NIS_FACT,),
        )
        for n in range(COPIES)
    ]
    items = [(a.article_id, encode(a)) for a in copies]
    await produce(topics.tagged, items + items)  # every copy twice: a redelivery
    out = await consume_all(topics.stories, expect=2 * COPIES, timeout=60, idle=5)
    events = out.values()
    assert {e["article"]["article_id"] for e in events} == {a.article_id for a in copies}
    assert len({e["story_id"] for e in events}) == 1
    by_id = {e["event_id"]: e for e in events}
    assert len(by_id) == COPIES  # a redelivered article replays its event (same id), never a new one
    assert [e["kind"] for e in by_id.values()].count("new_story") == 1
    assert all(proc.poll() is None for proc, _ in replicas)
    processed = [(await health(port)).get("processed") for _, port in replicas]
    assert all(isinstance(n, int) and n > 0 for n in processed), processed  # both replicas took part
