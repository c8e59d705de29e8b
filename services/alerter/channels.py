"""Channels (sinks): Slack incoming webhook, signed HTTP webhook, console, JSONL file.

A sink makes ONE attempt. It returns on success and raises ``DeliveryError`` otherwise, saying
whether a retry can help (5xx, 429, 408, timeouts, connection errors) and what ``Retry-After``
asked for. Retries, backoff and budgets live in ``delivery.py``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import httpx

from services.alerter.alert import Alert
from services.alerter.clock import Clock
from services.alerter.routes import Channel
from services.alerter.slack_format import console_text, slack_message
from services.alerter.webhook_payload import build_payload, payload_bytes
from shared.retry_after import parse_retry_after
from shared.webhook_signature import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, sign

USER_AGENT = "wirewatch-alerter/1"
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class DeliveryError(Exception):
    """One attempt failed. ``retryable`` says whether trying again can help."""

    def __init__(
        self, reason: str, *, retryable: bool, retry_after: float | None = None, status: int | None = None
    ):
        super().__init__(reason)
        self.reason, self.retryable, self.retry_after, self.status = reason, retryable, retry_after, status


class Sink(Protocol):
    """Sends an alert to one channel, once."""

    async def send(self, alert: Alert) -> None:
        """One attempt; raises ``DeliveryError`` on failure."""
        ...


class HttpSink:
    """Shared HTTP behaviour: POST JSON, classify the outcome. URLs never appear in errors."""

    def __init__(self, channel: Channel, client: httpx.AsyncClient, clock: Clock) -> None:
        if channel.url is None:
            raise ValueError(f"channel {channel.name} has no URL")
        self.channel, self.client, self.clock = channel, client, clock
        self._url = channel.url

    def body_and_headers(self, alert: Alert) -> tuple[bytes, dict[str, str]]:
        """The request body and headers (subclasses)."""
        raise NotImplementedError

    async def send(self, alert: Alert) -> None:
        """POST once and classify the outcome."""
        body, headers = self.body_and_headers(alert)
        try:
            response = await self.client.post(
                self._url.reveal(), content=body, headers=headers, timeout=self.channel.timeout_seconds
            )
        except httpx.TimeoutException as exc:
            raise DeliveryError(f"timeout ({type(exc).__name__})", retryable=True) from None
        except httpx.TransportError as exc:
            # the exception text can contain the URL: report the type only
            raise DeliveryError(f"connection error ({type(exc).__name__})", retryable=True) from None
        status = response.status_code
        if 200 <= status < 300:
            return
        retry_after = parse_retry_after(response.headers.get("retry-after"), self.clock.time())
        detail = response.text[:200].replace("\n", " ") if status < 500 else ""
        raise DeliveryError(
            f"HTTP {status}" + (f": {detail}" if detail else ""),
            retryable=status in RETRYABLE_STATUS,
            retry_after=retry_after,
            status=status,
        )


class SlackSink(HttpSink):
    """A Slack incoming webhook (Block Kit body)."""

    def body_and_headers(self, alert: Alert) -> tuple[bytes, dict[str, str]]:
        """Block Kit JSON."""
        body = json.dumps(slack_message(alert), ensure_ascii=False).encode("utf-8")
        return body, {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT}


class WebhookSink(HttpSink):
    """A generic endpoint: alert.webhook/1 JSON, signed when the channel has a signing key."""

    def body_and_headers(self, alert: Alert) -> tuple[bytes, dict[str, str]]:
        """Payload bytes plus signature and idempotency headers."""
        now = self.clock.time()
        body = payload_bytes(build_payload(alert, datetime.fromtimestamp(now, UTC)))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            IDEMPOTENCY_HEADER: alert.alert_id,
        }
        if self.channel.signing_key is not None:
            headers[SIGNATURE_HEADER] = sign(self.channel.signing_key.reveal(), body, int(now))
        return body, headers


class ConsoleSink:
    """Human-readable lines on stdout/stderr."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    async def send(self, alert: Alert) -> None:
        """Write the lines and flush."""
        stream = sys.stderr if self.channel.stream == "stderr" else sys.stdout
        stream.write(console_text(alert))
        stream.flush()


class FileSink:
    """alert.webhook/1 payloads appended to a JSONL file (one line per alert)."""

    def __init__(self, channel: Channel, clock: Clock) -> None:
        if channel.path is None:
            raise ValueError(f"channel {channel.name} has no path")
        self.path: Path = channel.path
        self.clock = clock
        self._lock = asyncio.Lock()

    async def send(self, alert: Alert) -> None:
        """Append one line (fsync'd off the event loop)."""
        line = payload_bytes(build_payload(alert, datetime.fromtimestamp(self.clock.time(), UTC))) + b"\n"
        async with self._lock:
            try:
                await asyncio.to_thread(self._append, line)
            except OSError as exc:
                raise DeliveryError(f"file error: {exc.strerror}", retryable=True) from None

    def _append(self, line: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("ab") as fh:
            fh.write(line)
            fh.flush()


def make_sink(channel: Channel, client: httpx.AsyncClient, clock: Clock) -> Sink:
    """The sink for a resolved channel."""
    if channel.type == "slack":
        return SlackSink(channel, client, clock)
    if channel.type == "webhook":
        return WebhookSink(channel, client, clock)
    if channel.type == "console":
        return ConsoleSink(channel)
    return FileSink(channel, clock)
