"""Quiet hours across midnight and DST, rate windows, backoff, Retry-After, durations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.alerter.channels import DeliveryError, parse_retry_after
from services.alerter.cli import parse_duration
from services.alerter.delivery import DeliveryJob, next_attempt_at
from services.alerter.hygiene import quiet_until, rate_window, retry_delay
from services.alerter.routes import QuietHoursConfig, RetryConfig

BERLIN = QuietHoursConfig(start="22:00", end="07:00", timezone="Europe/Berlin")


def ts(year: int, month: int, day: int, hour: int, minute: int) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp()


def test_quiet_hours_across_midnight_in_local_time() -> None:
    assert quiet_until(BERLIN, ts(2026, 11, 20, 20, 59)) is None  # 21:59 Berlin (UTC+1)
    assert quiet_until(BERLIN, ts(2026, 11, 20, 21, 0)) == ts(2026, 11, 21, 6, 0)  # 22:00 -> 07:00 next day
    assert quiet_until(BERLIN, ts(2026, 11, 21, 3, 0)) == ts(2026, 11, 21, 6, 0)
    assert quiet_until(BERLIN, ts(2026, 11, 21, 6, 0)) is None


def test_quiet_hours_follow_dst() -> None:
    # night of the spring-forward change (2026-03-29): 07:00 local is 05:00 UTC (UTC+2)
    assert quiet_until(BERLIN, ts(2026, 3, 29, 0, 30)) == ts(2026, 3, 29, 5, 0)
    day = QuietHoursConfig(start="12:00", end="13:00", timezone="America/New_York")
    assert quiet_until(day, ts(2026, 7, 1, 16, 30)) == ts(2026, 7, 1, 17, 0)


def test_rate_window() -> None:
    assert rate_window(125.0, 60) == (2, 180.0)


def test_backoff_grows_caps_and_jitters() -> None:
    cfg = RetryConfig(initial_seconds=1, max_seconds=8)
    assert retry_delay(1, cfg, None, 0.0) == 0.5 and retry_delay(1, cfg, None, 0.999) < 1.0
    assert retry_delay(3, cfg, None, 0.0) == 2.0
    assert retry_delay(10, cfg, None, 1.0) == 8.0
    assert retry_delay(1, cfg, 42.0, 0.5) == 42.0


def test_retry_after_seconds_and_http_date() -> None:
    now = ts(2026, 11, 20, 12, 0)
    assert parse_retry_after("30", now) == 30
    assert parse_retry_after("Fri, 20 Nov 2026 12:00:45 GMT", now) == 45
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None


def test_last_retry_is_pulled_in_to_the_budget_end() -> None:
    from services.alerter.alert import single_alert, story_from_event
    from tests.unit.alerter.factories import T0, event

    job = DeliveryJob(alert=single_alert(story_from_event(event(), "r"), "r", T0), channel="c", attempts=3)
    job.first_attempt_at = 1000.0
    cfg = RetryConfig(budget_seconds=100)
    err = DeliveryError("HTTP 503", retryable=True, retry_after=500)
    assert next_attempt_at(job, 1050.0, err, cfg) == 1100.0
    assert next_attempt_at(job, 1100.0, err, cfg) is None
    assert next_attempt_at(job, 1050.0, DeliveryError("HTTP 400", retryable=False), cfg) is None


def test_parse_duration() -> None:
    assert parse_duration("1d12h") == timedelta(days=1, hours=12)
    assert parse_duration("90m") == timedelta(minutes=90)
    with pytest.raises(Exception, match="invalid duration"):
        parse_duration("2 hours")
