"""Builders for alerter tests: story events, a fake clock, a collecting publisher, an engine."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from services.alerter.delivery import SinkFactory
from services.alerter.engine import AlertEngine
from services.alerter.routes import AlertingConfig, load_alerting
from services.alerter.silences import SilenceStore
from services.alerter.state import AlertState
from shared.messages import Change, Entity, Fact, SourceRef, StoryEvent, StorySnapshot, TriggerArticle
from shared.producer import Output

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # a Friday, 13:00 in Berlin


class FakeClock:
    """A clock moved by hand."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start.timestamp()

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Collector:
    """A publisher that keeps what would go to Kafka."""

    outputs: list[Output] = field(default_factory=list)

    async def send_all(self, outputs: Sequence[Output]) -> None:
        self.outputs.extend(outputs)

    def logs(self, status: str | None = None) -> list[dict[str, Any]]:
        out = []
        for o in self.outputs:
            if isinstance(o.value, bytes):
                continue
            record = json.loads(o.payload())
            if status is None or record["status"] == status:
                out.append(record)
        return out


def event(
    kind: str = "new_story",
    story_id: str = "s1",
    *,
    title: str = "North Korean troops deployed to Kursk",
    changes: Sequence[str] = (),
    fetched_at: datetime = T0,
    watchlist: str = "nk-russia-military",
    sources: int = 2,
    article_id: str = "a" * 32,
) -> StoryEvent:
    """A story event with a plausible snapshot."""
    refs = [
        SourceRef(
            source=f"outlet{i}",
            url=f"https://outlet{i}.example/news/{story_id}",
            lang=["en", "ko", "ru"][i % 3],
            title=f"{title} ({i})",
            article_id=f"{i:032x}",
        )
        for i in range(sources)
    ]
    snap = StorySnapshot(
        title=title,
        first_seen=fetched_at - timedelta(hours=1),
        last_seen=fetched_at,
        member_count=max(1, sources),
        sources=refs,
        languages=sorted({r.lang for r in refs}),
        entities=[
            Entity(id="country:KP", type="country", surface_forms=["North Korea"], count=3),
            Entity(id="place:kursk", type="place", surface_forms=["Kursk"], count=2),
        ],
        facts=[
            Fact(
                type="troop_count",
                value=10000,
                unit="troops",
                actor="country:KP",
                place="place:kursk",
                span="10,000 troops",
            )
        ],
        what_changed=[Change(kind="fact", summary=c) for c in changes],
    )
    return StoryEvent(
        trace=article_id,
        kind=kind,
        story_id=story_id,
        watchlist=watchlist,
        story=snap,
        article=TriggerArticle(
            article_id=article_id,
            url=f"https://outlet0.example/news/{story_id}/{len(changes)}",
            source="outlet0",
            title=title,
            lang="en",
            fetched_at=fetched_at,
        ),
    )


WEBHOOK_ENV = {"HOOK_URL": "https://hooks.example/in", "HOOK_SECRET": "s3cr3t-signing-key"}


def config_file(tmp_path: Path, routes: str, channels: str | None = None, defaults: str = "") -> Path:
    """Write an alerting.yaml with a signed webhook channel ``hook`` and the given routes."""
    channels = channels or (
        "  hook:\n    type: webhook\n    url_env: HOOK_URL\n    secret_env: HOOK_SECRET\n"
        "  slack:\n    type: slack\n    url_env: HOOK_URL\n"
    )
    path = tmp_path / "alerting.yaml"
    path.write_text(f"version: 1\n{defaults}channels:\n{channels}routes:\n{routes}", encoding="utf-8")
    return path


@dataclass
class Harness:
    """An engine over a fake Redis and an httpx MockTransport."""

    engine: AlertEngine
    clock: FakeClock
    collector: Collector
    requests: list[httpx.Request]
    responses: list[httpx.Response]
    config: AlertingConfig
    redis: Any

    async def handle(self, ev: StoryEvent) -> None:
        """``on_event`` as the consumer runtime calls it; returned outputs are collected."""
        self.collector.outputs.extend(await self.engine.on_event(ev))

    async def run(self, rounds: int = 3) -> None:
        for _ in range(rounds):
            await self.engine.run_due()

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]


def harness(tmp_path: Path, routes: str, *, defaults: str = "", channels: str | None = None) -> Harness:
    """Build an engine; queued ``responses`` are returned in order, then 200s."""
    from tests.unit.alerter.fake_redis import FakeRedis

    clock = FakeClock()
    requests: list[httpx.Request] = []
    responses: list[httpx.Response] = []

    def respond(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if responses:
            item = responses.pop(0)
            if isinstance(item, Exception):
                raise item
            return item
        return httpx.Response(200, text="ok")

    cfg = load_alerting(config_file(tmp_path, routes, channels, defaults), env=WEBHOOK_ENV)
    redis = FakeRedis()
    state = AlertState(redis, "t:", ttl_seconds=86400, lease_seconds=60)
    collector = Collector()
    client = httpx.AsyncClient(transport=httpx.MockTransport(respond))
    engine = AlertEngine(
        state=state,
        config=lambda: cfg,
        sinks=SinkFactory(clock, client),
        publisher=collector,
        silences=SilenceStore(redis, state.silences, clock, cache_seconds=0),
        clock=clock,
        alerts_topic="wirewatch.alerts.v1",
        dlq_topic="wirewatch.alerts.v1.dlq",
    )
    return Harness(engine, clock, collector, requests, responses, cfg, redis)
