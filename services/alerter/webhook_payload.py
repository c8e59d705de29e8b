"""The signed webhook payload ``alert.webhook/1`` (documented in docs/webhooks.md; JSON Schema in
docs/webhook-alert.schema.json, kept equal to these models by a test).

Versioning: fields may be added within ``/1``; removing or changing a field makes ``/2``.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.alerter.alert import Alert, AlertStory
from shared.messages import Change, Entity, Fact, SourceRef, TriggerArticle, UtcDatetime

WEBHOOK_SCHEMA = "alert.webhook/1"
SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "webhook-alert.schema.json"


class PayloadModel(BaseModel):
    """Receivers must ignore fields they do not know."""

    model_config = ConfigDict(extra="ignore")


class WebhookStory(PayloadModel):
    """One story as a webhook receiver sees it."""

    story_id: str
    watchlist: str
    kind: Literal["new_story", "development"]
    title: str
    first_seen: UtcDatetime
    last_seen: UtcDatetime
    member_count: int = Field(ge=1)
    languages: list[str]
    outlets: int = Field(ge=0, description="distinct outlets (sources) in the story")
    changes: list[Change] = Field(description="what is new; empty for a plain new story")
    sources: list[SourceRef]
    entities: list[Entity]
    facts: list[Fact]
    trigger: TriggerArticle = Field(description="the latest article that triggered the alert")


class WebhookPayload(PayloadModel):
    """alert.webhook/1: the body of a signed wirewatch webhook."""

    schema_: Literal["alert.webhook/1"] = Field(default="alert.webhook/1", alias="schema")
    alert_id: str = Field(description="idempotency key, also sent as X-Wirewatch-Idempotency-Key")
    kind: Literal["new_story", "development", "digest", "test"]
    route: str
    created_at: UtcDatetime = Field(description="when the alert was decided")
    sent_at: UtcDatetime = Field(description="when this attempt was sent")
    digest_reason: str | None = Field(default=None, description="quiet_hours | rate_limit for digests")
    stories: list[WebhookStory] = Field(min_length=1, description="one story, or several for a digest")

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def _story(s: AlertStory) -> WebhookStory:
    snap = s.story
    return WebhookStory(
        story_id=s.story_id,
        watchlist=s.watchlist,
        kind=s.kind,
        title=snap.title,
        first_seen=snap.first_seen,
        last_seen=snap.last_seen,
        member_count=snap.member_count,
        languages=snap.languages,
        outlets=len({x.source for x in snap.sources}),
        changes=s.changes,
        sources=snap.sources,
        entities=snap.entities,
        facts=snap.facts,
        trigger=s.article,
    )


def build_payload(alert: Alert, sent_at: datetime) -> WebhookPayload:
    """The webhook payload of an alert."""
    return WebhookPayload(
        alert_id=alert.alert_id,
        kind=alert.kind,
        route=alert.route,
        created_at=alert.created_at,
        sent_at=sent_at,
        digest_reason=alert.digest_reason,
        stories=[_story(s) for s in alert.stories],
    )


def payload_bytes(payload: WebhookPayload) -> bytes:
    """The exact bytes that are signed and sent (compact UTF-8 JSON)."""
    return payload.model_dump_json(by_alias=True).encode("utf-8")


def json_schema() -> dict[str, Any]:
    """The JSON Schema of alert.webhook/1 as checked in."""
    body = WebhookPayload.model_json_schema(by_alias=True, mode="serialization")
    body["$id"] = "https://wirewatch.dev/schemas/alert.webhook.v1.json"
    return body


def render_schema() -> str:
    """The checked-in schema file's text (``python -m services.alerter.webhook_payload`` writes it)."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    SCHEMA_FILE.write_text(render_schema(), encoding="utf-8")
