"""The dedup consumer: ArticleTagged in, StoryEvent out (keyed by story_id).

Every article is fingerprinted and indexed for near-duplicates; only articles some watchlist found
relevant produce story events. Story and index updates are atomic in Redis (see ``redis_backend``),
so any number of replicas can share the work.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import redis.asyncio as aioredis

from shared.config_watch import ConfigWatcher
from shared.messages import ArticleTagged
from shared.producer import Output
from shared.redis_store import connect
from shared.runtime import MessageHandler, Record
from shared.watchlists import Watchlist, load_watchlists, watchlist_files

from . import metrics
from .engine import DedupEngine, WatchlistRules, default_rules
from .redis_backend import RedisStore
from .settings import DedupSettings

SERVICE = "dedup"
CONFIG_CHECK_SECONDS = 2.0
STATS_SECONDS = 30.0


class DedupHandler(MessageHandler[ArticleTagged]):
    """Runs the dedup engine on the Redis backend for each tagged article."""

    model = ArticleTagged

    def __init__(self, settings: DedupSettings, redis: aioredis.Redis | None = None) -> None:
        self.settings = settings
        self._redis = redis
        self._own_redis = redis is None
        self._engine: DedupEngine | None = None
        self._watchlists: ConfigWatcher[dict[str, Watchlist]] | None = None
        self._last_check = 0.0
        self._last_stats = 0.0
        self._store: RedisStore | None = None

    def _rules_for(self, name: str) -> WatchlistRules:
        watchlist = self._watchlists.current.get(name) if self._watchlists else None
        return WatchlistRules(watchlist.story, watchlist.developments) if watchlist else default_rules(name)

    async def start(self) -> None:
        """Connect to Redis and load the watchlists' story/development rules."""
        directory = self.settings.config_dir / "watchlists"
        if directory.is_dir():
            self._watchlists = ConfigWatcher(
                "watchlists", SERVICE, lambda: watchlist_files(directory), lambda: load_watchlists(directory)
            )
        if self._redis is None:
            self._redis = connect(self.settings.redis_url)
        self._store = RedisStore(self._redis, self.settings.redis_prefix, self.settings.dedup)
        self._engine = DedupEngine(self._store, self.settings.dedup, self._rules_for)

    async def stop(self) -> None:
        """Close the store's connection, and the Redis client if this handler opened it."""
        if self._store is not None:
            await self._store.close()
        if self._redis is not None and self._own_redis:
            await self._redis.aclose()

    async def handle(self, message: ArticleTagged, record: Record) -> Sequence[Output]:
        """Index the article and emit its story events (none for irrelevant articles)."""
        if self._engine is None:
            raise RuntimeError("handler not started")
        now = time.monotonic()
        if self._watchlists is not None and now - self._last_check > CONFIG_CHECK_SECONDS:
            self._last_check = now
            await self._watchlists.check()
        if self._store is not None and now - self._last_stats > STATS_SECONDS:
            self._last_stats = now
            articles, memory = await self._store.index_stats()
            metrics.INDEX_ARTICLES.set(articles)
            metrics.REDIS_MEMORY_BYTES.set(memory)
        started = time.perf_counter()
        result = await self._engine.process(message)
        metrics.DEDUP_SECONDS.observe(time.perf_counter() - started)
        metrics.INDEXED.inc()
        if result.near_duplicate_of is not None:
            metrics.NEAR_DUPLICATES.labels("exact" if result.exact_copy else "near").inc()
        if result.conflicts:
            metrics.COMMIT_CONFLICTS.inc(result.conflicts)
        outputs = []
        for event in result.events:
            if event.replayed:
                metrics.REPLAYED.inc()
            else:
                metrics.STORIES.labels(event.kind).inc()
            outputs.append(Output(self.settings.topics.stories, event.story_id, event.payload))
        return outputs

    def health(self) -> dict[str, object]:
        """Watchlist config state for /healthz."""
        if self._watchlists is None:
            return {"watchlists": []}
        return {"watchlists": sorted(self._watchlists.current), "config_error": self._watchlists.last_error}
