"""Alerter throughput: story events through the real ``AlerterHandler`` (decisions in real Redis,
the scheduler task, signed webhook delivery over HTTP) to a local receiver on 127.0.0.1.

    python -m bench.alerter [--alerts 2000] [--partitions 6]

Kafka is left out (the runtime is benchmarked on its own): events are handed to ``handle`` by
``--partitions`` concurrent loops, as the runtime does, and delivery logs are counted in memory.
Prints one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from services.alerter.alert import event_alert_id
from services.alerter.handler import AlerterHandler
from services.alerter.settings import AlerterOptions, AlerterSettings
from shared.producer import Output
from shared.redis_store import connect
from shared.runtime import Record
from shared.webhook_signature import verify
from tests.unit.alerter.factories import event

SECRET = "bench-secret"
YAML = """version: 1
channels:
  hook: {type: webhook, url_env: BENCH_HOOK_URL, secret_env: BENCH_HOOK_SECRET}
routes:
  - name: bench
    channels: [hook]
"""


class Receiver:
    """A minimal keep-alive HTTP endpoint that checks signatures and timestamps each alert.

    It runs in its own process (``serve_receiver``) so its CPU is not charged to the alerter;
    ``time.perf_counter`` is the system-wide monotonic clock, comparable across processes.
    """

    def __init__(self, count: Any) -> None:
        self.received: dict[str, float] = {}
        self.count = count
        self.bad_signatures = 0
        self.requests = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                headers: dict[str, str] = {}
                while (h := await reader.readline()) not in (b"\r\n", b""):
                    k, _, v = h.decode("latin-1").partition(":")
                    headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.requests += 1
                try:
                    verify(SECRET, body, headers.get("x-wirewatch-signature", ""))
                except ValueError:
                    self.bad_signatures += 1
                self.received.setdefault(headers.get("x-wirewatch-idempotency-key", ""), time.perf_counter())
                writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                with self.count.get_lock():
                    self.count.value = len(self.received)
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()


def serve_receiver(conn: Connection, count: Any, port: Any) -> None:
    """Receiver process: serve until the parent asks for the results."""

    async def main() -> None:
        receiver = Receiver(count)
        server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
        port.value = server.sockets[0].getsockname()[1]
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        conn.send(
            {"received": receiver.received, "requests": receiver.requests, "bad": receiver.bad_signatures}
        )
        server.close()

    asyncio.run(main())


async def wait_count(count: Any, target: int, timeout: float, poll: float) -> None:
    """Wait until the receiver has ``target`` distinct alerts."""
    deadline = time.perf_counter() + timeout
    while count.value < target:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{count.value} alerts received, wanted {target}")
        await asyncio.sleep(poll)


class CountingPublisher:
    """Stands in for the Kafka producer of delivery logs."""

    def __init__(self) -> None:
        self.records = 0

    async def send_all(self, outputs: Sequence[Output]) -> None:
        self.records += len(outputs)


async def run(n: int, partitions: int) -> dict[str, object]:
    """Burst of ``n`` new stories, then 30 single events; returns the measured numbers."""
    ctx = multiprocessing.get_context("spawn")
    count, port = ctx.Value("i", 0), ctx.Value("i", 0)
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=serve_receiver, args=(child, count, port), daemon=True)
    proc.start()
    await wait_count(port, 1, timeout=30, poll=0.01)  # the receiver publishes its port
    os.environ["BENCH_HOOK_URL"] = f"http://127.0.0.1:{port.value}/hook"
    os.environ["BENCH_HOOK_SECRET"] = SECRET
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "alerting.yaml"
        config.write_text(YAML)
        settings = AlerterSettings(
            redis_prefix=prefix,
            alerter=AlerterOptions(alerting_file=config, scheduler_interval_seconds=0.05),
        )
        publisher = CountingPublisher()
        handler = AlerterHandler(settings, publisher=publisher)
        await handler.start()
        events = [event("new_story", story_id=f"bench-{i}", title=f"Bench story {i}") for i in range(n)]
        handed: dict[str, float] = {}
        assert handler.engine is not None
        engine = handler.engine

        async def partition(p: int) -> None:
            for i in range(p, n, partitions):
                ev = events[i]
                handed[ev.story_id] = time.perf_counter()
                await handler.handle(ev, Record("bench", p, i, ev.story_id, 0))

        started = time.perf_counter()
        await asyncio.gather(*(partition(p) for p in range(partitions)))
        decided = time.perf_counter() - started
        await wait_count(count, n, timeout=300, poll=0.01)
        elapsed = time.perf_counter() - started
        # idle latency: one event at a time, handle() -> signed webhook received
        idle_events, idle_started = [], {}
        for i in range(30):
            ev = event("new_story", story_id=f"idle-{i}", title=f"Idle story {i}")
            idle_events.append(ev)
            idle_started[ev.story_id] = time.perf_counter()
            await handler.handle(ev, Record("bench", 0, n + i, ev.story_id, 0))
            await wait_count(count, n + i + 1, timeout=30, poll=0.0005)
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)
        scheduled = await engine.state.scheduled_count()
        await handler.stop()
    parent.send("dump")
    result = parent.recv()
    proc.join(10)
    received: dict[str, float] = result["received"]
    latencies = [received[event_alert_id(ev, "bench")] - handed[ev.story_id] for ev in events]
    idle = [received[event_alert_id(ev, "bench")] - idle_started[ev.story_id] for ev in idle_events]
    redis = connect(settings.redis_url)
    keys = [k async for k in redis.scan_iter(match=prefix + "*", count=1000)]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()
    q = statistics.quantiles(latencies, n=100)
    return {
        "stage": "alerter",
        "alerts": n,
        "alerts_per_s": round(n / elapsed, 1),
        "decisions_per_s": round(n / decided, 1),
        "burst_latency_p50_ms": round(q[49] * 1000, 1),
        "burst_latency_p95_ms": round(q[94] * 1000, 1),
        "idle_latency_p50_ms": round(statistics.median(idle) * 1000, 2),
        "idle_latency_max_ms": round(max(idle) * 1000, 2),
        "delivery_logs": publisher.records - len(idle),
        "requests": result["requests"],
        "bad_signatures": result["bad"],
        "left_scheduled": scheduled,
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench.alerter")
    parser.add_argument("--alerts", type=int, default=2000)
    parser.add_argument("--partitions", type=int, default=6)
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.alerts, args.partitions))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
