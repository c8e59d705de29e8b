"""The end-to-end harness: replay server + the four services as processes + a webhook receiver.

Everything runs against the real Kafka and Redis, in a uuid topic namespace and Redis prefix.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.pipeline import (
    SERVICES,
    LocalPipeline,
    PipelineConfig,
    clear_redis_prefix,
    wait_healthy,
    write_webhook_configs,
)
from tests.kafka_helpers import REDIS_URL, consume_all, free_port
from tests.webhook_receiver import Received, WebhookReceiver

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "tests" / "e2e" / "scenario.jsonl"
SECRET = "e2e-signing-key-" + uuid.uuid4().hex


def load_scenario(path: Path = SCENARIO) -> list[dict[str, Any]]:
    """The scenario lines in release order."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def independent_verify(secret: str, headers: dict[str, str], body: bytes, tolerance: float = 300) -> bool:
    """Check X-Wirewatch-Signature without the project's own verifier (t=<unix>,v1=<hex>)."""
    parts = dict(p.split("=", 1) for p in headers["x-wirewatch-signature"].split(","))
    timestamp = int(parts["t"])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return abs(time.time() - timestamp) <= tolerance and hmac.compare_digest(expected, parts["v1"])


def write_configs(directory: Path, replay_port: int, poll_seconds: float = 1.0) -> dict[str, Path]:
    """Feeds and alerting config for a scenario run (webhook from WIREWATCH_E2E_HOOK_URL/_SECRET)."""
    return write_webhook_configs(
        directory,
        f"http://127.0.0.1:{replay_port}/rss.xml",
        route="e2e",
        hook_env="WIREWATCH_E2E_HOOK",
        feed_id="e2e-replay",
        poll_seconds=poll_seconds,
    )


@dataclass
class ScenarioRun:
    """One run of the pipeline over a scenario file."""

    tmp: Path
    scenario: Path = SCENARIO
    rate: float = 1.0
    lines: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lines = load_scenario(self.scenario)
        self.namespace = f"e2e-{uuid.uuid4().hex[:8]}"
        self.redis_prefix = f"ww:{self.namespace}:"
        self.receiver = WebhookReceiver().start()
        self.replay_port = free_port()
        configs = write_configs(self.tmp, self.replay_port)
        self.config = PipelineConfig(
            namespace=self.namespace,
            redis_prefix=self.redis_prefix,
            log_dir=self.tmp / "logs",
            ports={s: free_port() for s in SERVICES},
            env={
                "WIREWATCH_FETCHER__FEEDS_FILE": str(configs["feeds"]),
                "WIREWATCH_ALERTER__ALERTING_FILE": str(configs["alerting"]),
                "WIREWATCH_E2E_HOOK_URL": self.receiver.url,
                "WIREWATCH_E2E_HOOK_SECRET": SECRET,
            },
        )
        self.pipeline = LocalPipeline(self.config)
        self.by_title = {line["title"]: line for line in self.lines}

    async def start(self) -> None:
        await self.pipeline.prepare()
        for service in ("extractor", "dedup", "alerter", "fetcher"):
            self.pipeline.start(service)
        await wait_healthy(self.config.ports, timeout=120)
        self.pipeline.start_replay(self.scenario, self.replay_port, self.rate)

    def expected_alerts(self) -> int:
        return sum(1 for line in self.lines if line["expect"]["role"] in ("first", "development"))

    async def wait_for_alerts(self, count: int, timeout: float, settle: float = 8.0) -> list[Received]:
        """Wait until ``count`` alerts arrived (or timeout), then ``settle`` s more for extras."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.receiver.snapshot()) < count:
            await asyncio.sleep(0.5)
        await asyncio.sleep(settle)
        return self.receiver.snapshot()

    def label_of(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The scenario line of the article that triggered an alert."""
        title = payload["stories"][0]["trigger"]["title"]
        return self.by_title[title]

    async def delivery_log(self) -> list[dict[str, Any]]:
        return (await consume_all(self.config.topics.alerts, timeout=20, idle=3)).values()

    def alert_counts(self) -> Counter[str]:
        return Counter(r.json()["kind"] for r in self.receiver.snapshot())

    async def stop(self) -> dict[str, int | None]:
        codes = self.pipeline.stop()
        self.receiver.stop()
        await clear_redis_prefix(REDIS_URL, self.redis_prefix)
        return codes
