"""The consumer runtime every wirewatch service runs on.

A service is a ``MessageHandler`` plus a ``ConsumerSpec``; this module owns the loop:

    poll a batch -> decode + validate -> handler (retry transient errors) -> send outputs
    -> wait for acks=all -> commit offsets (offset + 1) -> next batch

Messages that can never succeed (undecodable JSON, schema-invalid, ``PermanentError``) go to the
DLQ with headers naming the error and the source, and the offset moves on. Too many DLQs in a row
means a bug: the service crashes instead of draining a topic into the DLQ. SIGTERM/SIGINT finishes
the batch in hand, flushes, commits and exits 0; a second SIGINT kills at once.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from pydantic import BaseModel, ValidationError

from shared import metrics
from shared.errors import PermanentError
from shared.health_server import HealthServer
from shared.logs import get_logger, setup_logging
from shared.messages import utc_now
from shared.producer import MAX_MESSAGE_BYTES, Output, Producer, backoff_delay
from shared.settings import ServiceSettings, dlq_topic

log = get_logger(__name__)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Record:
    """Where a message came from; handlers use it for logs and idempotency keys."""

    topic: str
    partition: int
    offset: int
    key: str | None
    timestamp_ms: int


@dataclass(frozen=True)
class ConsumerSpec:
    """What a service consumes and how hard the runtime tries."""

    service: str
    source_topic: str
    group_id: str
    max_batch: int = 200
    max_consecutive_dlq: int = 100
    retry_initial_seconds: float = 0.2
    retry_max_seconds: float = 30.0
    max_poll_interval_ms: int = 15 * 60 * 1000
    # Process a batch's records one by one in broker-timestamp order across partitions instead of
    # partition-concurrently: for handlers whose decisions depend on arrival order (dedup).
    ordered: bool = False

    @property
    def dlq(self) -> str:
        """The DLQ topic of the source topic."""
        return dlq_topic(self.source_topic)


class MessageHandler(Generic[M]):
    """A service's logic. Override ``handle``; ``start``/``stop`` open and close its resources."""

    model: type[M]

    async def start(self) -> None:
        """Open clients (Redis, HTTP) before the first message."""

    async def stop(self) -> None:
        """Close clients after the last commit."""

    async def handle(self, message: M, record: Record) -> Sequence[Output]:
        """Process one message; return what to write. Raise ``PermanentError`` for a DLQ."""
        raise NotImplementedError

    def health(self) -> dict[str, object]:
        """Extra fields for /healthz."""
        return {}


class TooManyDeadLetters(RuntimeError):
    """Raised when more than ``max_consecutive_dlq`` messages in a row went to the DLQ."""


def dlq_output(record: Record, value: bytes, error: BaseException, service: str) -> Output:
    """The DLQ copy of a message: original key and bytes, headers naming the error and source."""
    headers = (
        ("wirewatch-error", str(error)[:1000].encode("utf-8", "replace")),
        ("wirewatch-error-type", type(error).__name__.encode()),
        ("wirewatch-source-topic", record.topic.encode()),
        ("wirewatch-source-partition", str(record.partition).encode()),
        ("wirewatch-source-offset", str(record.offset).encode()),
        ("wirewatch-service", service.encode()),
        ("wirewatch-failed-at", utc_now().isoformat().encode()),
    )
    return Output(dlq_topic(record.topic), record.key or "", value, headers)


def decode(model: type[M], value: bytes | None) -> M:
    """Bytes -> validated model; anything undecodable is a PermanentError."""
    if value is None:
        raise PermanentError("empty message (tombstone)")
    try:
        data = json.loads(value)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, bad UTF-8, absurd nesting
        raise PermanentError(f"undecodable JSON: {type(exc).__name__}: {exc}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise PermanentError(f"schema-invalid {model.__name__}: {exc.error_count()} errors: {exc}") from exc


def check_output_sizes(outputs: Sequence[Output]) -> None:
    """An output the broker can never accept makes its input a PermanentError (DLQ), not a crash loop."""
    for output in outputs:
        size = len(output.payload())
        if size > MAX_MESSAGE_BYTES:
            raise PermanentError(
                f"output to {output.topic} is {size} bytes, over the {MAX_MESSAGE_BYTES}-byte message limit"
            )


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """Holds revocation until the batch in hand is committed, so no partition is processed twice
    by two replicas at the same time without a commit in between."""

    def __init__(self, lock: asyncio.Lock, service: str) -> None:
        self.lock, self.service = lock, service

    async def on_partitions_revoked(self, revoked: Any) -> None:
        async with self.lock:
            log.info("partitions revoked", extra={"partitions": sorted(tp.partition for tp in revoked)})

    async def on_partitions_assigned(self, assigned: Any) -> None:
        log.info("partitions assigned", extra={"partitions": sorted(tp.partition for tp in assigned)})


class ConsumerRuntime(Generic[M]):
    """Runs one handler over one source topic until ``stop`` is set."""

    def __init__(
        self,
        spec: ConsumerSpec,
        handler: MessageHandler[M],
        settings: ServiceSettings,
        stop: asyncio.Event,
    ) -> None:
        self.spec, self.handler, self.settings, self.stop = spec, handler, settings, stop
        self.producer = Producer(settings.kafka_bootstrap, spec.service)
        self._lock = asyncio.Lock()
        self._consecutive_dlq = 0
        self._last_lag_update = 0.0
        self.processed = 0
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap,
            group_id=spec.group_id,
            client_id=f"wirewatch-{spec.service}-{settings.instance}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_interval_ms=spec.max_poll_interval_ms,
            session_timeout_ms=10000,
            heartbeat_interval_ms=2000,
            fetch_max_bytes=16 * 1024 * 1024,
            max_partition_fetch_bytes=8 * 1024 * 1024,
            fetch_min_bytes=1024 * 1024 if settings.kafka_fetch_wait_ms else 1,
            fetch_max_wait_ms=settings.kafka_fetch_wait_ms,
        )

    def health(self) -> dict[str, object]:
        """Runtime fields for /healthz."""
        assigned = sorted(tp.partition for tp in self.consumer.assignment())
        return {"partitions": assigned, "processed": self.processed}

    async def run(self) -> None:
        """Start clients, loop over batches, then flush, commit and close."""
        try:
            await self.producer.start()
            await self.handler.start()
            await self._start_consumer()
            while not self.stop.is_set():
                batch = await self.consumer.getmany(timeout_ms=500, max_records=self.spec.max_batch)
                if batch:
                    async with self._lock:
                        await self._process_batch(batch)
                await self._update_lag()
        finally:
            # Close order: the consumer (leaves the group; nothing uncommitted is acknowledged),
            # then the handler's clients, then the producer (already flushed by the last batch).
            await self.consumer.stop()
            await self.handler.stop()
            await self.producer.stop()
            log.info("consumer stopped", extra={"processed": self.processed})

    async def _start_consumer(self) -> None:
        attempt = 0
        while True:
            try:
                await self.consumer.start()
                break
            except KafkaError as exc:
                delay = backoff_delay(attempt, 0.5, 10)
                log.warning("kafka consumer cannot start (%s); retrying in %.1fs", exc, delay)
                attempt += 1
                await asyncio.sleep(delay)
        self.consumer.subscribe([self.spec.source_topic], listener=_Rebalance(self._lock, self.spec.service))
        log.info("consuming", extra={"topic": self.spec.source_topic, "group": self.spec.group_id})

    async def _process_batch(self, batch: dict[TopicPartition, list[Any]]) -> None:
        if self.spec.ordered:
            merged = sorted(
                (r for recs in batch.values() for r in recs),
                key=lambda r: (r.timestamp, r.partition, r.offset),
            )
            timed, done = await self._process_records(merged)
            offsets = {tp: done[tp.partition] for tp in batch if tp.partition in done}
        else:
            # Partitions are independent: process them concurrently, each in offset order.
            results = await asyncio.gather(*(self._process_records(recs) for recs in batch.values()))
            timed = [pair for outs, _ in results for pair in outs]
            offsets = {tp: nxt[tp.partition] for tp, (_, nxt) in zip(batch, results, strict=True) if nxt}
        # Outputs go out in the time order of the records they came from (a stable sort keeps each
        # partition's order), not partition by partition: a downstream consumer reading several
        # partitions then sees an article that arrived first before one that arrived later.
        outputs = [output for _, output in sorted(timed, key=lambda pair: pair[0])]
        # Durability order: outputs are acknowledged by the broker (acks=all) BEFORE the offsets
        # are committed. A crash between the two redelivers the batch; consumers are idempotent,
        # so that costs a duplicate message, never a lost one.
        await self.producer.send_all(outputs)
        if offsets:
            await self._commit(offsets)

    async def _process_records(self, records: list[Any]) -> tuple[list[tuple[int, Output]], dict[int, int]]:
        """Handle records in order; returns (source timestamp, output) pairs and the next offset
        to commit per partition."""
        outputs: list[tuple[int, Output]] = []
        next_offset: dict[int, int] = {}
        for raw in records:
            record = Record(
                raw.topic,
                raw.partition,
                raw.offset,
                raw.key.decode("utf-8", "replace") if raw.key is not None else None,
                raw.timestamp,
            )
            handled = await self._handle_one(record, raw.value)
            if handled is None:  # stop requested while retrying: do not commit past this record
                break
            outputs.extend((raw.timestamp, output) for output in handled)
            next_offset[raw.partition] = raw.offset + 1
        return outputs, next_offset

    async def _handle_one(self, record: Record, value: bytes | None) -> list[Output] | None:
        service, topic = self.spec.service, record.topic
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                message = decode(self.handler.model, value)
                outs = list(await self.handler.handle(message, record))
                check_output_sizes(outs)
            except PermanentError as exc:
                return [self._dead_letter(record, value or b"", exc)]
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # transient by the one exception rule: retry, never drop
                metrics.HANDLER_RETRIES.labels(service).inc()
                metrics.MESSAGES.labels(service, topic, "retry").inc()
                delay = backoff_delay(attempt, self.spec.retry_initial_seconds, self.spec.retry_max_seconds)
                log.warning(
                    "transient error, retrying in %.2fs: %s: %s",
                    delay,
                    type(exc).__name__,
                    exc,
                    extra={"topic": topic, "partition": record.partition, "offset": record.offset},
                )
                attempt += 1
                try:
                    await asyncio.wait_for(self.stop.wait(), timeout=delay)
                    return None
                except TimeoutError:
                    continue
            metrics.PROCESS_SECONDS.labels(service).observe(time.perf_counter() - started)
            metrics.MESSAGES.labels(service, topic, "ok").inc()
            self._consecutive_dlq = 0
            self.processed += 1
            return outs

    def _dead_letter(self, record: Record, value: bytes, exc: PermanentError) -> Output:
        self._consecutive_dlq += 1
        metrics.MESSAGES.labels(self.spec.service, record.topic, "dlq").inc()
        metrics.DLQ_MESSAGES.labels(self.spec.service, self.spec.dlq).inc()
        log.error(
            "message sent to DLQ: %s",
            exc,
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "key": record.key,
                "dlq": self.spec.dlq,
            },
        )
        if self._consecutive_dlq > self.spec.max_consecutive_dlq:
            raise TooManyDeadLetters(
                f"{self._consecutive_dlq} messages in a row went to {self.spec.dlq}: this looks like a bug, "
                "stopping instead of draining the topic"
            )
        return dlq_output(record, value, exc, self.spec.service)

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        try:
            await self.consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:
            # A rebalance took the partitions: the new owner re-reads from the last commit.
            metrics.COMMIT_FAILURES.labels(self.spec.service).inc()
            log.warning("offset commit failed (%s); the batch will be redelivered", exc)

    async def _update_lag(self) -> None:
        now = time.monotonic()
        if now - self._last_lag_update < 1.0:
            return
        self._last_lag_update = now
        for tp in self.consumer.assignment():
            high = self.consumer.highwater(tp)
            if high is None:
                continue
            try:
                position = await self.consumer.position(tp)
            except KafkaError:
                continue
            metrics.CONSUMER_LAG.labels(self.spec.service, str(tp.partition)).set(max(0, high - position))


def install_signal_handlers(stop: asyncio.Event) -> None:
    """SIGTERM/SIGINT once: stop gracefully. SIGINT twice: exit at once."""
    loop = asyncio.get_running_loop()

    def graceful(signum: int) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            log.warning("second SIGINT: exiting now")
            os._exit(130)
        log.info("signal %s: finishing the batch in hand, then exiting", signal.Signals(signum).name)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, graceful, sig)


ServiceMain = Callable[[asyncio.Event], Awaitable[None]]


async def serve(
    service: str,
    settings: ServiceSettings,
    main: ServiceMain,
    health: Callable[[], dict[str, object]] | None = None,
) -> None:
    """Lifecycle shared by every service: JSON logs, /metrics + /healthz, signals, then ``main``."""
    setup_logging(service, settings.log_level)
    from shared.build import publish_build_info

    publish_build_info(service)
    stop = asyncio.Event()
    install_signal_handlers(stop)
    started = time.time()

    def report() -> dict[str, object]:
        extra = health() if health else {}
        return {"ok": True, "service": service, "uptime_seconds": round(time.time() - started, 1), **extra}

    server = HealthServer(settings.metrics_host, settings.port, report)
    await server.start()
    metrics.SERVICE_UP.labels(service).set(1)
    try:
        await main(stop)
    finally:
        metrics.SERVICE_UP.labels(service).set(0)
        await server.stop()


def run_consumer(spec: ConsumerSpec, handler: MessageHandler[M], settings: ServiceSettings) -> None:
    """Entry point of a consumer service's ``__main__``: runs until SIGTERM, exits 0."""

    async def main(stop: asyncio.Event) -> None:
        runtime = ConsumerRuntime(spec, handler, settings, stop)
        holder["runtime"] = runtime
        await runtime.run()

    holder: dict[str, ConsumerRuntime[M]] = {}

    def health() -> dict[str, object]:
        runtime = holder.get("runtime")
        fields = runtime.health() if runtime else {}
        return {**fields, **handler.health()}

    asyncio.run(serve(spec.service, settings, main, health))
