"""Metrics of the extractor service (names in ../shared/DESIGN.md, "Metrics")."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Articles tagged, per watchlist and verdict (relevant="true"|"false"); watchlists are operator config.
ARTICLES_TAGGED = Counter(
    "wirewatch_articles_tagged_total", "Articles tagged per watchlist", ["watchlist", "relevant"]
)
# Wall time of the tagging engine per article (all watchlists).
TAG_SECONDS = Histogram(
    "wirewatch_tag_seconds",
    "Tagging time per article",
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5),
)
# Facts extracted, per fact type (types come from the watchlists).
FACTS = Counter("wirewatch_facts_total", "Facts extracted", ["type"])
# Entities found, per entity type (country, place, org, person, weapon, other).
ENTITIES = Counter("wirewatch_entities_total", "Entities found", ["type"])
# Articles whose text was cut to the tagging limit before matching.
TRUNCATED = Counter("wirewatch_extractor_truncated_total", "Articles whose text was cut before tagging")
# Watchlists in force (after the last good reload).
WATCHLISTS_LOADED = Gauge("wirewatch_watchlists_loaded", "Watchlists in force in the extractor")
