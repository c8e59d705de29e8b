"""Story state as the engine keeps it (stored as JSON), and its compact digest used for matching."""

from __future__ import annotations

import functools
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.messages import Entity, Fact, SourceRef, UtcDatetime


class Arrival(BaseModel):
    """One independent member (not a near-duplicate copy), for the burst rule."""

    source: str
    at: float  # published_at (fallback fetched_at), epoch seconds


class StoryState(BaseModel):
    """Everything the engine needs to merge the next article and to write a snapshot."""

    model_config = ConfigDict(extra="ignore")

    story_id: str
    watchlist: str
    version: int = 0
    title: str
    first_seen: UtcDatetime
    last_seen: UtcDatetime
    member_count: int = 1
    independent_members: int = Field(default=1, description="members that are not near-duplicate copies")
    sources: list[SourceRef] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    entity_counts: dict[str, int] = Field(default_factory=dict, description="members naming each id")
    fact_counts: dict[str, int] = Field(default_factory=dict, description="members stating each fact feature")
    facts: list[Fact] = Field(default_factory=list)
    fact_max: dict[str, float] = Field(default_factory=dict, description="largest value per fact type")
    arrivals: list[Arrival] = Field(default_factory=list)
    burst_reported: bool = False

    def digest(self) -> StoryDigest:
        """The compact form the matcher reads for every story in the window."""
        return StoryDigest(
            story_id=self.story_id,
            version=self.version,
            first_seen=self.first_seen.timestamp(),
            last_seen=self.last_seen.timestamp(),
            members=max(1, self.independent_members),
            features={**self.entity_counts, **self.fact_counts},
        )


class StoryDigest(BaseModel):
    """What same-event matching needs of a story: entity counts, fact values, time span, version."""

    story_id: str
    version: int
    first_seen: float
    last_seen: float
    members: int  # independent members (entity counts come only from them)
    features: dict[str, int]  # entity ids and fact features -> independent members naming them

    @functools.cached_property
    def keys(self) -> frozenset[str]:
        """The story's features as a set (digests are cached and reused: computed once)."""
        return frozenset(self.features)


# Small counts of troops/workers are mostly misread dates and ordinals, not facts about the event.
MIN_FACT_VALUE = {"troop_count": 50.0, "worker_count": 50.0}


def fact_features(facts: list[Fact]) -> set[str]:
    """Facts as matchable features: ``fact:troop_count:1500`` (language-independent, like entity ids)."""
    return {
        f"fact:{f.type}:{f.value:g}"
        for f in facts
        if f.value >= MIN_FACT_VALUE.get(f.type, 1.0) and f.value > 0
    }


def features(entities: list[Entity], facts: list[Fact]) -> set[str]:
    """Everything same-event matching compares: canonical entity ids and fact features."""
    return {e.id for e in entities} | fact_features(facts)


def event_time(published_at: datetime | None, fetched_at: datetime) -> datetime:
    """Story time of an article: published_at, or fetched_at when the feed gave no date."""
    return published_at or fetched_at
