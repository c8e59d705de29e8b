"""``FetcherService``: the fetcher's main loop. Opens Redis, the producer, the HTTP client and the
extraction pool; runs one ``FeedPoller`` task per enabled feed; follows ``config/feeds.yaml`` (new
feeds start, removed ones stop, changed ones restart, a bad edit keeps the last good config).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

import redis.asyncio as aioredis

from services.fetcher import metrics
from services.fetcher.article_builder import ArticleBuilder
from services.fetcher.extract_pool import ExtractPool
from services.fetcher.feed_poller import FeedPoller, PollerDeps, Publisher
from services.fetcher.feeds_config import FeedConfig, FeedsConfig, load_feeds
from services.fetcher.fetch_state import FetchStore
from services.fetcher.http_client import HttpFetcher
from services.fetcher.robots import RobotsCache
from services.fetcher.settings import FetcherSettings
from shared.config_watch import ConfigWatcher
from shared.logs import get_logger
from shared.producer import Producer
from shared.redis_store import Keys, connect

log = get_logger(__name__)

SERVICE = "fetcher"


class ManagedPublisher(Publisher, Protocol):
    """A publisher with a lifecycle (``shared.producer.Producer``)."""

    async def start(self) -> None:
        """Connect."""

    async def stop(self) -> None:
        """Flush and close."""


class FetcherService:
    """Runs until ``stop`` is set; ``publisher``/``redis`` can be injected by tests."""

    def __init__(
        self,
        settings: FetcherSettings,
        *,
        publisher: ManagedPublisher | None = None,
        redis: aioredis.Redis | None = None,
    ) -> None:
        self.settings = settings
        self.options = settings.fetcher
        self.publisher: ManagedPublisher = publisher or Producer(settings.kafka_bootstrap, SERVICE)
        self.redis = redis or connect(settings.redis_url)
        self._owns_redis = redis is None
        self.http = HttpFetcher(self.options)
        self.pool = ExtractPool(self.options.extract_workers, self.options.extract_timeout)
        opts = self.options
        robots = RobotsCache(self.http, opts.robots_ttl_seconds) if opts.respect_robots else None
        self.store = FetchStore(self.redis, Keys(settings.redis_prefix), int(opts.seen_ttl_days * 86400))
        self.deps = PollerDeps(
            options=self.options,
            http=self.http,
            store=self.store,
            builder=ArticleBuilder(self.options, self.http, robots, self.pool),
            publisher=self.publisher,
            topic=settings.topics.raw,
        )
        self.pollers: dict[str, tuple[FeedConfig, FeedPoller, asyncio.Task[None]]] = {}
        self.watcher: ConfigWatcher[FeedsConfig] | None = None

    def health(self) -> dict[str, object]:
        """Fields for /healthz."""
        return {
            "feeds": sorted(self.pollers),
            "config_error": self.watcher.last_error if self.watcher else None,
        }

    async def run(self, stop: asyncio.Event) -> None:
        """Start everything, follow the config until ``stop``, then shut down in order."""
        path = self.options.feeds_file
        # A bad feeds file at start-up is fatal (raises ConfigError): better than running nothing.
        self.watcher = ConfigWatcher(
            "feeds", SERVICE, files=lambda: [path], load=lambda: load_feeds(path), on_change=self.apply
        )
        await self.publisher.start()
        await self.pool.start()
        try:
            await self.apply(self.watcher.current)
            await self.watcher.watch(stop, self.options.config_check_interval)
        finally:
            # Pollers first (an article in the middle of publishing releases its claim), then the
            # clients they use.
            await self._stop_pollers(list(self.pollers))
            await self.pool.stop()
            await self.http.aclose()
            await self.publisher.stop()
            await self.store.close()
            if self._owns_redis:
                await self.redis.aclose()
            log.info("fetcher stopped")

    async def apply(self, config: FeedsConfig) -> None:
        """Make the running pollers match ``config``."""
        wanted = config.enabled()
        stale = [fid for fid, (cfg, _, _) in self.pollers.items() if wanted.get(fid) != cfg]
        await self._stop_pollers(stale)
        for feed_id in stale:
            if feed_id not in wanted:  # removed, not just changed: its series go (no stale alert)
                for gauge in (
                    metrics.FEED_POLL_INTERVAL,
                    metrics.FEED_LAST_SUCCESS,
                    metrics.FEED_ERROR_STREAK,
                ):
                    with contextlib.suppress(KeyError):
                        gauge.remove(feed_id)
        for feed_id, feed in wanted.items():
            if feed_id not in self.pollers:
                poller = FeedPoller(feed, self.deps)
                task = asyncio.create_task(poller.run(), name=f"feed:{feed_id}")
                task.add_done_callback(_report_crash)
                self.pollers[feed_id] = (feed, poller, task)
                metrics.FEED_POLL_INTERVAL.labels(feed_id).set(feed.poll_interval)
                log.info("feed started", extra={"feed": feed_id, "url": feed.url})
        metrics.FEEDS_ACTIVE.set(len(self.pollers))

    async def _stop_pollers(self, feed_ids: list[str]) -> None:
        tasks: set[asyncio.Task[None]] = set()
        for feed_id in feed_ids:
            _, _, task = self.pollers.pop(feed_id)
            tasks.add(task)
            log.info("feed stopped", extra={"feed": feed_id})
        # Cancel until they are gone: a library awaited deep inside a poll can swallow one
        # cancellation (seen once in the hostile-feeds run: a redirect-loop feed polled on after
        # its cancel, and the service had to be killed). A second cancel lands elsewhere.
        while tasks:
            for task in tasks:
                task.cancel()
            _, tasks = await asyncio.wait(tasks, timeout=1.0)
            if tasks:
                log.warning("%d feed poller(s) ignored a cancel; cancelling again", len(tasks))
        metrics.FEEDS_ACTIVE.set(len(self.pollers))


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("feed poller crashed: %s", task.exception(), extra={"task": task.get_name()})
