"""Metrics every service shares. Service-specific metrics live in ``services/<name>/metrics.py``.

Label values are bounded: service names, topic names, partition numbers; never a URL or an id.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, Info

# Messages consumed by the runtime, by outcome: ok | dlq | retry | skipped.
MESSAGES = Counter(
    "wirewatch_messages_total", "Messages handled by a consumer", ["service", "topic", "status"]
)
# Wall time spent in a service's handler per message.
PROCESS_SECONDS = Histogram(
    "wirewatch_process_seconds",
    "Handler time per message",
    ["service"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
# Messages between the committed/consumed position and the partition's high watermark.
CONSUMER_LAG = Gauge("wirewatch_consumer_lag", "Consumer lag in messages", ["service", "partition"])
# Messages this service wrote to a dead-letter topic.
DLQ_MESSAGES = Counter("wirewatch_dlq_messages_total", "Messages sent to a DLQ", ["service", "topic"])
# Messages produced to Kafka by topic.
PRODUCED = Counter("wirewatch_produced_total", "Messages produced", ["service", "topic"])
# Transient handler failures that were retried with backoff.
HANDLER_RETRIES = Counter("wirewatch_handler_retries_total", "Transient failures retried", ["service"])
# Offset commits that failed (rebalance in progress); the batch is redelivered.
COMMIT_FAILURES = Counter("wirewatch_commit_failures_total", "Offset commits that failed", ["service"])
# Config reloads by outcome: ok | rejected.
CONFIG_RELOADS = Counter(
    "wirewatch_config_reloads_total", "Config hot reloads", ["service", "config", "result"]
)
# 1 while the service is up; scraped as the liveness signal alongside `up`.
SERVICE_UP = Gauge("wirewatch_service_up", "1 while the service runs", ["service"])
# Version and build information.
BUILD_INFO = Info("wirewatch_build", "wirewatch build information")
