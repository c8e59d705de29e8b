"""Message models of the wirewatch contract (../shared/DESIGN.md, "Messages").

Producers validate strictly (``model_validate`` on the way out); consumers ignore unknown
fields, so a newer producer never breaks an older consumer. JSON Schemas of these models are
exported to ``shared/schemas/`` by ``python -m shared.schemas`` and a test keeps them equal.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _require_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("datetime must be timezone-aware (UTC)")
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_require_utc)]
"""A timezone-aware datetime, normalised to UTC."""


def utc_now() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


class Model(BaseModel):
    """Base of every message part: ignores unknown fields, forbids nothing the consumer needs."""

    model_config = ConfigDict(extra="ignore", frozen=False, populate_by_name=True)


class Envelope(Model):
    """Fields every message carries."""

    schema_: str = Field(alias="schema", serialization_alias="schema")
    event_id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    produced_at: UtcDatetime = Field(default_factory=utc_now)
    trace: str = Field(description="article_id that started the chain")


TextSource = Literal["page", "feed"]


class ArticleFields(Model):
    """What the fetcher knows about an article (shared by raw and tagged messages)."""

    article_id: str = Field(min_length=8, max_length=64, pattern=r"^[0-9a-f]+$")
    url: str
    canonical_url: str
    feed_id: str
    source: str = Field(description="site or outlet name")
    title: str
    text: str
    text_source: TextSource = "page"
    lang: str = Field(description="ISO 639-1 code, 'und' when unknown")
    published_at: UtcDatetime | None = None
    fetched_at: UtcDatetime
    authors: list[str] = Field(default_factory=list)
    content_sha256: str = Field(description="sha256 hex of the normalised text")


class ArticleRaw(Envelope, ArticleFields):
    """article.raw/1 on wirewatch.articles.raw.v1, keyed by article_id."""

    schema_: Literal["article.raw/1"] = Field(
        default="article.raw/1", alias="schema", serialization_alias="schema"
    )


class Evidence(Model):
    """One concept term found in the article."""

    concept: str
    term: str
    span: str = Field(description="the matched text with a little context")


class WatchlistMatch(Model):
    """How one watchlist judged the article."""

    watchlist: str
    score: float = Field(ge=0.0, le=1.0)
    relevant: bool
    evidence: list[Evidence] = Field(default_factory=list)


class Entity(Model):
    """A canonical entity (``country:KP``, ``place:kursk``, ``org:nis``...) with the forms seen."""

    id: str
    type: Literal["country", "place", "org", "person", "weapon", "other"]
    surface_forms: list[str] = Field(default_factory=list)
    count: int = 1


class Fact(Model):
    """A typed numeric fact, e.g. troop_count 10000 troops, actor country:KP, place place:kursk."""

    type: str
    value: float
    unit: str
    actor: str | None = None
    place: str | None = None
    span: str


class ArticleTagged(Envelope, ArticleFields):
    """article.tagged/1 on wirewatch.articles.tagged.v1, keyed by article_id."""

    schema_: Literal["article.tagged/1"] = Field(
        default="article.tagged/1", alias="schema", serialization_alias="schema"
    )
    matches: list[WatchlistMatch] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)

    @property
    def relevant_watchlists(self) -> list[str]:
        """Names of the watchlists that found this article relevant."""
        return [m.watchlist for m in self.matches if m.relevant]


class SourceRef(Model):
    """One outlet's article inside a story."""

    source: str
    url: str
    lang: str
    title: str
    article_id: str
    published_at: UtcDatetime | None = None


class Change(Model):
    """One thing that is new in a story, in plain words, with its evidence."""

    kind: Literal["fact", "entity", "burst", "first"]
    summary: str = Field(description="plain words, e.g. 'troop estimate 1,500 -> 10,000'")
    evidence: str = ""


class StorySnapshot(Model):
    """A story as it stands after the triggering article."""

    title: str
    first_seen: UtcDatetime
    last_seen: UtcDatetime
    member_count: int = Field(ge=1)
    sources: list[SourceRef] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)
    what_changed: list[Change] = Field(default_factory=list)


class TriggerArticle(Model):
    """The article that caused a story event (trimmed: no full text)."""

    article_id: str
    url: str
    source: str
    title: str
    lang: str
    published_at: UtcDatetime | None = None
    fetched_at: UtcDatetime
    near_duplicate_of: str | None = None


StoryKind = Literal["new_story", "development", "member"]


class StoryEvent(Envelope):
    """story.event/1 on wirewatch.stories.v1, keyed by story_id."""

    schema_: Literal["story.event/1"] = Field(
        default="story.event/1", alias="schema", serialization_alias="schema"
    )
    kind: StoryKind
    story_id: str
    watchlist: str
    story: StorySnapshot
    article: TriggerArticle


AlertStatus = Literal["sent", "failed", "suppressed"]


class AlertDelivery(Envelope):
    """alert.delivery/1 on wirewatch.alerts.v1: the delivery log, keyed by story_id."""

    schema_: Literal["alert.delivery/1"] = Field(
        default="alert.delivery/1", alias="schema", serialization_alias="schema"
    )
    alert_id: str = Field(description="idempotency key derived from (story, kind, change, route)")
    story_id: str
    kind: str
    route: str
    channel: str
    status: AlertStatus
    reason: str | None = None
    attempts: int = Field(ge=0)
    latency_seconds: float | None = Field(default=None, description="article fetched_at -> delivery")


MESSAGE_MODELS: dict[str, type[Envelope]] = {
    "article.raw/1": ArticleRaw,
    "article.tagged/1": ArticleTagged,
    "story.event/1": StoryEvent,
    "alert.delivery/1": AlertDelivery,
}


def encode(message: Envelope) -> bytes:
    """Serialise a message to the wire format (UTF-8 JSON, schema field named ``schema``)."""
    return message.model_dump_json(by_alias=True).encode("utf-8")
