"""The real alerter process over real Kafka and Redis: SIGKILL mid-stream, restart, and every
alert reaches the webhook and the fake Slack exactly once; the delivery log is on the alerts topic.

The kill happens while the receiver holds requests unanswered (so nothing is inside the one
documented duplicate window: "endpoint accepted, sent not yet recorded"); those held requests were
never accepted and must be delivered after the restart — once.
"""

from __future__ import annotations

import asyncio
import signal
import uuid
from pathlib import Path

import pytest

from shared.messages import encode
from tests.integration.alerter.receiver import Receiver
from tests.kafka_helpers import consume_all, free_port, make_namespace, produce, start_service
from tests.unit.alerter.factories import event

pytestmark = [pytest.mark.kafka, pytest.mark.redis]

YAML = """version: 1
defaults:
  retry: {budget_seconds: 300, initial_seconds: 0.2, max_seconds: 1}
channels:
  hook: {type: webhook, url_env: HOOK_URL, secret_env: HOOK_SECRET}
  slack: {type: slack, url_env: SLACK_URL}
routes:
  - name: r
    channels: [hook, slack]
"""


async def test_sigkill_mid_stream_no_duplicate_and_delivery_log(
    tmp_path: Path, receiver: Receiver, redis_prefix: str
) -> None:
    topics = await make_namespace("alerter")
    namespace = topics.stories.removesuffix(".stories.v1")
    config = tmp_path / "alerting.yaml"
    config.write_text(YAML)
    env = {
        "WIREWATCH_TOPIC_NAMESPACE": namespace,
        "WIREWATCH_REDIS_PREFIX": redis_prefix,
        "WIREWATCH_ALERTER__ALERTING_FILE": str(config),
        "WIREWATCH_ALERTER__CONSUMER_GROUP": f"alerter-{uuid.uuid4().hex[:8]}",
        "WIREWATCH_ALERTER__LEASE_SECONDS": "3",
        "WIREWATCH_ALERTER__SCHEDULER_INTERVAL_SECONDS": "0.1",
        "WIREWATCH_METRICS_PORT": str(free_port()),
        "WIREWATCH_SETTINGS_FILE": str(tmp_path / "none.yaml"),
        "HOOK_URL": receiver.url + "/hook",
        "HOOK_SECRET": "process-secret",
        "SLACK_URL": receiver.url + "/slack",
    }
    n, later = 60, 20
    events = [event("new_story", story_id=f"kill-{i}", title=f"story {i}") for i in range(n + later)]
    await produce(topics.stories, [(e.story_id, encode(e)) for e in events[:n]])
    receiver.delay = 0.03
    log = tmp_path / "alerter.log"
    first = start_service("services.alerter", env, log)
    try:
        await receiver.wait_accepted(n // 2, timeout=90)
        receiver.gate.clear()  # hold new requests unanswered...
        await asyncio.sleep(1.5)  # ...let answered ones be recorded as sent...
        first.send_signal(signal.SIGKILL)  # ...and kill mid-stream
        first.wait(10)
        held = len(receiver.requests) - len(receiver.accepted)
        receiver.gate.set()
        accepted_before = len(receiver.accepted)
        assert accepted_before < 2 * n, "the kill must happen mid-stream"
        # more events while the alerter is down: the restarted consumer picks them up from Kafka
        await produce(topics.stories, [(e.story_id, encode(e)) for e in events[n:]])
        n += later
        second = start_service("services.alerter", env, log)
        try:
            await receiver.wait_accepted(2 * n, timeout=120)
            await asyncio.sleep(3)  # a duplicate would arrive now
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(30) == 0
    finally:
        if first.poll() is None:
            first.kill()
    keys = receiver.keys("/hook")
    assert len(keys) == n and len(set(keys)) == n, f"hook: {len(keys)} accepted, {len(set(keys))} distinct"
    slack_texts = [r.json()["text"] for r in receiver.accepted if r.path == "/slack"]
    assert len(slack_texts) == n and len(set(slack_texts)) == n
    assert held >= 1, "some requests were in flight at the kill"
    records = (await consume_all(topics.alerts, timeout=30, idle=3)).values()
    sent = {(r["alert_id"], r["channel"]) for r in records if r["status"] == "sent"}
    assert len(sent) == 2 * n
    assert {r["schema"] for r in records} == {"alert.delivery/1"}
    assert all(r["latency_seconds"] is not None for r in records if r["status"] == "sent")
