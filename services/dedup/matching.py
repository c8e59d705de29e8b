"""Same-event matching: does an article report the event a story is about?

Signals are language-independent, so an Indonesian and an English report of one briefing match.
An article is a set of features: canonical entity ids (``place:kursk``) and fact features
(``fact:troop_count:1500``). A story is a profile: the share of its independent members naming
each feature. The score is their weighted Jaccard, minus a penalty growing with the time gap:

- each feature weighs by how rare it is among the watchlist's stories (an IDF over stories, so
  ``country:KP`` in a North Korea watchlist weighs nothing once most stories name it; configured
  ``ubiquitous_entities`` weigh nothing from the start; countries weigh half);
- an article naming the story's usual actors, places and numbers scores high; one that shares only
  a few of them scores low, even when the story has, over many members, mentioned nearly everything;
- reports of one event cluster in time: a gap of a full window costs ``TIME_PENALTY``;
- the article must fall within ``window_hours`` of the story's first/last member and share
  ``min_shared_entities`` features (countries count half).

Only stories sharing a feature with the article can pass, so the engine reads candidates through an
inverted index (feature -> stories); ``candidate_features`` says whose postings can hold a story
that passes, so nothing ``best_story`` would accept is left out.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from .story import StoryDigest

IDF_PRIOR = 20  # pseudo-stories: with little history no feature counts as ubiquitous
MIN_STORIES_FOR_UBIQUITY = 5
# Countries say little about which event it is (most reports name the same two or three).
TYPE_FACTOR = {"country": 0.5}
TIME_PENALTY = 0.2


@dataclass(frozen=True)
class EntityStats:
    """How many of a watchlist's stories name each feature, and how many stories there are."""

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


@functools.lru_cache(maxsize=4096)
def _type_factor(feature: str) -> float:
    return TYPE_FACTOR.get(feature.partition(":")[0], 1.0)


def feature_weight(feature: str, stats: EntityStats, rules: MatchRules) -> float:
    """IDF-like weight of a feature; 0 for configured or measured ubiquitous ones."""
    df = stats.df.get(feature, 0)
    if feature in rules.ubiquitous:
        return 0.0
    if stats.total >= MIN_STORIES_FOR_UBIQUITY and df / stats.total > rules.ubiquity_ratio:
        return 0.0
    return max(0.0, math.log((stats.total + IDF_PRIOR) / (df + 1))) * _type_factor(feature)


def profile_similarity(
    mine: set[str], story: StoryDigest, weight: dict[str, float]
) -> tuple[float, tuple[str, ...]]:
    """Weighted Jaccard of an article's features and a story's profile, and the shared features."""
    members = max(1, story.members)
    num = den = 0.0
    for feature in mine | set(story.features):
        w = weight[feature]
        if w <= 0:
            continue
        share = min(1.0, story.features.get(feature, 0) / members)
        present = 1.0 if feature in mine else 0.0
        num += w * min(present, share)
        den += w * max(present, share)
    shared = tuple(sorted(f for f in mine if weight[f] > 0 and f in story.features))
    return (num / den if den else 0.0), shared


def candidate_features(features: set[str], stats: EntityStats, rules: MatchRules) -> list[str]:
    """The article's features whose stories must be read: every story ``best_story`` can accept is
    posted under one of them.

    A story passes only if the type factors of the weighted (weight > 0) features it shares reach
    ``min_shared_entities``. So a set of features whose factors add up to less than that cannot make
    a story pass on its own: a passing story also shares a feature outside it, and that set's
    postings need not be read. The set is filled with the lowest factors (countries) first, and
    among equal factors the most common features (the longest postings) first. Weightless features
    (configured or measured ubiquitous) never count, so their postings are never read.
    """
    weighted = [f for f in features if feature_weight(f, stats, rules) > 0]
    weighted.sort(key=lambda f: (_type_factor(f), -stats.df.get(f, 0), f))
    skipped = 0.0
    needed: list[str] = []
    for feature in weighted:
        factor = _type_factor(feature)
        if skipped + factor < rules.min_shared_entities:
            skipped += factor
        else:
            needed.append(feature)
    return needed


@dataclass(frozen=True)
class Match:
    """The best story for an article and how strongly it matched."""

    story: StoryDigest
    score: float
    shared: tuple[str, ...]


def best_story(
    *, at: float, features: set[str], stories: list[StoryDigest], stats: EntityStats, rules: MatchRules
) -> Match | None:
    """The story this article most likely reports on, if any passes the same-event rule."""
    best: Match | None = None
    weights: dict[str, float] = {}
    factor = {f: _type_factor(f) for f in features}
    for story in stories:
        gap = max(0.0, at - story.last_seen, story.first_seen - at)
        if gap > rules.window_seconds:
            continue
        # Cheap pre-check (set intersection in C) before weighting: most stories share too little.
        if sum(factor[f] for f in features & story.keys) < rules.min_shared_entities:
            continue
        for feature in features | set(story.features):
            if feature not in weights:
                weights[feature] = feature_weight(feature, stats, rules)
        similarity, shared = profile_similarity(features, story, weights)
        if sum(factor[f] for f in shared) < rules.min_shared_entities:
            continue
        score = similarity - TIME_PENALTY * gap / rules.window_seconds
        if score >= rules.join_threshold and (best is None or score > best.score):
            best = Match(story, score, shared)
    return best
