"""Settings of the dedup service (env ``WIREWATCH_DEDUP__*`` over ``config/wirewatch.yaml``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.settings import ServiceSettings


class DedupConfig(BaseModel):
    """Tuning of near-duplicate detection and story clustering.

    The defaults are what ``scripts/eval_clustering.py`` measured (see tests/data/clustering_baseline.json).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    horizon_days: float = Field(default=14, gt=0, description="TTL of every index and story key")
    event_ttl_hours: float = Field(default=48, gt=0, description="how long an emitted event can be replayed")
    num_perm: int = Field(default=120, ge=16, le=256, description="MinHash permutations")
    band_rows: int = Field(default=3, ge=1, le=16, description="rows per LSH band (bands = num_perm / rows)")
    shingle_size: int = Field(default=9, ge=2, le=16, description="characters per shingle (alphabetic text)")
    cjk_shingle_size: int = Field(default=4, ge=1, le=16, description="characters per shingle (CJK/Hangul)")
    near_dup_threshold: float = Field(default=0.3, gt=0, le=1, description="estimated Jaccard to confirm")
    containment_threshold: float = Field(
        default=0.7, gt=0, le=1, description="or: share of the shorter text inside the longer (cut copies)"
    )
    index_buckets: int = Field(
        default=16384, ge=1, description="hash buckets per index epoch for content keys and signatures"
    )
    band_buckets: int = Field(
        default=65536,
        ge=1,
        description="hash buckets per index epoch for LSH bands (40 fields per article: a lookup scans "
        "one bucket, so keep it near articles per epoch x 40 / 64)",
    )
    band_cap: int = Field(default=4, ge=1, le=16, description="most recent articles kept per LSH band value")
    ubiquitous_entities: list[str] = Field(
        default_factory=list, description="entity ids never used to join stories (on top of the IDF rule)"
    )
    ubiquity_ratio: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="features in more than this share of a watchlist's stories weigh nothing (1.0: off; "
        "the IDF weight alone already makes them nearly weightless)",
    )
    join_threshold: float = Field(
        default=0.25, gt=0, description="same-event score (weighted Jaccard - time penalty) to join a story"
    )
    max_story_sources: int = Field(default=50, ge=1, description="sources kept in a story snapshot")
    commit_attempts: int = Field(default=20, ge=1, description="optimistic retries before a transient error")


class DedupSettings(ServiceSettings):
    """Settings of ``python -m services.dedup``."""

    default_metrics_port: ClassVar[int] = 9103

    consumer_group: str = "wirewatch-dedup"
    dedup: DedupConfig = Field(default_factory=DedupConfig)
