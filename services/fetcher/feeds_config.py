"""The operator's feed list (``config/feeds.yaml``): model, loader and validation.

Every error names the file, the feed and the field, e.g.
``config/feeds.yaml: feed 'yonhap-en' (#3): poll_interval: must be >= 30 seconds``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.errors import ConfigError

FeedKind = Literal["rss", "atom", "json", "html-index"]
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class FeedConfig(BaseModel):
    """One feed. ``id`` is the metrics label and the Redis key part, so it is short and stable."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    url: str
    kind: FeedKind = "rss"
    source: str | None = Field(default=None, description="outlet name; default: the feed's own title")
    language: str | None = Field(default=None, description="ISO 639-1 hint for language detection")
    poll_interval: float = Field(default=300.0, ge=1.0, le=86400.0, description="seconds")
    jitter: float = Field(default=0.1, ge=0.0, le=0.5, description="fraction of the interval")
    tags: list[str] = Field(default_factory=list)
    headers: dict[str, str] = Field(default_factory=dict)
    allow_private: bool = Field(default=False, description="allow links to private/loopback hosts")
    fetch_articles: bool = Field(default=True, description="fetch article pages (else feed summary)")
    link_pattern: str | None = Field(default=None, description="html-index: regex an article URL must match")
    enabled: bool = True

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("must be 1-64 chars of a-z 0-9 . _ - (it is a metrics label)")
        return value

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an absolute http(s) URL")
        return value

    @field_validator("language")
    @classmethod
    def _check_language(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^[a-z]{2,3}$", value):
            raise ValueError("must be an ISO 639-1 code such as 'en' or 'ko'")
        return value

    @field_validator("link_pattern")
    @classmethod
    def _check_pattern(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value


class FeedsConfig(BaseModel):
    """The whole file: a list of feeds with unique ids."""

    model_config = ConfigDict(frozen=True)

    feeds: tuple[FeedConfig, ...] = ()

    def enabled(self) -> dict[str, FeedConfig]:
        """Enabled feeds by id."""
        return {f.id: f for f in self.feeds if f.enabled}


def _feed_label(index: int, entry: object) -> str:
    if isinstance(entry, dict) and isinstance(entry.get("id"), str):
        return f"feed '{entry['id']}' (#{index + 1})"
    return f"feed #{index + 1}"


def parse_feeds(data: object, origin: str) -> FeedsConfig:
    """Validate parsed YAML; ``origin`` (the file name) starts every error message."""
    if data is None:
        return FeedsConfig()
    if not isinstance(data, dict) or not isinstance(data.get("feeds", []), list):
        raise ConfigError(f"{origin}: expected a mapping with a 'feeds:' list")
    unknown = set(data) - {"feeds", "defaults"}
    if unknown:
        raise ConfigError(f"{origin}: unknown top-level field(s): {', '.join(sorted(unknown))}")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise ConfigError(f"{origin}: defaults: expected a mapping")
    feeds: list[FeedConfig] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(data.get("feeds") or []):
        label = _feed_label(index, entry)
        if not isinstance(entry, dict):
            raise ConfigError(f"{origin}: {label}: expected a mapping with id and url")
        try:
            feed = FeedConfig.model_validate({**defaults, **entry})
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(feed)'}: {err['msg']}" for err in exc.errors()
            )
            raise ConfigError(f"{origin}: {label}: {problems}") from exc
        if feed.id in seen:
            raise ConfigError(f"{origin}: {label}: id: duplicate of feed #{seen[feed.id] + 1}")
        seen[feed.id] = index
        feeds.append(feed)
    return FeedsConfig(feeds=tuple(feeds))


def load_feeds(path: Path) -> FeedsConfig:
    """Read and validate a feeds file. Raises ``ConfigError`` naming file, feed and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
    return parse_feeds(data, str(path))


def dump_feeds(config: FeedsConfig) -> str:
    """YAML text of a feeds config (used by ``wirewatch feeds import-opml``)."""
    feeds = [
        f.model_dump(mode="json", exclude_defaults=True, include=None) | {"id": f.id, "url": f.url}
        for f in config.feeds
    ]
    ordered = [{"id": f.pop("id"), "url": f.pop("url"), **f} for f in feeds]
    return yaml.safe_dump({"feeds": ordered}, sort_keys=False, allow_unicode=True)
