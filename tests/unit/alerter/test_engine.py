"""Alert hygiene and delivery with a controllable clock: once per story, throttle windows merged
into one message, group_wait, rate-limit digest, quiet hours digest, silences, retries, DLQ,
idempotency after a crash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from services.alerter.silences import Silence
from tests.unit.alerter.factories import T0, event, harness

ROUTE = "  - name: r1\n    channels: [hook]\n"


async def test_new_story_sent_once_per_route_and_redelivery_never_resends(tmp_path: Path) -> None:
    h = harness(tmp_path, ROUTE)
    ev = event("new_story")
    assert await h.engine.on_event(ev) == []
    await h.run()
    assert len(h.requests) == 1
    # the same event redelivered, and a second new_story for the same story: nothing is sent
    await h.handle(ev)
    await h.handle(event("new_story", title="other wording"))
    await h.run()
    assert len(h.requests) == 1
    sent = h.collector.logs("sent")
    assert (
        len(sent) == 1
        and sent[0]["route"] == "r1"
        and sent[0]["channel"] == "hook"
        and sent[0]["attempts"] == 1
    )
    assert h.collector.logs("suppressed") == []  # a redelivery is not a new outcome


async def test_every_matching_route_gets_the_event(tmp_path: Path) -> None:
    routes = ROUTE + "  - name: r2\n    match:\n      watchlists: [other]\n    channels: [hook]\n"
    routes += "  - name: r3\n    match:\n      min_sources: 3\n    channels: [hook]\n"
    routes += "  - name: r4\n    channels: [slack]\n"
    h = harness(tmp_path, routes)
    await h.handle(event("new_story", sources=2))
    await h.run()
    assert sorted(r["route"] for r in h.collector.logs("sent")) == ["r1", "r4"]


async def test_member_events_do_not_alert_by_default(tmp_path: Path) -> None:
    routes = ROUTE + "  - name: members\n    match:\n      kinds: [member]\n    channels: [slack]\n"
    h = harness(tmp_path, routes)
    await h.handle(event("member", changes=[]))
    await h.run()
    assert [r["route"] for r in h.collector.logs("sent")] == ["members"]


async def test_developments_throttled_and_merged_when_the_window_closes(tmp_path: Path) -> None:
    h = harness(tmp_path, ROUTE + "    throttle:\n      min_interval_seconds: 600\n")
    await h.handle(event("new_story"))
    await h.run()
    h.clock.advance(60)
    await h.handle(event("development", changes=["troop estimate 1,500 -> 10,000"]))
    h.clock.advance(60)
    await h.handle(event("development", changes=["NATO confirms units in Kursk"]))
    await h.handle(event("development", changes=["NATO confirms units in Kursk"]))  # same change again
    await h.run()
    assert len(h.requests) == 1, "inside the window nothing more is sent"
    suppressed = h.collector.logs("suppressed")
    assert {r["reason"] for r in suppressed} == {"throttled"}
    assert len({r["alert_id"] for r in suppressed}) == 2  # the repeat is logged again under the same id
    h.clock.advance(481)  # the window (600 s after the first message) closes
    await h.run()
    assert len(h.requests) == 2
    merged = h.bodies()[1]["stories"][0]
    assert merged["kind"] == "development"
    assert [c["summary"] for c in merged["changes"]] == [
        "troop estimate 1,500 -> 10,000",
        "NATO confirms units in Kursk",
    ]
    # the next development starts a new window: sent at once if the window has passed
    h.clock.advance(601)
    await h.handle(event("development", changes=["Pentagon confirms"]))
    await h.run()
    assert len(h.requests) == 3


async def test_window_merge_survives_a_restart(tmp_path: Path) -> None:
    """The window is in Redis: a new engine over the same Redis sends the merged message."""
    h = harness(tmp_path, ROUTE + "    throttle:\n      min_interval_seconds: 300\n")
    await h.handle(event("development", changes=["a"]))
    await h.handle(event("development", changes=["b"]))
    await h.run()
    h2 = harness(tmp_path, ROUTE + "    throttle:\n      min_interval_seconds: 300\n")
    h2.redis.data, h2.clock.now = h.redis.data, h.clock.now + 301
    await h2.run()
    assert [c["summary"] for c in h2.bodies()[0]["stories"][0]["changes"]] == ["b"]


async def test_group_wait_folds_early_developments_into_the_first_message(tmp_path: Path) -> None:
    h = harness(tmp_path, ROUTE + "    group_wait_seconds: 30\n")
    await h.handle(event("new_story"))
    h.clock.advance(10)
    await h.handle(event("development", changes=["NATO confirms units in Kursk"]))
    await h.run()
    assert h.requests == []
    h.clock.advance(21)
    await h.run()
    assert len(h.requests) == 1
    story = h.bodies()[0]["stories"][0]
    assert story["kind"] == "new_story" and story["changes"][0]["summary"] == "NATO confirms units in Kursk"


async def test_rate_limit_overflow_rolls_into_one_digest(tmp_path: Path) -> None:
    h = harness(tmp_path, ROUTE + "    rate_limit:\n      max_alerts: 2\n      per_seconds: 60\n")
    h.clock.now = (int(h.clock.now) // 60) * 60 + 1.0
    for i in range(5):
        await h.handle(event("new_story", story_id=f"s{i}", title=f"story {i}"))
    await h.run()
    assert len(h.requests) == 2
    h.clock.advance(60)
    await h.run()
    assert len(h.requests) == 3
    digest = h.bodies()[2]
    assert digest["kind"] == "digest" and digest["digest_reason"] == "rate_limit"
    assert sorted(s["story_id"] for s in digest["stories"]) == ["s2", "s3", "s4"]


async def test_quiet_hours_turn_alerts_into_a_digest_sent_when_they_end(tmp_path: Path) -> None:
    quiet = '    quiet_hours:\n      start: "22:00"\n      end: "07:00"\n      timezone: Europe/Berlin\n'
    h = harness(tmp_path, ROUTE + quiet)
    h.clock.now = datetime(2026, 11, 20, 23, 30, tzinfo=UTC).timestamp()  # 00:30 in Berlin
    await h.handle(event("new_story", story_id="a", title="first"))
    await h.handle(event("new_story", story_id="b", title="second"))
    await h.run()
    assert h.requests == []
    h.clock.now = datetime(2026, 11, 21, 5, 59, tzinfo=UTC).timestamp()  # 06:59 Berlin
    await h.run()
    assert h.requests == []
    h.clock.now = datetime(2026, 11, 21, 6, 0, 1, tzinfo=UTC).timestamp()  # 07:00:01 Berlin
    await h.run()
    assert len(h.requests) == 1
    body = h.bodies()[0]
    assert body["kind"] == "digest" and body["digest_reason"] == "quiet_hours" and len(body["stories"]) == 2
    held = h.collector.logs("suppressed")
    assert [r["reason"] for r in held] == ["quiet_hours", "quiet_hours"]
    assert h.collector.logs("sent")[0]["story_id"] == "digest:r1"


async def test_silences_match_entity_term_watchlist_and_expire(tmp_path: Path) -> None:
    h = harness(tmp_path, ROUTE)
    store = h.engine.silences
    now = datetime.fromtimestamp(h.clock.time(), UTC)
    await store.add(
        Silence(entity="place:kursk", author="ana", created_at=now, expires_at=now + timedelta(hours=1))
    )
    await h.handle(event("new_story", story_id="s1"))
    await h.handle(event("new_story", story_id="s2", title="Unrelated port story"))  # still has kursk entity
    logs = h.collector.outputs
    assert len(logs) == 2
    await h.run()
    assert h.requests == []
    h.clock.advance(3601)  # expired
    await h.handle(event("new_story", story_id="s3"))
    await h.run()
    assert len(h.requests) == 1
    assert await store.list() == []  # pruned


async def test_silence_by_term_and_story(tmp_path: Path) -> None:
    h = harness(tmp_path, ROUTE)
    now = datetime.fromtimestamp(h.clock.time(), UTC)
    later = now + timedelta(hours=1)
    await h.engine.silences.add(Silence(term="DRILL", author="a", created_at=now, expires_at=later))
    await h.engine.silences.add(
        Silence(story_id="s9", watchlist="nk-russia-military", author="a", created_at=now, expires_at=later)
    )
    await h.handle(event("new_story", story_id="s1", title="Naval drill near Vladivostok"))
    await h.handle(event("new_story", story_id="s9"))
    await h.handle(event("new_story", story_id="s2"))
    await h.run()
    assert [b["stories"][0]["story_id"] for b in h.bodies()] == ["s2"]
    assert {r["reason"] for r in h.collector.logs("suppressed")} == {"silenced"}


async def test_500_then_recovery_is_retried_with_backoff(tmp_path: Path) -> None:
    h = harness(tmp_path, ROUTE)
    h.responses.extend([httpx.Response(500), httpx.Response(503)])
    await h.handle(event())
    await h.run()
    assert len(h.requests) == 1
    for _ in range(10):
        h.clock.advance(5)
        await h.run()
    assert len(h.requests) == 3
    sent = h.collector.logs("sent")
    assert len(sent) == 1 and sent[0]["attempts"] == 3
    assert len({r.headers["x-wirewatch-idempotency-key"] for r in h.requests}) == 1


async def test_429_retry_after_is_honoured(tmp_path: Path) -> None:
    h = harness(tmp_path, ROUTE)
    h.responses.append(httpx.Response(429, headers={"Retry-After": "30"}))
    await h.handle(event())
    await h.run()
    h.clock.advance(29)
    await h.run()
    assert len(h.requests) == 1, "not before Retry-After"
    h.clock.advance(1.5)
    await h.run()
    assert len(h.requests) == 2 and len(h.collector.logs("sent")) == 1


async def test_budget_exhausted_goes_failed_and_to_the_dlq(tmp_path: Path) -> None:
    defaults = "defaults:\n  retry:\n    budget_seconds: 20\n    initial_seconds: 1\n    max_seconds: 4\n"
    h = harness(tmp_path, ROUTE, defaults=defaults)
    h.responses.extend([httpx.ConnectError("refused")] * 100)  # type: ignore[list-item]
    await h.handle(event())
    for _ in range(40):
        await h.run(1)
        h.clock.advance(1)
    failed = h.collector.logs("failed")
    assert len(failed) == 1 and failed[0]["attempts"] >= 5 and "connection error" in failed[0]["reason"]
    dlq = [o for o in h.collector.outputs if o.topic == "wirewatch.alerts.v1.dlq"]
    assert len(dlq) == 1 and dict(dlq[0].headers)["wirewatch-channel"] == b"hook"
    assert await h.engine.state.scheduled_count() == 0


async def test_permanent_error_fails_without_retrying(tmp_path: Path) -> None:
    h = harness(tmp_path, ROUTE)
    h.responses.append(httpx.Response(404, text="no_service"))
    await h.handle(event())
    await h.run()
    assert len(h.requests) == 1
    assert h.collector.logs("failed")[0]["reason"] == "HTTP 404: no_service"


async def test_crash_midway_through_a_decision_is_repaired_by_redelivery(tmp_path: Path) -> None:
    """Redis fails after the once-key was taken: the redelivered event still sends exactly once."""
    h = harness(tmp_path, ROUTE)
    real = h.engine.dispatch

    async def crash(*args: object, **kwargs: object) -> str:
        raise ConnectionError("redis went away")

    h.engine.dispatch = crash  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        await h.engine.on_event(event())
    h.engine.dispatch = real  # type: ignore[method-assign]
    await h.handle(event())
    await h.handle(event())
    await h.run()
    assert len(h.requests) == 1


async def test_crash_after_send_recorded_only_repeats_the_log(tmp_path: Path) -> None:
    h = harness(tmp_path, ROUTE)
    await h.handle(event())
    calls = 0

    async def broken(outputs: object) -> None:
        nonlocal calls
        calls += 1
        raise ConnectionError("kafka down")

    h.engine.publisher.send_all = broken  # type: ignore[method-assign]
    await h.run(1)  # sent, recorded, the log write failed: the job stays scheduled
    assert calls == 1 and len(h.requests) == 1
    del h.engine.publisher.send_all
    h.clock.advance(6)
    await h.run()
    assert len(h.requests) == 1 and len(h.collector.logs("sent")) == 1


async def test_growing_keys_have_ttls(tmp_path: Path) -> None:
    h = harness(tmp_path, ROUTE + "    throttle:\n      min_interval_seconds: 600\n")
    await h.handle(event("new_story"))
    await h.handle(event("development", changes=["x"]))
    await h.run()
    no_ttl = [k for k in h.redis.data if k not in h.redis.ttl and not k.endswith((":sched", ":silences"))]
    assert no_ttl == []


def test_t0_is_utc() -> None:
    assert T0.tzinfo is UTC


def test_member_events_of_one_story_get_distinct_alert_ids() -> None:
    from services.alerter.alert import event_alert_id
    from tests.unit.alerter.factories import event

    first = event("member", "s1", article_id="1" * 32)
    second = event("member", "s1", article_id="2" * 32)
    assert event_alert_id(first, "r") != event_alert_id(second, "r")
    assert event_alert_id(first, "r") == event_alert_id(event("member", "s1", article_id="1" * 32), "r")
