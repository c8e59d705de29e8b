"""Delivery of one alert to one channel: a job stored in Redis, one attempt per claim, retries
rescheduled with backoff and jitter (``Retry-After`` honoured) within the route's retry budget.

A job outlives the process: a restart, or another replica after the lease expires, picks it up
where it stopped. After the budget (or a permanent error such as HTTP 404) the alert is logged as
``failed`` and written to the alerts DLQ; it is never dropped silently.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import httpx
from pydantic import BaseModel, ConfigDict

from services.alerter.alert import Alert
from services.alerter.channels import DeliveryError, Sink, make_sink
from services.alerter.clock import Clock
from services.alerter.hygiene import retry_delay
from services.alerter.routes import Channel, RetryConfig
from services.alerter.webhook_payload import build_payload, payload_bytes
from shared.messages import AlertDelivery, AlertStatus
from shared.producer import Output


class DeliveryJob(BaseModel):
    """An alert on its way to one channel."""

    model_config = ConfigDict(extra="ignore")

    alert: Alert
    channel: str
    attempts: int = 0
    first_attempt_at: float | None = None
    last_error: str | None = None

    @property
    def delivery_id(self) -> str:
        """``<alert_id>:<channel>``: the send-side idempotency key."""
        return f"{self.alert.alert_id}:{self.channel}"

    @property
    def member(self) -> str:
        """The schedule member of this job."""
        return f"d|{self.alert.alert_id}|{self.channel}"


def next_attempt_at(job: DeliveryJob, now: float, error: DeliveryError, cfg: RetryConfig) -> float | None:
    """When to try again, or None to give up (permanent error or budget spent).

    The last retry is pulled in to the budget's end, so an endpoint that comes back just before
    the deadline still gets the alert.
    """
    if not error.retryable:
        return None
    started = job.first_attempt_at if job.first_attempt_at is not None else now
    deadline = started + cfg.budget_seconds
    if now >= deadline:
        return None
    delay = retry_delay(job.attempts, cfg, error.retry_after, random.random())
    return min(now + delay, deadline)


def delivery_log(
    alert: Alert,
    channel: str,
    status: AlertStatus,
    *,
    attempts: int,
    reason: str | None = None,
    latency: float | None = None,
) -> AlertDelivery:
    """The alert.delivery/1 record of one outcome."""
    story_id = alert.main.story_id if alert.kind != "digest" else f"digest:{alert.route}"
    return AlertDelivery(
        trace=alert.main.article.article_id,
        alert_id=alert.alert_id,
        story_id=story_id,
        kind=alert.kind,
        route=alert.route,
        channel=channel,
        status=status,
        reason=reason,
        attempts=attempts,
        latency_seconds=latency,
    )


def dead_letter(job: DeliveryJob, reason: str, dlq_topic: str, clock: Clock, service: str) -> Output:
    """The DLQ copy of a failed alert: the alert.webhook/1 payload plus headers naming the error.

    The payload is what a receiver would have got; ``wirewatch-alert-job`` carries the job for replay.
    """
    body = payload_bytes(build_payload(job.alert, datetime.fromtimestamp(clock.time(), UTC)))
    headers = (
        ("wirewatch-error", reason[:1000].encode("utf-8", "replace")),
        ("wirewatch-error-type", b"AlertDeliveryFailed"),
        ("wirewatch-route", job.alert.route.encode()),
        ("wirewatch-channel", job.channel.encode()),
        ("wirewatch-attempts", str(job.attempts).encode()),
        ("wirewatch-service", service.encode()),
        ("wirewatch-failed-at", datetime.fromtimestamp(clock.time(), UTC).isoformat().encode()),
        (
            "wirewatch-alert-job",
            json.dumps({"alert_id": job.alert.alert_id, "channel": job.channel}).encode(),
        ),
    )
    key = job.alert.main.story_id if job.alert.kind != "digest" else f"digest:{job.alert.route}"
    return Output(dlq_topic, key, body, headers)


class SinkFactory:
    """Builds sinks for channels, sharing one HTTP client (connection pooling)."""

    def __init__(self, clock: Clock, client: httpx.AsyncClient | None = None, timeout: float = 10.0) -> None:
        self.clock = clock
        self.client = client or httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, limits=httpx.Limits(max_connections=64)
        )
        self._sinks: dict[Channel, Sink] = {}

    def sink(self, channel: Channel) -> Sink:
        """The sink of a channel (cached by value: a reload that changes a URL gets a new sink)."""
        sink = self._sinks.get(channel)
        if sink is None:
            if len(self._sinks) > 256:
                self._sinks.clear()
            sink = self._sinks[channel] = make_sink(channel, self.client, self.clock)
        return sink

    async def close(self) -> None:
        """Close the HTTP client."""
        await self.client.aclose()


__all__ = ["DeliveryError", "DeliveryJob", "SinkFactory", "dead_letter", "delivery_log", "next_attempt_at"]
