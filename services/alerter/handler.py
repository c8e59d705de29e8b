"""The alerter's consumer handler: story events in, decisions recorded in Redis, delivery-log
records of suppressions out. Sending happens in the scheduler task this handler starts, so a slow
or dead webhook never blocks the consumer (its retries live in Redis, not in a stuck partition)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from services.alerter.clock import Clock, SystemClock
from services.alerter.delivery import SinkFactory
from services.alerter.engine import AlertEngine, Publisher
from services.alerter.routes import AlertingConfig, load_alerting
from services.alerter.settings import AlerterSettings
from services.alerter.silences import SilenceStore
from services.alerter.state import AlertState
from shared.config_watch import ConfigWatcher
from shared.logs import get_logger
from shared.messages import StoryEvent
from shared.producer import Output, Producer
from shared.redis_store import connect
from shared.runtime import MessageHandler, Record
from shared.settings import dlq_topic

log = get_logger(__name__)


def alerts_dlq(settings: AlerterSettings) -> str:
    """The alerts DLQ: ``<alerts topic>.dlq`` (alerts that failed after the retry budget)."""
    return dlq_topic(settings.topics.alerts)


def config_loader(settings: AlerterSettings) -> tuple[list[Path], Any]:
    """The files to watch and a loader for ``alerting.yaml`` (plus the secrets file)."""
    opts = settings.alerter

    def files() -> list[Path]:
        return [opts.alerting_file] + ([opts.secrets_file] if opts.secrets_file else [])

    def load() -> AlertingConfig:
        return load_alerting(opts.alerting_file, secrets_file=opts.secrets_file)

    return files(), load


class AlerterHandler(MessageHandler[StoryEvent]):
    """Consumes story.event/1; runs the scheduler and the config watcher next to the consumer."""

    model = StoryEvent

    def __init__(
        self,
        settings: AlerterSettings,
        *,
        clock: Clock | None = None,
        publisher: Publisher | None = None,
        redis: Any = None,
        http_client: httpx.AsyncClient | None = None,
        run_scheduler: bool = True,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self._publisher = publisher
        self._own_producer: Producer | None = None
        self._redis = redis
        self._http_client = http_client
        self._run_scheduler = run_scheduler
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.engine: AlertEngine | None = None
        self.watcher: ConfigWatcher[AlertingConfig] | None = None

    async def start(self) -> None:
        """Connect Redis and the delivery-log producer, load the config, start the scheduler."""
        opts = self.settings.alerter
        files, load = config_loader(self.settings)
        self.watcher = ConfigWatcher("alerting", "alerter", lambda: files, load)
        for warning in self.watcher.current.warnings:
            log.warning(warning)
        if self._redis is None:
            self._redis = connect(self.settings.redis_url)
        if self._publisher is None:
            self._own_producer = Producer(self.settings.kafka_bootstrap, "alerter")
            await self._own_producer.start()
            self._publisher = self._own_producer
        watcher = self.watcher
        state = AlertState(
            self._redis,
            self.settings.redis_prefix,
            ttl_seconds=opts.state_ttl_days * 86400,
            lease_seconds=opts.lease_seconds,
        )
        self.engine = AlertEngine(
            state=state,
            config=lambda: watcher.current,
            sinks=SinkFactory(self.clock, self._http_client, opts.http_timeout_seconds),
            publisher=self._publisher,
            silences=SilenceStore(self._redis, state.silences, self.clock),
            clock=self.clock,
            alerts_topic=self.settings.topics.alerts,
            dlq_topic=alerts_dlq(self.settings),
            max_concurrency=opts.max_concurrent_deliveries,
        )
        self._tasks.append(asyncio.create_task(watcher.watch(self._stop, opts.config_check_interval)))
        if self._run_scheduler:
            self._tasks.append(
                asyncio.create_task(self.engine.run(self._stop, opts.scheduler_interval_seconds))
            )
        log.info(
            "alerter ready",
            extra={"routes": [r.name for r in watcher.current.routes], "dlq": alerts_dlq(self.settings)},
        )

    async def handle(self, message: StoryEvent, record: Record) -> Sequence[Output]:
        """Decide what the event means on each route (see ``AlertEngine.on_event``)."""
        assert self.engine is not None, "start() first"
        return await self.engine.on_event(message)

    async def stop(self) -> None:
        """Stop the scheduler after its current round, then close clients."""
        self._stop.set()
        if self.engine is not None:
            self.engine.wake.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, timeout=30)
        if self.engine is not None:
            await self.engine.sinks.close()
        if self._own_producer is not None:
            await self._own_producer.stop()
        if self._redis is not None:
            await self._redis.aclose()

    def health(self) -> dict[str, object]:
        """Config state for /healthz."""
        fields: dict[str, object] = {}
        if self.watcher is not None:
            fields["alerting_config_error"] = self.watcher.last_error
            fields["routes"] = len(self.watcher.current.routes)
        fields["scheduler_alive"] = all(not t.done() for t in self._tasks) if self._tasks else False
        return fields
