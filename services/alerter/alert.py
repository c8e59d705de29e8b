"""What the alerter sends: an ``Alert`` about one story (new, development, merged window) or a
digest of several. Alerts are stored in Redis as JSON between the decision and the delivery."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.ids import short_hash
from shared.messages import Change, StoryEvent, StorySnapshot, TriggerArticle, UtcDatetime

AlertKind = Literal["new_story", "development", "digest", "test"]


class AlertStory(BaseModel):
    """One story inside an alert: its latest snapshot and the changes being reported."""

    model_config = ConfigDict(extra="ignore")

    story_id: str
    watchlist: str
    kind: Literal["new_story", "development"]
    story: StorySnapshot
    article: TriggerArticle
    changes: list[Change] = Field(default_factory=list)
    event_alert_ids: list[str] = Field(default_factory=list)
    oldest_fetched_at: UtcDatetime


class Alert(BaseModel):
    """An alert for one route: ``stories`` has one entry, or several for a digest."""

    model_config = ConfigDict(extra="ignore")

    alert_id: str
    route: str
    kind: AlertKind
    created_at: UtcDatetime
    stories: list[AlertStory] = Field(min_length=1)
    digest_reason: str | None = None

    @property
    def main(self) -> AlertStory:
        """The (first) story of the alert."""
        return self.stories[0]

    @property
    def oldest_fetched_at(self) -> datetime:
        """Earliest article fetch time among the reported changes (for the pipeline latency)."""
        return min(s.oldest_fetched_at for s in self.stories)


def change_key(changes: list[Change]) -> str:
    """A stable text naming a set of changes (order-independent)."""
    return "\n".join(sorted({f"{c.kind}:{c.summary}" for c in changes}))


def event_alert_id(event: StoryEvent, route: str) -> str:
    """The idempotency key of one story event on one route: hash(story, kind, change, route).

    A redelivered event, or a second event reporting the same change, gives the same id. A
    ``member`` event has no change: its article is what is new (routes may opt in to members).
    """
    if event.kind == "new_story":
        change = ""
    elif event.kind == "member":
        change = f"member:{event.article.article_id}"
    else:
        change = change_key(event.story.what_changed)
    return short_hash(event.story_id, event.kind, change, route, length=32)


def story_from_event(event: StoryEvent, route: str) -> AlertStory:
    """One event as an alert story."""
    kind: Literal["new_story", "development"] = "new_story" if event.kind == "new_story" else "development"
    return AlertStory(
        story_id=event.story_id,
        watchlist=event.watchlist,
        kind=kind,
        story=event.story,
        article=event.article,
        changes=[c for c in event.story.what_changed if c.kind != "first"],
        event_alert_ids=[event_alert_id(event, route)],
        oldest_fetched_at=event.article.fetched_at,
    )


def merge_stories(items: list[AlertStory]) -> AlertStory:
    """Several events of one story (a throttle window or group_wait) as one: the latest snapshot,
    every distinct change in order, ``new_story`` if any of them was the first."""
    latest = max(items, key=lambda s: (s.story.last_seen, s.story.member_count))
    changes: list[Change] = []
    seen: set[str] = set()
    for item in items:
        for c in item.changes:
            if c.summary not in seen:
                seen.add(c.summary)
                changes.append(c)
    ids = sorted({i for item in items for i in item.event_alert_ids})
    return latest.model_copy(
        update={
            "kind": "new_story" if any(s.kind == "new_story" for s in items) else "development",
            "changes": changes,
            "event_alert_ids": ids,
            "oldest_fetched_at": min(s.oldest_fetched_at for s in items),
        }
    )


def single_alert(story: AlertStory, route: str, created_at: datetime) -> Alert:
    """An alert about one story; its id is derived from the events it reports, so re-building it
    after a crash gives the same id (and the idempotency key stops a second send)."""
    if len(story.event_alert_ids) == 1:
        alert_id = story.event_alert_ids[0]
    else:
        alert_id = short_hash(route, story.story_id, *story.event_alert_ids, length=32)
    return Alert(alert_id=alert_id, route=route, kind=story.kind, created_at=created_at, stories=[story])


def digest_alert(stories: list[AlertStory], route: str, reason: str, created_at: datetime) -> Alert:
    """A digest of alerts held back by quiet hours or the rate limit."""
    ids = sorted({i for s in stories for i in s.event_alert_ids})
    alert_id = short_hash(route, "digest", *ids, length=32)
    return Alert(
        alert_id=alert_id,
        route=route,
        kind="digest",
        created_at=created_at,
        stories=stories,
        digest_reason=reason,
    )
