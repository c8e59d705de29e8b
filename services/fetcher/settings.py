"""Fetcher settings: the shared service settings plus a ``fetcher`` section.

Environment overrides use ``__`` for the section: ``WIREWATCH_FETCHER__USER_AGENT=...``.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.settings import ServiceSettings

DEFAULT_USER_AGENT = "wirewatch-fetcher/0.1 (+https://github.com/wirewatch; news monitoring)"


class FetchOptions(BaseModel):
    """Knobs of the fetcher: HTTP limits, politeness, extraction workers."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    feeds_file: Path = Path("config/feeds.yaml")
    user_agent: str = DEFAULT_USER_AGENT
    extract_workers: int = Field(default=2, ge=0, description="0 = extract in-process (tests)")
    extract_fast: bool = Field(default=False, description="trafilatura without its fallback extractors")
    extract_timeout: float = Field(default=60.0, gt=0)
    max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    max_decompressed_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    max_decompression_ratio: float = Field(default=100.0, ge=1.0)
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    total_timeout: float = 30.0
    max_redirects: int = Field(default=5, ge=0)
    per_host_concurrency: int = Field(default=2, ge=1)
    per_host_min_delay: float = Field(default=0.5, ge=0.0)
    max_text_chars: int = Field(default=200_000, ge=1000)
    max_entries_per_poll: int = Field(default=200, ge=1)
    max_inflight_articles: int = Field(default=8, ge=1)
    seen_ttl_days: float = Field(default=30.0, gt=0)
    robots_ttl_seconds: float = 3600.0
    respect_robots: bool = True
    error_backoff_initial: float = 30.0
    error_backoff_max: float = 3600.0
    config_check_interval: float = 2.0


class FetcherSettings(ServiceSettings):
    """Settings of the fetcher service (metrics/health on port 9101)."""

    default_metrics_port: ClassVar[int] = 9101

    fetcher: FetchOptions = FetchOptions()
