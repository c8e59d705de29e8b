"""Run the whole pipeline on one machine as separate processes (demo, end-to-end tests, benchmarks).

Each service runs as ``python -m services.<name>`` with its own environment, exactly as in production;
this module only starts, watches and stops them, plus the offline replay server.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import redis.asyncio as aioredis

from shared.settings import Topics
from shared.topics import create_topics, load_topics

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("fetcher", "extractor", "dedup", "alerter")
DEFAULT_PORTS = {"fetcher": 9101, "extractor": 9102, "dedup": 9103, "alerter": 9104}


@dataclass
class PipelineConfig:
    """Where the pipeline's processes connect and write."""

    namespace: str = "wirewatch"
    redis_prefix: str = "ww:"
    kafka_bootstrap: str = os.environ.get("WIREWATCH_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    redis_url: str = os.environ.get("WIREWATCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    log_dir: Path = ROOT / ".stack" / "logs"
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    env: dict[str, str] = field(default_factory=dict)

    @property
    def topics(self) -> Topics:
        """Topic names of this pipeline."""
        return Topics(self.namespace)

    def service_env(self, service: str) -> dict[str, str]:
        """Environment of one service process."""
        return {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "WIREWATCH_TOPIC_NAMESPACE": self.namespace,
            "WIREWATCH_REDIS_PREFIX": self.redis_prefix,
            "WIREWATCH_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "WIREWATCH_REDIS_URL": self.redis_url,
            "WIREWATCH_METRICS_PORT": str(self.ports[service]),
            "WIREWATCH_METRICS_HOST": "127.0.0.1",
            **self.env,
        }


@dataclass
class Proc:
    """One running process and its log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log: IO[bytes]


class LocalPipeline:
    """Starts the services (and the replay server) as processes; stops them gracefully."""

    def __init__(self, config: PipelineConfig) -> None:
        self.config = config
        self.procs: dict[str, list[Proc]] = {}
        config.log_dir.mkdir(parents=True, exist_ok=True)

    async def prepare(self, *, reset_state: bool = False) -> None:
        """Create the namespace's topics; with ``reset_state`` delete the Redis keys of the prefix."""
        topics = load_topics(ROOT / "deploy" / "kafka" / "topics.yaml", self.config.namespace)
        await create_topics(self.config.kafka_bootstrap, topics)
        if reset_state:
            await clear_redis_prefix(self.config.redis_url, self.config.redis_prefix)

    def start(self, service: str, *, stdout: IO[bytes] | None = None, replica: int = 0) -> Proc:
        """Start one replica of a service (``python -m services.<name>``)."""
        env = self.config.service_env(service)
        if replica:
            env["WIREWATCH_METRICS_PORT"] = str(self.config.ports[service] + 10 * replica)
            env["HOSTNAME"] = f"{service}-{replica}"
            env["WIREWATCH_INSTANCE"] = f"{service}-{replica}"
        return self._spawn(f"{service}-{replica}", [sys.executable, "-m", f"services.{service}"], env, stdout)

    def start_all(self, *, stdout_of: dict[str, IO[bytes]] | None = None) -> None:
        """Start every service once."""
        for service in SERVICES:
            self.start(service, stdout=(stdout_of or {}).get(service))

    def start_replay(self, articles: Path, port: int, rate: float | None = None) -> Proc:
        """Serve a JSONL file of articles as an RSS feed on 127.0.0.1:port."""
        cmd = [sys.executable, "-m", "services.cli", "replay", str(articles), "--port", str(port)]
        if rate:
            cmd += ["--rate", str(rate)]
        return self._spawn("replay", cmd, {**os.environ, "PYTHONUNBUFFERED": "1"}, None)

    def _spawn(self, name: str, cmd: list[str], env: dict[str, str], stdout: IO[bytes] | None) -> Proc:
        log = (self.config.log_dir / f"{name}.log").open("ab")
        popen = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=stdout if stdout is not None else log, stderr=log
        )
        proc = Proc(name, popen, log)
        self.procs.setdefault(name, []).append(proc)
        return proc

    def running(self) -> dict[str, bool]:
        """Name -> alive, for the most recent process of each name."""
        return {name: procs[-1].popen.poll() is None for name, procs in self.procs.items()}

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal the most recent process of a name (SIGKILL by default) and wait for it."""
        proc = self.procs[name][-1]
        if proc.popen.poll() is None:
            proc.popen.send_signal(sig)
            proc.popen.wait(30)

    def stop(self, timeout: float = 20.0) -> dict[str, int | None]:
        """SIGTERM every process, wait up to ``timeout`` s, SIGKILL stragglers. Returns exit codes."""
        live = [p for procs in self.procs.values() for p in procs if p.popen.poll() is None]
        for p in live:
            p.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for p in live:
            try:
                p.popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.popen.kill()
                p.popen.wait(5)
        codes = {p.name: p.popen.returncode for procs in self.procs.values() for p in procs}
        for procs in self.procs.values():
            for p in procs:
                p.log.close()
        return codes


async def clear_redis_prefix(url: str, prefix: str) -> int:
    """Delete every key under ``prefix`` (used for demo and test isolation). Returns the count."""
    client = aioredis.Redis.from_url(url)
    deleted = 0
    try:
        batch: list[bytes] = []
        async for key in client.scan_iter(match=f"{prefix}*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                deleted += await client.delete(*batch)
                batch.clear()
        if batch:
            deleted += await client.delete(*batch)
    finally:
        await client.aclose()
    return deleted


async def wait_healthy(ports: dict[str, int], timeout: float = 60.0) -> None:
    """Wait until every service answers /healthz."""
    import httpx

    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as client:
        for service, port in ports.items():
            while True:
                try:
                    if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{service} did not become healthy on port {port}")
                await asyncio.sleep(0.2)


def write_webhook_configs(
    directory: Path,
    feed_url: str,
    *,
    route: str,
    hook_env: str,
    feed_id: str,
    poll_seconds: float = 1.0,
    kinds: tuple[str, ...] = ("new_story", "development"),
) -> dict[str, Path]:
    """A feeds file with one local feed and an alerting file with one signed webhook route, no throttle.

    The webhook URL and signing key are read from ``<hook_env>_URL`` / ``<hook_env>_SECRET``.
    Used by the end-to-end and reliability tests and the pipeline benchmark.
    """
    feeds = directory / "feeds.yaml"
    feeds.write_text(
        f"feeds:\n  - id: {feed_id}\n    url: {feed_url}\n    kind: rss\n"
        f"    poll_interval: {poll_seconds}\n    jitter: 0\n    allow_private: true\n",
        encoding="utf-8",
    )
    alerting = directory / "alerting.yaml"
    alerting.write_text(
        "version: 1\n"
        "defaults:\n"
        "  throttle: {min_interval_seconds: 0}\n"
        "  retry: {budget_seconds: 600, initial_seconds: 0.5, max_seconds: 5}\n"
        "channels:\n"
        f"  hook: {{type: webhook, url_env: {hook_env}_URL, secret_env: {hook_env}_SECRET,"
        " timeout_seconds: 10}\n"
        "routes:\n"
        f"  - name: {route}\n"
        f"    match: {{kinds: [{', '.join(kinds)}]}}\n"
        "    channels: [hook]\n",
        encoding="utf-8",
    )
    return {"feeds": feeds, "alerting": alerting}
