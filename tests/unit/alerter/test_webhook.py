"""Signed webhooks: signatures checked by an independent HMAC implementation, stale timestamps
rejected, the payload valid against the checked-in JSON Schema."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import jsonschema  # type: ignore[import-untyped]
import pytest

from services.alerter.alert import digest_alert, single_alert, story_from_event
from services.alerter.channels import WebhookSink
from services.alerter.routes import Channel
from services.alerter.secrets import Secret
from services.alerter.webhook_payload import SCHEMA_FILE, build_payload, payload_bytes, render_schema
from shared.webhook_signature import SignatureError, sign, verify
from tests.unit.alerter.factories import FakeClock, event

SECRET = "whsec_test_0123456789"
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def independent_check(secret: str, body: bytes, header: str, now: float) -> bool:
    """What a receiver in another code base would write, straight from docs/webhooks.md."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    ts = int(fields["t"])
    expected = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return abs(now - ts) <= 300 and hmac.compare_digest(expected, fields["v1"])


def test_sign_matches_an_independent_hmac() -> None:
    body = b'{"hello": "world"}'
    header = sign(SECRET, body, 1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    assert independent_check(SECRET, body, header, 1_700_000_010)
    assert (
        header.split("v1=")[1] == hmac.new(SECRET.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    )


def test_verify_accepts_good_and_rejects_tampered_stale_future_malformed() -> None:
    body = b'{"a": 1}'
    header = sign(SECRET, body, 1000)
    assert verify(SECRET, body, header, now=1100) == 1000
    with pytest.raises(SignatureError, match="does not match"):
        verify(SECRET, body + b" ", header, now=1100)
    with pytest.raises(SignatureError, match="does not match"):
        verify("other-secret", body, header, now=1100)
    with pytest.raises(SignatureError, match="tolerance"):
        verify(SECRET, body, header, now=1000 + 301)
    with pytest.raises(SignatureError, match="tolerance"):
        verify(SECRET, body, header, now=1000 - 301)
    for bad in ("", "v1=abc", "t=abc,v1=00", "t=1000", "garbage"):
        with pytest.raises(SignatureError):
            verify(SECRET, body, bad, now=1000)


def test_verify_accepts_any_of_several_signatures_for_key_rotation() -> None:
    body = b"{}"
    good = sign(SECRET, body, 50).split("v1=")[1]
    assert verify(SECRET, body, f"t=50,v1={'0' * 64},v1={good}", now=60) == 50


async def test_webhook_sink_sends_signed_payload_with_idempotency_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    clock = FakeClock(NOW)
    channel = Channel("hook", "webhook", url=Secret("https://hooks.example/x"), signing_key=Secret(SECRET))
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        alert = single_alert(story_from_event(event("development", changes=["x"]), "r"), "r", NOW)
        await WebhookSink(channel, client, clock).send(alert)
    request = seen[0]
    assert request.headers["x-wirewatch-idempotency-key"] == alert.alert_id
    assert independent_check(SECRET, request.content, request.headers["x-wirewatch-signature"], clock.time())
    assert verify(SECRET, request.content, request.headers["x-wirewatch-signature"], now=clock.time())


def test_schema_file_is_current() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == render_schema(), (
        "run python -m services.alerter.webhook_payload"
    )


@pytest.mark.parametrize("kind", ["new_story", "development", "digest"])
def test_payloads_validate_against_the_checked_in_schema(kind: str) -> None:
    schema = json.loads(Path(SCHEMA_FILE).read_text(encoding="utf-8"))
    stories = [
        story_from_event(event("development" if kind != "new_story" else "new_story", changes=["c"]), "r")
    ]
    if kind == "digest":
        alert = digest_alert(stories * 2, "r", "quiet_hours", NOW)
    else:
        alert = single_alert(stories[0], "r", NOW)
    body = json.loads(payload_bytes(build_payload(alert, NOW)))
    jsonschema.validate(body, schema)
    assert body["schema"] == "alert.webhook/1"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**body, "stories": []}, schema)
