"""``FeedPoller``: one task per feed. Poll, publish new entries, sleep interval +/- jitter; on errors
back off exponentially with jitter (so failing feeds never retry in lockstep), honouring Retry-After.

Order inside a poll, and why it is safe: entries are published (acks=all) BEFORE they are marked
seen, and the feed's ETag/Last-Modified are stored only after every entry was handled. A crash in
between re-reads the feed and skips what was marked; at worst one article is published twice,
never lost (the URL claim makes even that rare).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from services.fetcher import metrics
from services.fetcher.article_builder import ArticleBuilder
from services.fetcher.feed_parse import FeedEntry, FeedParseError, parse_feed
from services.fetcher.feeds_config import FeedConfig
from services.fetcher.fetch_state import FetchStore
from services.fetcher.http_client import FetchError, HttpFetcher
from services.fetcher.settings import FetchOptions
from shared.ids import article_id, canonical_url
from shared.logs import get_logger
from shared.messages import ArticleRaw
from shared.producer import MAX_MESSAGE_BYTES, Output

log = get_logger(__name__)

_FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5"
)


class Publisher(Protocol):
    """What the poller needs from a producer (``shared.producer.Producer`` fits)."""

    async def send_all(self, outputs: Sequence[Output]) -> None:
        """Send and wait for acknowledgement."""

    async def send_ordered(self, outputs: Sequence[Output], enqueued: asyncio.Event) -> None:
        """Send, set ``enqueued`` once the order is fixed, then wait for acknowledgement."""


@dataclass(frozen=True)
class PollOutcome:
    """What one poll did."""

    result: str
    new: int = 0
    seen: int = 0
    published: int = 0


def next_interval(interval: float, jitter: float) -> float:
    """The poll interval with +/- ``jitter`` (a fraction) spread."""
    return interval * (1 + random.uniform(-jitter, jitter))


def error_delay(streak: int, initial: float, cap: float, interval: float) -> float:
    """Backoff after ``streak`` failures in a row: doubling from ``initial`` (at least the poll
    interval after a few failures), capped, with "equal jitter" (half fixed, half random)."""
    base = float(min(cap, max(initial * 2.0 ** min(streak - 1, 30), interval if streak > 3 else 0.0)))
    return base / 2 + random.uniform(0, base / 2)


@dataclass(frozen=True)
class PollerDeps:
    """What every poller shares: options, HTTP client, Redis store, article builder, producer."""

    options: FetchOptions
    http: HttpFetcher
    store: FetchStore
    builder: ArticleBuilder
    publisher: Publisher
    topic: str


class FeedPoller:
    """Polls one feed until cancelled."""

    def __init__(self, feed: FeedConfig, deps: PollerDeps) -> None:
        self.feed = feed
        self.options, self.http, self.store = deps.options, deps.http, deps.store
        self.builder, self.publisher, self.topic = deps.builder, deps.publisher, deps.topic
        self.polls = 0
        self.local_error_streak = 0  # consecutive failed polls in this process
        self.last_outcome: PollOutcome | None = None

    async def run(self) -> None:
        """Poll forever; the first poll waits out the rest of the interval since the last success."""
        delay = await self._initial_delay()
        while True:
            if delay > 0:
                await asyncio.sleep(delay)
            delay = await self.poll_and_schedule()

    async def _initial_delay(self) -> float:
        try:
            state = await self.store.feed_state(self.feed.id)
        except Exception as exc:  # Redis down at start: poll soon, the poll will report it
            log.warning("cannot read feed state: %s", exc, extra={"feed": self.feed.id})
            return random.uniform(0, 2)
        if state.last_success is None:
            return random.uniform(0, min(2.0, self.feed.poll_interval * self.feed.jitter))
        remaining = state.last_success + self.feed.poll_interval - time.time()
        return max(0.0, remaining) + random.uniform(0, self.feed.poll_interval * self.feed.jitter)

    async def poll_and_schedule(self) -> float:
        """Poll once; returns the delay until the next poll."""
        feed, opts = self.feed, self.options
        self.polls += 1
        try:
            outcome = await self.poll_once()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            result = getattr(exc, "result", "error")
            metrics.FETCH.labels(feed.id, "feed", result).inc()
            self.local_error_streak += 1
            try:
                streak = await self.store.record_error(feed.id, f"{result}: {exc}")
            except Exception:
                # Redis down too: back off on this process's own count of consecutive failures
                streak = self.local_error_streak
            metrics.FEED_ERROR_STREAK.labels(feed.id).set(streak)
            delay = error_delay(
                streak, opts.error_backoff_initial, opts.error_backoff_max, feed.poll_interval
            )
            retry_after = exc.retry_after if isinstance(exc, FetchError) else None
            if retry_after is not None:
                delay = max(delay, min(retry_after, opts.error_backoff_max))
            log.error(
                "feed poll failed (%s): %s; error streak %d, next try in %.1fs",
                result,
                exc,
                streak,
                delay,
                extra={"feed": feed.id, "result": result},
                exc_info=result == "error",
            )
            self.last_outcome = PollOutcome(result)
            return delay
        self.last_outcome = outcome
        self.local_error_streak = 0
        metrics.FETCH.labels(feed.id, "feed", outcome.result).inc()
        metrics.FEED_LAST_SUCCESS.labels(feed.id).set(time.time())
        metrics.FEED_ERROR_STREAK.labels(feed.id).set(0)
        log.info(
            "feed polled: %s, %d new, %d seen, %d published",
            outcome.result,
            outcome.new,
            outcome.seen,
            outcome.published,
            extra={"feed": feed.id},
        )
        return next_interval(feed.poll_interval, feed.jitter)

    async def poll_once(self) -> PollOutcome:
        """Conditional GET, parse, publish new entries, then store the validators."""
        feed = self.feed
        state = await self.store.feed_state(feed.id)
        response = await self.http.get(
            feed.url,
            kind="feed",
            allow_private=feed.allow_private,
            headers=feed.headers,
            etag=state.etag,
            last_modified=state.last_modified,
            accept=_FEED_ACCEPT,
            trusted=True,
        )
        if response.not_modified:
            await self.store.record_success(feed.id, None, None)
            return PollOutcome("not_modified")
        try:
            parsed = parse_feed(
                feed.kind, response.body, response.url, response.content_type, feed.link_pattern
            )
        except FeedParseError:
            raise
        except Exception as exc:  # parser bug on hostile input: a parse error, not a crash
            raise FeedParseError(f"{type(exc).__name__}: {exc}") from exc
        if parsed.problem:
            log.warning(
                "feed is malformed (%s); using the %d entries that could be read",
                parsed.problem,
                len(parsed.entries),
                extra={"feed": feed.id},
            )
        entries = publication_order(parsed.entries[: self.options.max_entries_per_poll])
        # Bounded: a feed of hundreds of entries must not open hundreds of Redis connections at once.
        limit = asyncio.Semaphore(self.options.max_inflight_articles * 2)
        # Pages are fetched concurrently but published in publication order (each entry waits for
        # the one before it), so downstream a story's first report arrives before its follow-ups.
        turns = [asyncio.Event() for _ in entries]

        async def handle(index: int, entry: FeedEntry) -> str:
            previous = turns[index - 1] if index else None
            try:
                async with limit:
                    prepared = await self._prepare_entry(entry, parsed.title)
                if isinstance(prepared, str):
                    return prepared
                return await self._publish(entry, prepared, previous, turns[index])
            finally:
                if previous is not None:  # never let a later entry overtake: wait, then pass on
                    await previous.wait()
                turns[index].set()

        results = await asyncio.gather(*(handle(i, e) for i, e in enumerate(entries)))
        headers = response.headers
        await self.store.record_success(feed.id, headers.get("etag"), headers.get("last-modified"))
        new = sum(1 for r in results if r != "seen")
        return PollOutcome(
            "ok", new=new, seen=len(results) - new, published=sum(1 for r in results if r == "published")
        )

    async def _prepare_entry(self, entry: FeedEntry, feed_title: str) -> str | ArticleRaw:
        """'seen' | 'duplicate' (another entry or feed had the article) | the article to publish."""
        feed = self.feed
        entry_seen, url_seen = await self.store.entry_and_url_seen(
            feed.id, entry.entry_id, article_id(canonical_url(entry.link))
        )
        if entry_seen:
            metrics.ENTRIES.labels(feed.id, "seen").inc()
            return "seen"
        metrics.ENTRIES.labels(feed.id, "new").inc()
        if url_seen:
            await self.store.mark_entry(feed.id, entry.entry_id)
            return "duplicate"
        return await self.builder.build(feed, entry, feed_title)

    async def _publish(
        self, entry: FeedEntry, article: ArticleRaw, previous: asyncio.Event | None, turn: asyncio.Event
    ) -> str:
        """Claim the article's URL, publish it after ``previous`` (acks=all), then mark the entry seen.

        ``turn`` is set once this article is in the producer's buffer, so the next entry can go
        without waiting for this one's acknowledgement (the order is fixed by then)."""
        feed = self.feed
        if not await self.store.claim_url(article.article_id):
            await self.store.mark_entry(feed.id, entry.entry_id)
            return "duplicate"
        output = Output(self.topic, article.article_id, article)
        if len(output.payload()) > MAX_MESSAGE_BYTES:  # cannot ever be written: skip, do not fail the feed
            metrics.FETCH.labels(feed.id, "page", "too_large").inc()
            log.error(
                "article skipped: %d bytes is over the Kafka message limit",
                len(output.payload()),
                extra={"feed": feed.id, "article_id": article.article_id},
            )
            await self.store.mark_entry(feed.id, entry.entry_id)
            return "duplicate"
        if previous is not None:
            await previous.wait()
        try:
            await self.publisher.send_ordered([output], turn)
        except BaseException:
            await asyncio.shield(self.store.release_url(article.article_id))
            raise
        await self.store.mark_entry(feed.id, entry.entry_id)
        metrics.ARTICLES_PUBLISHED.labels(feed.id, article.text_source).inc()
        log.debug("article published", extra={"feed": feed.id, "article_id": article.article_id})
        return "published"


def publication_order(entries: list[FeedEntry]) -> list[FeedEntry]:
    """Oldest first: by date when every entry has one, else the reverse of the feed's (newest-first) order."""
    if entries and all(e.published_at is not None for e in entries):
        return sorted(entries, key=lambda e: e.published_at or datetime.min.replace(tzinfo=UTC))
    return list(reversed(entries))
