"""Alerter metrics. Labels are bounded: route and channel names come from alerting.yaml, reasons
and statuses from fixed lists in this package."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Alert outcomes per route and channel: sent | failed | suppressed.
ALERTS = Counter("wirewatch_alerts_total", "Alert outcomes", ["route", "channel", "status"])
# Alerts held back or dropped on purpose, by reason: silenced | throttled | duplicate | quiet_hours |
# rate_limit | duplicate_new_story | channel_disabled | route_removed.
SUPPRESSED = Counter("wirewatch_alerts_suppressed_total", "Alerts suppressed by hygiene", ["reason"])
# Time of one successful delivery attempt (HTTP round trip, console write...).
DELIVERY_SECONDS = Histogram(
    "wirewatch_alert_delivery_seconds",
    "Time of a successful delivery attempt",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
# Delivery attempts that failed and were scheduled again (5xx, 429, timeouts, connection errors).
RETRIES = Counter("wirewatch_alert_retries_total", "Delivery attempts retried", ["channel"])
# Article fetched_at -> alert delivered; sub-second to hours (throttle windows and digests wait).
PIPELINE_LATENCY = Histogram(
    "wirewatch_pipeline_latency_seconds",
    "Article fetch to alert delivery",
    buckets=(0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 21600, 43200),
)
# Pieces of work in the Redis schedule (deliveries, windows, digests), sampled by the scheduler.
SCHEDULED = Gauge("wirewatch_alert_scheduled", "Pending alert work items in Redis")
# Alerts written to the alerts DLQ after the retry budget or a permanent error.
DEAD_LETTERS = Counter("wirewatch_alert_dead_letters_total", "Alerts sent to the alerts DLQ", ["channel"])
