"""Delivery against a real local webhook receiver and fake Slack, state in real Redis: 500 then
recovery, 429 with Retry-After, an endpoint down for a while then back (everything delivered
once), permanent failure to the DLQ record."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.alerter.clock import SystemClock
from services.alerter.delivery import SinkFactory
from services.alerter.engine import AlertEngine
from services.alerter.routes import load_alerting
from services.alerter.silences import SilenceStore
from services.alerter.state import AlertState
from shared.redis_store import connect
from shared.webhook_signature import verify
from tests.integration.alerter.receiver import Receiver
from tests.kafka_helpers import REDIS_URL
from tests.unit.alerter.factories import Collector, event

pytestmark = pytest.mark.redis

SECRET = "integration-secret"
YAML = """version: 1
defaults:
  retry: {{budget_seconds: {budget}, initial_seconds: 0.2, max_seconds: 1}}
channels:
  hook: {{type: webhook, url_env: HOOK_URL, secret_env: HOOK_SECRET}}
  slack: {{type: slack, url_env: SLACK_URL}}
routes:
  - name: r
    channels: [hook, slack]
"""


class Running:
    def __init__(self, engine: AlertEngine, collector: Collector) -> None:
        self.engine, self.collector = engine, collector


@contextlib.asynccontextmanager
async def running_engine(
    tmp_path: Path, receiver: Receiver, prefix: str, budget: float = 60
) -> AsyncIterator[Running]:
    path = tmp_path / "alerting.yaml"
    path.write_text(YAML.format(budget=budget))
    env = {"HOOK_URL": receiver.url + "/hook", "HOOK_SECRET": SECRET, "SLACK_URL": receiver.url + "/slack"}
    cfg = load_alerting(path, env=env)
    redis = connect(REDIS_URL)
    clock = SystemClock()
    state = AlertState(redis, prefix, ttl_seconds=3600, lease_seconds=10)
    collector = Collector()
    sinks = SinkFactory(clock)
    engine = AlertEngine(
        state=state,
        config=lambda: cfg,
        sinks=sinks,
        publisher=collector,
        silences=SilenceStore(redis, state.silences, clock),
        clock=clock,
        alerts_topic="alerts",
        dlq_topic="alerts.dlq",
    )
    stop = asyncio.Event()
    task = asyncio.create_task(engine.run(stop, 0.05))
    try:
        yield Running(engine, collector)
    finally:
        stop.set()
        engine.wake.set()
        await asyncio.wait_for(task, 10)
        await sinks.close()
        await redis.aclose()


async def wait_for(predicate: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.05)


async def test_500_then_recovery(tmp_path: Path, receiver: Receiver, redis_prefix: str) -> None:
    receiver.script[:] = [(500, {}), (502, {}), (500, {})]
    async with running_engine(tmp_path, receiver, redis_prefix) as run:
        await run.engine.on_event(event("new_story", story_id="s-500"))
        await receiver.wait_accepted(2, timeout=20)
        await wait_for(lambda: len(run.collector.logs("sent")) == 2, 5)
    assert len(receiver.requests) == 5
    hook = next(r for r in receiver.accepted if r.path == "/hook")
    assert verify(SECRET, hook.body, hook.headers["x-wirewatch-signature"]) > 0
    assert hook.json()["stories"][0]["story_id"] == "s-500"
    slack = next(r for r in receiver.accepted if r.path == "/slack")
    assert slack.json()["blocks"][0]["type"] == "header"
    assert sorted(r["attempts"] for r in run.collector.logs("sent")) in ([1, 4], [2, 3])


async def test_429_with_retry_after_is_honoured(
    tmp_path: Path, receiver: Receiver, redis_prefix: str
) -> None:
    receiver.script[:] = [(429, {"Retry-After": "2"})]
    async with running_engine(tmp_path, receiver, redis_prefix) as run:
        started = time.monotonic()
        await run.engine.on_event(event("new_story", story_id="s-429"))
        await receiver.wait_accepted(2, timeout=20)
        first_429 = receiver.requests[0]
        retry_times = [time.monotonic() - started for _ in [0]]
        await wait_for(lambda: len(run.collector.logs("sent")) == 2, 5)
    assert first_429.status == 429
    assert retry_times[0] >= 1.9, "the retry waited for Retry-After"


async def test_endpoint_down_then_up_delivers_everything_once(
    tmp_path: Path, receiver: Receiver, redis_prefix: str
) -> None:
    await receiver.stop()  # connection refused for a while
    n = 25
    async with running_engine(tmp_path, receiver, redis_prefix) as run:
        for i in range(n):
            await run.engine.on_event(event("new_story", story_id=f"down-{i}", title=f"story {i}"))
        await asyncio.sleep(3)
        assert receiver.accepted == []
        await receiver.start()  # same port
        await receiver.wait_accepted(2 * n, timeout=30)
        await wait_for(lambda: len(run.collector.logs("sent")) == 2 * n, 10)
        await asyncio.sleep(1)
        assert await run.engine.state.scheduled_count() == 0
    keys = receiver.keys("/hook")
    assert len(keys) == n and len(set(keys)) == n
    assert len([r for r in receiver.accepted if r.path == "/slack"]) == n
    assert all(r["attempts"] >= 2 for r in run.collector.logs("sent"))
    assert run.collector.logs("failed") == []


async def test_budget_spent_logs_failed_and_dead_letters(
    tmp_path: Path, receiver: Receiver, redis_prefix: str
) -> None:
    receiver.script[:] = [(503, {})] * 100
    async with running_engine(tmp_path, receiver, redis_prefix, budget=1.5) as run:
        await run.engine.on_event(event("new_story", story_id="s-dead"))
        await wait_for(lambda: len(run.collector.logs("failed")) == 2, 15)
    dlq = [o for o in run.collector.outputs if o.topic == "alerts.dlq"]
    assert len(dlq) == 2 and all(b"s-dead" in o.payload() for o in dlq)
    assert receiver.accepted == []
