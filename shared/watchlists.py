"""Watchlist configuration (``config/watchlists/*.yaml``), shared by the extractor and dedup.

The extractor uses the concepts, rule, entities and facts to tag articles; dedup uses the
``story`` and ``developments`` sections to decide what joins a story and what is a development.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class StrictModel(BaseModel):
    """Config models reject unknown keys so a typo is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FactIncrease(StrictModel):
    """A fact of this type whose value grows past ``min_ratio`` x the story's maximum is a development."""

    type: str
    min_ratio: float = Field(default=1.3, gt=1.0)


class BurstRule(StrictModel):
    """``sources`` independent outlets within ``minutes`` is a development (once per story)."""

    sources: int = Field(default=4, ge=2)
    minutes: int = Field(default=60, ge=1)


class DevelopmentRules(StrictModel):
    """What counts as new in a story of this watchlist (used by dedup)."""

    fact_increase: list[FactIncrease] = Field(default_factory=list)
    first_fact_types: list[str] = Field(
        default_factory=list, description="first appearance of one of these fact types is a development"
    )
    key_entities: list[str] = Field(
        default_factory=list, description="canonical ids whose first appearance is a development"
    )
    burst: BurstRule | None = None


class StoryRules(StrictModel):
    """When an article joins an existing story of this watchlist (used by dedup)."""

    window_hours: float = Field(default=72, gt=0)
    min_shared_entities: int = Field(default=2, ge=1)
