"""Fetcher metrics. The ``feed`` label is the operator's feed id from config/feeds.yaml (bounded);
``result`` and ``state`` come from the fixed sets below. Never a URL or an article id as a label."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Results of fetch_total: a feed poll or an article page fetch ends in exactly one of these.
FETCH_RESULTS = (
    "ok",
    "not_modified",
    "http_error",
    "rate_limited",
    "timeout",
    "connect_error",
    "too_large",
    "decompression_bomb",
    "too_many_redirects",
    "parse_error",
    "ssrf_blocked",
    "robots_blocked",
    "extract_failed",
    "error",
)

# Feed polls and article page fetches by feed and outcome (one of FETCH_RESULTS).
FETCH = Counter("wirewatch_fetch_total", "Feed and page fetches by outcome", ["feed", "kind", "result"])
# Unix time of the last successful poll of a feed (200 or 304); freshness alerts use it.
FEED_LAST_SUCCESS = Gauge(
    "wirewatch_feed_last_success_timestamp", "Unix time of the last successful feed poll", ["feed"]
)
# The configured poll interval of each running feed (the stale-feed alert compares against it).
FEED_POLL_INTERVAL = Gauge(
    "wirewatch_feed_poll_interval_seconds", "Configured poll interval of a feed", ["feed"]
)
# Consecutive failed polls of a feed (0 after a success).
FEED_ERROR_STREAK = Gauge("wirewatch_feed_error_streak", "Consecutive failed polls of a feed", ["feed"])
# Wall time of one HTTP fetch (feed or page), including waiting for the body.
FETCH_SECONDS = Histogram(
    "wirewatch_fetch_seconds",
    "HTTP fetch time",
    ["kind"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
# Body bytes received (after decompression) by kind: feed | page | robots.
FETCH_BYTES = Counter("wirewatch_fetch_bytes_total", "Body bytes received", ["kind"])
# Feed entries by state: new (not seen before) | seen (already published or skipped).
ENTRIES = Counter("wirewatch_entries_total", "Feed entries by state", ["feed", "state"])
# article.raw/1 messages published, by where the text came from (page | feed).
ARTICLES_PUBLISHED = Counter(
    "wirewatch_articles_published_total", "Articles published", ["feed", "text_source"]
)
# Article links not fetched because they resolve to a private/loopback/metadata address.
SSRF_BLOCKED = Counter("wirewatch_ssrf_blocked_total", "Links blocked by the SSRF guard", ["feed"])
# Article pages not fetched because robots.txt disallows them.
ROBOTS_BLOCKED = Counter("wirewatch_robots_blocked_total", "Pages disallowed by robots.txt", ["feed"])
# Time spent in trafilatura extraction (in the worker process, measured around the call).
EXTRACT_SECONDS = Histogram(
    "wirewatch_extract_seconds",
    "Main-text extraction time per page",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
# Feed pollers currently running (follows config/feeds.yaml hot reloads).
FEEDS_ACTIVE = Gauge("wirewatch_feeds_active", "Feed pollers running")
