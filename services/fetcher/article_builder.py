"""One feed entry -> one ``ArticleRaw``: fetch the page (SSRF guard, robots.txt, caps), extract it
in the worker pool, and fall back to the feed's own summary (``text_source: "feed"``) when the page
cannot be had. Failures here never fail the poll: they are counted and logged per page.
"""

from __future__ import annotations

import asyncio

from services.fetcher import metrics
from services.fetcher.extract_pool import ExtractionTimeout, ExtractPool
from services.fetcher.extraction import ExtractedPage, PageInput
from services.fetcher.feed_parse import FeedEntry
from services.fetcher.feeds_config import FeedConfig
from services.fetcher.http_client import FetchError, HttpFetcher
from services.fetcher.robots import RobotsBlocked, RobotsCache
from services.fetcher.settings import FetchOptions
from shared.ids import article_id, canonical_url
from shared.language import detect_language
from shared.logs import get_logger
from shared.messages import ArticleRaw, utc_now
from shared.textnorm import content_sha256

log = get_logger(__name__)

_PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"


# Display fields from feeds are untrusted and unbounded: clip them so every article fits a Kafka
# message (the text is capped separately by ``max_text_chars``).
MAX_TITLE_CHARS = 1000
MAX_NAME_CHARS = 200
MAX_AUTHORS = 20


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clip_list(names: list[str]) -> list[str]:
    """At most ``MAX_AUTHORS`` names of at most ``MAX_NAME_CHARS`` characters each."""
    return [clip(n, MAX_NAME_CHARS) for n in names[:MAX_AUTHORS]]


class ArticleBuilder:
    """Builds article messages; ``max_inflight`` pages are fetched/extracted at once (all feeds)."""

    def __init__(
        self, options: FetchOptions, http: HttpFetcher, robots: RobotsCache | None, pool: ExtractPool
    ) -> None:
        self.options, self.http, self.robots, self.pool = options, http, robots, pool
        self._inflight = asyncio.Semaphore(options.max_inflight_articles)

    async def build(self, feed: FeedConfig, entry: FeedEntry, feed_title: str) -> ArticleRaw:
        """The article message for an entry (page text when possible, else the feed summary)."""
        page: ExtractedPage | None = None
        if feed.fetch_articles:
            async with self._inflight:
                page = await self._page(feed, entry)
        fetched_at = utc_now()
        site = page.site_name if page is not None else None
        source = clip(feed.source or entry.source or site or feed_title or feed.id, MAX_NAME_CHARS)
        if page is not None and page.text:
            canonical = canonical_url(page.canonical_url or entry.link)
            return ArticleRaw(
                trace=article_id(canonical),
                article_id=article_id(canonical),
                url=entry.link,
                canonical_url=canonical,
                feed_id=feed.id,
                source=source,
                title=clip(entry.title or page.title, MAX_TITLE_CHARS),
                text=page.text,
                text_source="page",
                lang=page.lang,
                published_at=page.published_at or entry.published_at,
                fetched_at=fetched_at,
                authors=clip_list(page.authors or list(entry.authors)),
                content_sha256=page.content_sha256,
            )
        canonical = canonical_url(entry.link)
        text = (entry.summary or entry.title)[: self.options.max_text_chars]
        hint = entry.lang or feed.language
        return ArticleRaw(
            trace=article_id(canonical),
            article_id=article_id(canonical),
            url=entry.link,
            canonical_url=canonical,
            feed_id=feed.id,
            source=source,
            title=clip(entry.title or (page.title if page else ""), MAX_TITLE_CHARS),
            text=text,
            text_source="feed",
            lang=detect_language(f"{entry.title}\n{text}", hint),
            published_at=entry.published_at or (page.published_at if page else None),
            fetched_at=fetched_at,
            authors=clip_list(list(entry.authors)),
            content_sha256=content_sha256(text),
        )

    async def _page(self, feed: FeedConfig, entry: FeedEntry) -> ExtractedPage | None:
        """Fetch and extract the entry's page; None (after counting and logging) when it fails."""
        context = {"feed": feed.id, "url": entry.link}
        try:
            if self.robots is not None:
                await self.robots.check(entry.link, allow_private=feed.allow_private)
            response = await self.http.get(
                entry.link, kind="page", allow_private=feed.allow_private, accept=_PAGE_ACCEPT
            )
        except RobotsBlocked as exc:
            metrics.ROBOTS_BLOCKED.labels(feed.id).inc()
            metrics.FETCH.labels(feed.id, "page", exc.result).inc()
            log.warning("article page not fetched: %s; using the feed summary", exc, extra=context)
            return None
        except FetchError as exc:
            if exc.result == "ssrf_blocked":
                metrics.SSRF_BLOCKED.labels(feed.id).inc()
            metrics.FETCH.labels(feed.id, "page", exc.result).inc()
            log.warning(
                "article page fetch failed (%s): %s; using the feed summary", exc.result, exc, extra=context
            )
            return None
        page_input = PageInput(
            url=response.url,
            body=response.body,
            content_type=response.content_type,
            lang_hint=entry.lang or feed.language,
            max_text_chars=self.options.max_text_chars,
            fast=self.options.extract_fast,
        )
        try:
            page = await self.pool.extract(page_input)
        except Exception as exc:  # a parser crash on one hostile page must not stop the feed
            label = "extract_timeout" if isinstance(exc, ExtractionTimeout) else "extract_failed"
            metrics.FETCH.labels(feed.id, "page", label).inc()
            name = type(exc).__name__
            log.error("extraction failed: %s: %s; using the feed summary", name, exc, extra=context)
            return None
        if not page.text:
            metrics.FETCH.labels(feed.id, "page", "extract_failed").inc()
            log.warning("no article text found on the page; using the feed summary", extra=context)
            return page
        metrics.FETCH.labels(feed.id, "page", "ok").inc()
        return page
