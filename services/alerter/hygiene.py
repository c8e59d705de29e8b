"""Time arithmetic of alert hygiene: quiet hours (time-zone aware) and rate-limit windows."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.alerter.routes import QuietHoursConfig, RetryConfig


def quiet_until(cfg: QuietHoursConfig, now: float) -> float | None:
    """When the quiet hours around ``now`` end (epoch seconds), or None outside quiet hours.

    Windows may cross midnight (22:00-07:00); local times follow the zone's DST rules.
    """
    zone = cfg.zone
    local = datetime.fromtimestamp(now, zone)
    start, end, t = cfg.start_time, cfg.end_time, local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= t < end
        end_day = local.date()
    else:
        inside = t >= start or t < end
        end_day = local.date() if t < end else local.date() + timedelta(days=1)
    if not inside:
        return None
    return datetime.combine(end_day, end, tzinfo=zone).timestamp()


def rate_window(now: float, per_seconds: int) -> tuple[int, float]:
    """(window index, window end) of a fixed rate-limit window."""
    index = int(now // per_seconds)
    return index, float((index + 1) * per_seconds)


def retry_delay(attempt: int, cfg: RetryConfig, retry_after: float | None, jitter: float) -> float:
    """Delay before attempt ``attempt + 1``: ``Retry-After`` when given, else exponential backoff
    (``initial * 2**(attempt-1)``, capped) with "equal jitter" (half fixed, half random, ``jitter``
    in [0, 1)) so retries of many alerts do not hit a recovering endpoint at the same instant."""
    if retry_after is not None:
        return max(0.0, retry_after)
    base = min(cfg.max_seconds, cfg.initial_seconds * (2 ** min(attempt - 1, 30)))
    return float(base / 2 + base / 2 * jitter)
