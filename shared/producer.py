"""Kafka producer helper: acks=all, idempotent, JSON messages, retried until the broker takes them."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from shared import metrics
from shared.logs import get_logger
from shared.messages import Envelope, encode

log = get_logger(__name__)

MAX_MESSAGE_BYTES = 4 * 1024 * 1024
BATCH_BYTES = 1024 * 1024

Headers = tuple[tuple[str, bytes], ...]


@dataclass(frozen=True)
class Output:
    """One message a handler wants written: topic, key and a model (or raw bytes for DLQs)."""

    topic: str
    key: str
    value: Envelope | bytes
    headers: Headers = field(default_factory=tuple)

    @cached_property
    def payload_bytes(self) -> bytes:
        """The serialised value (computed once: checked for size, then sent)."""
        return self.value if isinstance(self.value, bytes) else encode(self.value)

    def payload(self) -> bytes:
        """The serialised value."""
        return self.payload_bytes


def backoff_delay(attempt: int, initial: float, cap: float) -> float:
    """Capped exponential backoff with full jitter: uniform(0, min(cap, initial * 2**attempt))."""
    return random.uniform(0, min(cap, initial * (2 ** min(attempt, 30))))


class Producer:
    """Writes outputs with acks=all; ``send_all`` returns only when every message is acknowledged."""

    def __init__(self, bootstrap: str, service: str, *, linger_ms: int = 5) -> None:
        self.service = service
        self._bootstrap, self._linger_ms = bootstrap, linger_ms
        self._client: AIOKafkaProducer | None = None

    @property
    def _producer(self) -> AIOKafkaProducer:
        if self._client is None:
            raise RuntimeError("Producer.start() was not awaited")
        return self._client

    async def start(self) -> None:
        """Connect, retrying while the broker is not reachable yet (the client needs a running loop)."""
        attempt = 0
        while True:
            self._client = AIOKafkaProducer(
                bootstrap_servers=self._bootstrap,
                acks="all",
                enable_idempotence=True,
                linger_ms=self._linger_ms,
                max_request_size=MAX_MESSAGE_BYTES,
                # aiokafka's default 16 KB batch holds ~4 articles: a 200-message batch of outputs
                # became ~8 sequential produce round trips per partition
                max_batch_size=BATCH_BYTES,
                request_timeout_ms=30000,
                client_id=f"wirewatch-{self.service}",
            )
            try:
                await self._client.start()
                return
            except KafkaError as exc:
                await self._client.stop()
                delay = backoff_delay(attempt, 0.5, 10)
                log.warning("kafka producer cannot start (%s); retrying in %.1fs", exc, delay)
                attempt += 1
                await asyncio.sleep(delay)

    async def stop(self) -> None:
        """Flush and close (a no-op if never started)."""
        if self._client is not None:
            await self._client.stop()

    async def send_ordered(self, outputs: Sequence[Output], enqueued: asyncio.Event) -> None:
        """Like ``send_all``, but sets ``enqueued`` as soon as the messages are in the producer's
        buffer (their order is fixed from then on), before waiting for the acks. A caller that
        publishes a sequence lets the next item go on ``enqueued`` instead of the slower ack."""
        try:
            futures = [
                await self._producer.send(
                    o.topic, o.payload(), key=o.key.encode("utf-8"), headers=list(o.headers)
                )
                for o in outputs
            ]
        finally:
            enqueued.set()
        results = await asyncio.gather(*futures, return_exceptions=True)
        failed = [o for o, r in zip(outputs, results, strict=True) if isinstance(r, BaseException)]
        for o, r in zip(outputs, results, strict=True):
            if not isinstance(r, BaseException):
                metrics.PRODUCED.labels(self.service, o.topic).inc()
        if failed:
            await self.send_all(failed)

    async def send_all(self, outputs: Sequence[Output]) -> None:
        """Send every output and wait for acks=all; failed sends are retried with backoff.

        A retry can duplicate a message that was in fact written: delivery is at-least-once and
        every consumer is idempotent. Raises ``asyncio.CancelledError`` only if cancelled.
        """
        pending = list(outputs)
        attempt = 0
        while pending:
            futures = [
                await self._producer.send(
                    o.topic, o.payload(), key=o.key.encode("utf-8"), headers=list(o.headers)
                )
                for o in pending
            ]
            results = await asyncio.gather(*futures, return_exceptions=True)
            failed = [o for o, r in zip(pending, results, strict=True) if isinstance(r, BaseException)]
            for o, r in zip(pending, results, strict=True):
                if not isinstance(r, BaseException):
                    metrics.PRODUCED.labels(self.service, o.topic).inc()
            if not failed:
                return
            errors = {type(r).__name__ for r in results if isinstance(r, BaseException)}
            delay = backoff_delay(attempt, 0.5, 15)
            log.warning("%d sends failed (%s); retrying in %.1fs", len(failed), errors, delay)
            attempt += 1
            pending = failed
            await asyncio.sleep(delay)
