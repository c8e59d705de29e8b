"""Silences: operator-created mutes matching a watchlist, a story id, an entity or a term (all
given matchers must match), with an author, a comment and an expiry. Stored in one Redis hash;
expired entries are pruned on read. Managed with ``wirewatch silence add|list|rm``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.alerter.alert import AlertStory
from services.alerter.clock import Clock
from shared.messages import UtcDatetime


class Silence(BaseModel):
    """One silence. At least one matcher is required (a silence matching everything is an accident)."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    watchlist: str | None = None
    story_id: str | None = None
    entity: str | None = Field(default=None, description="canonical id, e.g. place:kursk")
    term: str | None = Field(default=None, description="case-insensitive text in title or changes")
    route: str | None = None
    author: str = Field(min_length=1)
    comment: str = ""
    created_at: UtcDatetime
    expires_at: UtcDatetime

    @model_validator(mode="after")
    def _has_matcher(self) -> Silence:
        if not any((self.watchlist, self.story_id, self.entity, self.term)):
            raise ValueError("a silence needs at least one of watchlist, story_id, entity, term")
        if self.expires_at <= self.created_at:
            raise ValueError("expires_at must be after created_at")
        return self

    def active(self, now: datetime) -> bool:
        """True until the expiry."""
        return now < self.expires_at

    def matches(self, story: AlertStory, route: str) -> bool:
        """True when every matcher given matches the story."""
        if self.route and self.route != route:
            return False
        if self.watchlist and self.watchlist != story.watchlist:
            return False
        if self.story_id and self.story_id != story.story_id:
            return False
        if self.entity and self.entity.lower() not in {e.id.lower() for e in story.story.entities}:
            return False
        if self.term:
            term = self.term.casefold()
            texts = [story.story.title, story.article.title, *(c.summary for c in story.changes)]
            texts += [f for e in story.story.entities for f in e.surface_forms]
            if not any(term in t.casefold() for t in texts):
                return False
        return True

    def describe(self) -> str:
        """``watchlist=x entity=y`` for listings."""
        parts = [f"{k}={v}" for k, v in (
            ("watchlist", self.watchlist), ("story", self.story_id), ("entity", self.entity),
            ("term", self.term), ("route", self.route),
        ) if v]  # fmt: skip
        return " ".join(parts)


class SilenceStore:
    """Silences in a Redis hash, with a short in-process cache for the hot path."""

    def __init__(self, redis: Any, key: str, clock: Clock, cache_seconds: float = 1.0) -> None:
        self.redis, self.key, self.clock = redis, key, clock
        self.cache_seconds = cache_seconds
        self._cache: list[Silence] | None = None
        self._cached_at = 0.0

    async def add(self, silence: Silence) -> Silence:
        """Store a silence."""
        await self.redis.hset(self.key, silence.id, silence.model_dump_json())
        self._cache = None
        return silence

    async def remove(self, silence_id: str) -> bool:
        """Delete a silence; False when there was none with that id."""
        self._cache = None
        return bool(await self.redis.hdel(self.key, silence_id))

    async def list(self, *, include_expired: bool = False) -> list[Silence]:
        """Silences by expiry; expired ones are pruned unless asked for."""
        raw: dict[bytes, bytes] = await self.redis.hgetall(self.key)
        now = datetime.fromtimestamp(self.clock.time()).astimezone()
        out, expired = [], []
        for sid, body in raw.items():
            try:
                silence = Silence.model_validate_json(body)
            except ValueError:
                expired.append(sid)
                continue
            if silence.active(now) or include_expired:
                out.append(silence)
            else:
                expired.append(sid)
        if expired and not include_expired:
            await self.redis.hdel(self.key, *expired)
        return sorted(out, key=lambda s: s.expires_at)

    async def matching(self, story: AlertStory, route: str) -> Silence | None:
        """The first active silence that matches, using a cache of about a second."""
        now = self.clock.time()
        if self._cache is None or now - self._cached_at > self.cache_seconds or now < self._cached_at:
            self._cache = await self.list()
            self._cached_at = now
        moment = datetime.fromtimestamp(now).astimezone()
        return next((s for s in self._cache if s.active(moment) and s.matches(story, route)), None)
