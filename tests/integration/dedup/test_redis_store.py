"""The Redis backend against the real Redis: same decisions as memory, atomic across replicas,
redelivery-safe, every key with a TTL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import redis.asyncio as aioredis

from services.dedup.engine import DedupEngine
from services.dedup.redis_backend import RedisStore
from services.dedup.settings import DedupConfig
from services.dedup.store import MemoryStore
from shared.messages import ArticleTagged
from shared.redis_store import connect
from tests.kafka_helpers import REDIS_URL
from tests.unit.dedup import texts
from tests.unit.dedup.test_engine import NIS_ENTITIES, NIS_FACT, RULES
from tests.unit.dedup.texts import NOW, article, fact

pytestmark = pytest.mark.redis
CONFIG = DedupConfig(horizon_days=2)


@pytest.fixture
async def client() -> AsyncIterator[aioredis.Redis]:
    redis = connect(REDIS_URL)
    yield redis
    await redis.aclose()


def comparable(payload: bytes) -> dict[str, object]:
    """An event without its production time."""
    event: dict[str, object] = json.loads(payload)
    event.pop("produced_at")
    return event


def redis_engine(redis: aioredis.Redis, prefix: str) -> DedupEngine:
    return DedupEngine(RedisStore(redis, prefix, CONFIG), CONFIG, lambda _: RULES)


def scenario() -> list[ArticleTagged]:
    """A story with copies, a cross-language report, a development, and unrelated articles."""
    nato = ("country:KP", "country:RU", "org:nato", "place:kursk", "person:rutte")
    return [
        article("nis", texts.EN_NIS, entities=NIS_ENTITIES, facts=(NIS_FACT,)),
        article(
            "copy",
            texts.retitle_and_tail(texts.EN_NIS, "SEOUL"),
            when=NOW + timedelta(hours=1),
            entities=NIS_ENTITIES,
        ),
        article("floods", texts.EN_FLOODS, relevant=False, when=NOW + timedelta(hours=1)),
        article(
            "ko",
            texts.KO_NIS,
            lang="ko",
            when=NOW + timedelta(hours=2),
            entities=NIS_ENTITIES,
            facts=(NIS_FACT,),
        ),
        article(
            "dev",
            texts.ID_NIS,
            lang="id",
            when=NOW + timedelta(hours=3),
            entities=(*NIS_ENTITIES, "org:nato"),
            facts=(NIS_FACT, fact("troop_count", 10000, "10.000 tentara")),
        ),
        article("nato", texts.EN_NATO, when=NOW + timedelta(days=10), entities=nato),
        article("zh-copy", texts.ZH_NIS, lang="zh", relevant=False, when=NOW + timedelta(hours=4)),
    ]


async def test_redis_backend_decides_like_the_memory_backend(client: aioredis.Redis, prefix: str) -> None:
    on_redis = redis_engine(client, prefix)
    in_memory = DedupEngine(MemoryStore(), CONFIG, lambda _: RULES)
    for a in scenario():
        r, m = await on_redis.process(a), await in_memory.process(a)
        assert (r.group, r.near_duplicate_of, r.exact_copy) == (m.group, m.near_duplicate_of, m.exact_copy)
        assert [(e.story_id, e.kind, comparable(e.payload)) for e in r.events] == [
            (e.story_id, e.kind, comparable(e.payload)) for e in m.events
        ]


async def test_redelivery_replays_the_same_event_and_changes_nothing(
    client: aioredis.Redis, prefix: str
) -> None:
    engine = redis_engine(client, prefix)
    results = [await engine.process(a) for a in scenario()]
    before = await client.get(f"{prefix}st:v:nk-russia-military")
    for a, first in zip(scenario(), results, strict=True):
        again = await engine.process(a)
        assert [e.payload for e in again.events] == [e.payload for e in first.events]
        assert all(e.replayed for e in again.events)
        assert again.group == first.group
    assert await client.get(f"{prefix}st:v:nk-russia-military") == before


async def test_two_replicas_racing_on_copies_make_one_story(prefix: str) -> None:
    # Two engines with their own connections (as two replicas would have) get a burst of copies at once.
    copies = [
        article(
            f"copy-{n}",
            texts.retitle_and_tail(texts.EN_NIS, f"SEOUL {n}"),
            source=f"Outlet {n}",
            entities=NIS_ENTITIES,
        )
        for n in range(12)
    ]
    clients = [connect(REDIS_URL), connect(REDIS_URL)]
    engines = [redis_engine(c, prefix) for c in clients]
    try:
        results = await asyncio.gather(
            *(engines[n % 2].process(a) for n, a in enumerate(copies)),
            *(engines[(n + 1) % 2].process(a) for n, a in enumerate(copies)),  # every copy redelivered
        )
    finally:
        for c in clients:
            await c.aclose()
    events = {json.loads(e.payload)["event_id"]: e for r in results for e in r.events}
    assert len({e.story_id for e in events.values()}) == 1
    assert [e.kind for e in events.values()].count("new_story") == 1
    assert len(events) == len(copies)  # one event per article, redeliveries replay the same id


async def test_every_key_has_a_ttl_within_the_horizon(client: aioredis.Redis, prefix: str) -> None:
    engine = redis_engine(client, prefix)
    for a in scenario():
        await engine.process(a)
    keys = [k async for k in client.scan_iter(match=prefix + "*", count=1000)]
    assert keys
    horizon = int(CONFIG.horizon_days * 86400)
    for key in keys:
        ttl = await client.ttl(key)
        assert 0 < ttl <= horizon * 1.5 + 1, (key, ttl)
    kinds = {k.decode().removeprefix(prefix).split(":")[1] for k in keys}
    assert {"x", "b", "s", "n", "a", "e", "g", "d", "t", "f", "v", "df"} <= kinds
    articles, memory = await RedisStore(client, prefix, CONFIG).index_stats()
    assert articles == len(scenario()) and memory > 0
