"""Metrics of the dedup service (names per ../shared/DESIGN.md; labels bounded)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Story events emitted, by kind: new_story | member | development.
STORIES = Counter("wirewatch_stories_total", "Story events emitted", ["kind"])
# Articles confirmed as near-duplicates of an indexed article, by how: exact | near.
NEAR_DUPLICATES = Counter("wirewatch_near_duplicates_total", "Near-duplicate articles", ["match"])
# Articles fingerprinted and added to the near-duplicate index.
INDEXED = Counter("wirewatch_dedup_indexed_total", "Articles added to the near-duplicate index")
# Story events re-sent for a redelivered article (same event id as the first time).
REPLAYED = Counter("wirewatch_dedup_replayed_total", "Story events replayed for redelivered articles")
# Optimistic story commits that lost to another replica and were retried.
COMMIT_CONFLICTS = Counter("wirewatch_dedup_commit_conflicts_total", "Story commits retried after a conflict")
# Wall time of the dedup engine per article (fingerprint, index, story assignment).
DEDUP_SECONDS = Histogram(
    "wirewatch_dedup_seconds",
    "Dedup engine time per article",
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)
# Articles in the near-duplicate index (indexed within the live epochs; sampled every 30 s).
INDEX_ARTICLES = Gauge("wirewatch_dedup_index_articles", "Articles in the near-duplicate index")
# Redis used_memory as seen by dedup (sampled every 30 s; the whole Redis, not only dedup keys).
REDIS_MEMORY_BYTES = Gauge("wirewatch_dedup_redis_memory_bytes", "Redis used_memory (sampled)")
