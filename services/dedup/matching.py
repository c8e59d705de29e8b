"""Same-event matching: does an article report the event a story is about?

Signals are language-independent, so an Indonesian and an English report of one briefing match:
canonical entities weighted by rarity within the watchlist (an IDF over the watchlist's own
articles, so ``country:KP`` in a North Korea watchlist weighs nothing), typed facts with the same
value, and time (the article must fall within ``window_hours`` of the story).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from shared.messages import Fact

from .story import StoryDigest

IDF_PRIOR = 20  # pseudo-articles: with little history no entity counts as ubiquitous
TYPE_FACTOR = {"country": 0.5}
FACT_TOLERANCE = 0.05
FACT_BONUS = 0.3
FACT_CONFLICT_PENALTY = 0.15


@dataclass(frozen=True)
class EntityStats:
    """Document frequencies of entity ids among a watchlist's (independent) relevant articles."""

    df: dict[str, int]
    total: int


@dataclass(frozen=True)
class MatchRules:
    """Thresholds of the same-event rule."""

    window_seconds: float
    min_shared_entities: int
    join_threshold: float
    ubiquity_ratio: float
    ubiquitous: frozenset[str]


def entity_weights(ids: set[str], stats: EntityStats, rules: MatchRules) -> dict[str, float]:
    """IDF-like weight per entity id; 0 for configured or measured ubiquitous ids."""
    weights: dict[str, float] = {}
    for entity_id in ids:
        df = stats.df.get(entity_id, 0)
        if entity_id in rules.ubiquitous or (stats.total >= 10 and df / stats.total > rules.ubiquity_ratio):
            weights[entity_id] = 0.0
            continue
        weight = math.log((stats.total + IDF_PRIOR) / (df + 1))
        weights[entity_id] = max(0.0, weight) * TYPE_FACTOR.get(entity_id.partition(":")[0], 1.0)
    return weights


def _same_value(a: float, b: float) -> bool:
    return abs(a - b) <= FACT_TOLERANCE * max(abs(a), abs(b), 1.0)


def fact_signal(article: list[Fact], story: list[tuple[str, float]]) -> float:
    """+bonus when a fact of one type has the same value; -penalty when every shared type differs."""
    by_type: dict[str, list[float]] = {}
    for fact_type, value in story:
        by_type.setdefault(fact_type, []).append(value)
    shared_types = [f for f in article if f.type in by_type]
    if not shared_types:
        return 0.0
    if any(_same_value(f.value, v) for f in shared_types for v in by_type[f.type]):
        return FACT_BONUS
    return -FACT_CONFLICT_PENALTY


@dataclass(frozen=True)
class Match:
    """The best story for an article and how strongly it matched."""

    story: StoryDigest
    score: float
    shared: tuple[str, ...]


def best_story(
    *,
    at: float,
    entity_ids: set[str],
    facts: list[Fact],
    stories: list[StoryDigest],
    stats: EntityStats,
    rules: MatchRules,
) -> Match | None:
    """The story this article most likely reports on, if any passes the same-event rule."""
    weights = entity_weights(entity_ids, stats, rules)
    total = sum(weights.values())
    if total <= 0:
        return None
    best: Match | None = None
    for story in stories:
        if at < story.first_seen - rules.window_seconds or at > story.last_seen + rules.window_seconds:
            continue
        shared = tuple(sorted(e for e in entity_ids if weights[e] > 0 and e in story.entities))
        if len(shared) < rules.min_shared_entities:
            continue
        score = sum(weights[e] for e in shared) / total + fact_signal(facts, story.facts)
        if score >= rules.join_threshold and (best is None or score > best.score):
            best = Match(story, score, shared)
    return best
