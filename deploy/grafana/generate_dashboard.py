"""The wirewatch Grafana dashboard as code.

``python deploy/grafana/generate_dashboard.py`` rewrites ``deploy/grafana/dashboards/wirewatch.json``;
``--check`` exits 1 when the checked-in JSON differs from what this file generates (the unit tests
run the same comparison). Edit this file, not the JSON.

Rows: pipeline overview, feed health, quality, alerting, end-to-end latency. Every query names
metrics the services really export (tests/unit/deploy/test_metric_names.py checks them).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DASHBOARD_PATH = Path(__file__).resolve().parent / "dashboards" / "wirewatch.json"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
SERVICES_RE = "fetcher|extractor|dedup|alerter"

Json = dict[str, Any]


@dataclass
class Query:
    """One PromQL target of a panel."""

    expr: str
    legend: str = ""
    instant: bool = False
    fmt: str = "time_series"


@dataclass
class Panel:
    """A panel before layout: title, type, queries, unit and width (of 24 columns)."""

    title: str
    kind: str
    queries: list[Query]
    description: str = ""
    unit: str = "short"
    width: int = 8
    height: int = 8
    stack: bool = False
    thresholds: list[tuple[float | None, str]] = field(default_factory=list)
    decimals: int | None = None
    max_value: float | None = None


def _target(query: Query, ref: str) -> Json:
    return {
        "datasource": DATASOURCE,
        "expr": query.expr,
        "legendFormat": query.legend or "__auto",
        "instant": query.instant,
        "range": not query.instant,
        "format": query.fmt,
        "refId": ref,
    }


def _field_config(panel: Panel) -> Json:
    steps = [{"color": color, "value": value} for value, color in panel.thresholds] or [
        {"color": "green", "value": None}
    ]
    defaults: Json = {"unit": panel.unit, "thresholds": {"mode": "absolute", "steps": steps}}
    if panel.decimals is not None:
        defaults["decimals"] = panel.decimals
    if panel.max_value is not None:
        defaults["max"] = panel.max_value
        defaults["min"] = 0
    if panel.kind == "timeseries":
        defaults["custom"] = {
            "drawStyle": "line",
            "lineWidth": 1,
            "fillOpacity": 20 if panel.stack else 0,
            "showPoints": "never",
            "spanNulls": False,
            "stacking": {"mode": "normal" if panel.stack else "none", "group": "A"},
        }
    if panel.thresholds and panel.kind in ("stat", "bargauge", "table"):
        defaults["color"] = {"mode": "thresholds"}
    return {"defaults": defaults, "overrides": []}


def _options(panel: Panel) -> Json:
    if panel.kind == "timeseries":
        return {
            "legend": {"displayMode": "table", "placement": "right", "calcs": ["lastNotNull", "max"]},
            "tooltip": {"mode": "multi", "sort": "desc"},
        }
    if panel.kind == "stat":
        return {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "background",
            "graphMode": "none",
            "textMode": "value_and_name",
        }
    if panel.kind == "bargauge":
        return {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "displayMode": "basic",
            "orientation": "horizontal",
            "showUnfilled": True,
        }
    if panel.kind == "table":
        return {"showHeader": True, "sortBy": [{"displayName": "Value", "desc": True}]}
    raise ValueError(f"unknown panel kind {panel.kind}")


def _render(panel: Panel, panel_id: int, x: int, y: int) -> Json:
    out: Json = {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {"h": panel.height, "w": panel.width, "x": x, "y": y},
        "targets": [_target(q, chr(ord("A") + i)) for i, q in enumerate(panel.queries)],
        "fieldConfig": _field_config(panel),
        "options": _options(panel),
    }
    if panel.kind == "table":
        out["transformations"] = [{"id": "merge", "options": {}}]
    return out


def _layout(rows: list[tuple[str, list[Panel]]]) -> list[Json]:
    """Rows of panels, left to right, wrapping at 24 columns."""
    panels: list[Json] = []
    next_id, y = 1, 0
    for title, row_panels in rows:
        panels.append(
            {
                "id": next_id,
                "type": "row",
                "title": title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                "panels": [],
            }
        )
        next_id, y = next_id + 1, y + 1
        x, row_height = 0, 0
        for panel in row_panels:
            if x + panel.width > 24:
                x, y, row_height = 0, y + row_height, 0
            panels.append(_render(panel, next_id, x, y))
            next_id += 1
            x += panel.width
            row_height = max(row_height, panel.height)
        y += row_height
    return panels


def pipeline_row() -> list[Panel]:
    """Articles per second through each stage, consumer lag, DLQ, service health."""
    return [
        Panel(
            "Services up",
            "stat",
            [Query(f'up{{job=~"{SERVICES_RE}"}}', "{{job}} {{instance}}", instant=True)],
            "Prometheus scrape health of every replica (1 = up).",
            unit="none",
            width=8,
            height=5,
            thresholds=[(None, "red"), (1, "green")],
        ),
        Panel(
            "DLQ messages (24h)",
            "stat",
            [
                Query(
                    "sum by (service, topic) (increase(wirewatch_dlq_messages_total[24h]))",
                    "{{service}} → {{topic}}",
                    instant=True,
                )
            ],
            "Messages that can never succeed, by service and dead-letter topic. "
            "Anything above 0 needs a look.",
            unit="none",
            width=8,
            height=5,
            decimals=0,
            thresholds=[(None, "green"), (1, "orange"), (100, "red")],
        ),
        Panel(
            "Build",
            "table",
            [Query("wirewatch_build_info", instant=True, fmt="table")],
            "Version and revision of every running replica.",
            width=8,
            height=5,
        ),
        Panel(
            "Articles/s per stage",
            "timeseries",
            [
                Query("sum(rate(wirewatch_articles_published_total[5m]))", "fetcher: published"),
                Query(
                    'sum by (service) (rate(wirewatch_messages_total{status="ok"}[5m]))',
                    "{{service}}: consumed",
                ),
                Query(
                    "sum by (service) (rate(wirewatch_produced_total[5m]))",
                    "{{service}}: produced",
                ),
            ],
            "Fetcher publishes article.raw; each consumer counts messages handled OK and messages produced.",
            unit="ops",
            width=12,
        ),
        Panel(
            "Consumer lag per service",
            "timeseries",
            [Query("sum by (service) (wirewatch_consumer_lag)", "{{service}}")],
            "Messages between the consumed position and the partition high watermark, summed over "
            "partitions. Growing lag: the service cannot keep up (scale it) or is stuck.",
            unit="short",
            width=12,
        ),
        Panel(
            "Messages by outcome",
            "timeseries",
            [
                Query(
                    "sum by (service, status) (rate(wirewatch_messages_total[5m]))",
                    "{{service}} {{status}}",
                )
            ],
            "ok / retry / dlq per consumer. Retries mean a dependency (Redis, Kafka, HTTP) is failing.",
            unit="ops",
            width=8,
        ),
        Panel(
            "DLQ rate",
            "timeseries",
            [
                Query(
                    "sum by (service, topic) (rate(wirewatch_dlq_messages_total[5m]))",
                    "{{service}} → {{topic}}",
                )
            ],
            "Dead-lettered messages per second.",
            unit="ops",
            width=8,
        ),
        Panel(
            "Handler time p95",
            "timeseries",
            [
                Query(
                    "histogram_quantile(0.95, sum by (service, le) "
                    "(rate(wirewatch_process_seconds_bucket[5m])))",
                    "{{service}}",
                )
            ],
            "Time a handler spends per message (95th percentile).",
            unit="s",
            width=8,
        ),
        Panel(
            "Consumer lag per partition",
            "timeseries",
            [Query("max by (service, partition) (wirewatch_consumer_lag)", "{{service}} p{{partition}}")],
            "Lag on a single partition while the others are at 0 points at a hot key or a stuck replica.",
            unit="short",
            width=8,
        ),
        Panel(
            "Retries and commit failures",
            "timeseries",
            [
                Query("sum by (service) (rate(wirewatch_handler_retries_total[5m]))", "{{service}} retries"),
                Query(
                    "sum by (service) (rate(wirewatch_commit_failures_total[5m]))",
                    "{{service}} commit failures",
                ),
            ],
            "Transient handler failures (retried with backoff) and offset commits lost to a rebalance.",
            unit="ops",
            width=8,
        ),
        Panel(
            "Config reloads",
            "timeseries",
            [
                Query(
                    "sum by (service, config, result) (increase(wirewatch_config_reloads_total[15m]))",
                    "{{service}} {{config}} {{result}}",
                )
            ],
            "Hot reloads of YAML config; `rejected` means a bad file was refused and the last good "
            "one is in force.",
            unit="short",
            width=8,
        ),
    ]


def feeds_row() -> list[Panel]:
    """Freshness, error rate, 304 ratio and bytes per feed."""
    return [
        Panel(
            "Feed freshness (time since last successful poll)",
            "bargauge",
            [
                Query(
                    'sort_desc(time() - wirewatch_feed_last_success_timestamp{feed=~"$feed"})',
                    "{{feed}}",
                    instant=True,
                )
            ],
            "Seconds since each feed was last polled successfully (200 or 304). "
            "WirewatchFeedStale fires past 3 poll intervals.",
            unit="s",
            width=12,
            height=10,
            thresholds=[(None, "green"), (900, "orange"), (3600, "red")],
        ),
        Panel(
            "Feed error rate",
            "timeseries",
            [
                Query(
                    'sum by (feed) (rate(wirewatch_fetch_total{kind="feed", result!~"ok|not_modified", '
                    'feed=~"$feed"}[15m])) / sum by (feed) (rate(wirewatch_fetch_total{kind="feed", '
                    'feed=~"$feed"}[15m]))',
                    "{{feed}}",
                )
            ],
            "Share of polls that failed (HTTP error, timeout, parse error, ...), per feed.",
            unit="percentunit",
            width=12,
            height=10,
            max_value=1,
        ),
        Panel(
            "304 Not Modified ratio",
            "timeseries",
            [
                Query(
                    'sum by (feed) (rate(wirewatch_fetch_total{kind="feed", result="not_modified", '
                    'feed=~"$feed"}[1h])) / sum by (feed) (rate(wirewatch_fetch_total{kind="feed", '
                    'feed=~"$feed"}[1h]))',
                    "{{feed}}",
                )
            ],
            "Conditional GETs answered 304: high is good (cheap polls). 0 on a busy feed means the "
            "server ignores ETag/Last-Modified.",
            unit="percentunit",
            width=8,
            max_value=1,
        ),
        Panel(
            "Fetch results",
            "timeseries",
            [
                Query(
                    'sum by (kind, result) (rate(wirewatch_fetch_total{feed=~"$feed"}[5m]))',
                    "{{kind}} {{result}}",
                )
            ],
            "Feed polls and article page fetches by outcome.",
            unit="ops",
            width=8,
            stack=True,
        ),
        Panel(
            "Bytes received",
            "timeseries",
            [Query("sum by (kind) (rate(wirewatch_fetch_bytes_total[5m]))", "{{kind}}")],
            "Body bytes received (after decompression), by feed / page / robots.",
            unit="Bps",
            width=8,
        ),
        Panel(
            "Feeds failing in a row",
            "table",
            [
                Query(
                    'wirewatch_feed_error_streak{feed=~"$feed"} > 0',
                    instant=True,
                    fmt="table",
                )
            ],
            "Consecutive failed polls per feed (only feeds currently failing).",
            width=8,
        ),
        Panel(
            "New entries per feed (per hour)",
            "timeseries",
            [
                Query(
                    'sum by (feed) (increase(wirewatch_entries_total{state="new", feed=~"$feed"}[1h]))',
                    "{{feed}}",
                )
            ],
            "Entries not seen before. A feed that used to publish and now shows 0 may have changed format.",
            width=8,
        ),
        Panel(
            "Fetch time p95 / extraction time p95",
            "timeseries",
            [
                Query(
                    "histogram_quantile(0.95, sum by (kind, le) (rate(wirewatch_fetch_seconds_bucket[5m])))",
                    "fetch {{kind}}",
                ),
                Query(
                    "histogram_quantile(0.95, sum by (le) (rate(wirewatch_extract_seconds_bucket[5m])))",
                    "trafilatura extract",
                ),
            ],
            "HTTP fetch time by kind and main-text extraction time.",
            unit="s",
            width=8,
        ),
    ]


def quality_row() -> list[Panel]:
    """Relevant rate per watchlist, new stories and developments."""
    return [
        Panel(
            "Relevant rate per watchlist",
            "timeseries",
            [
                Query(
                    'sum by (watchlist) (rate(wirewatch_articles_tagged_total{relevant="true", '
                    'watchlist=~"$watchlist"}[1h])) / sum by (watchlist) '
                    '(rate(wirewatch_articles_tagged_total{watchlist=~"$watchlist"}[1h]))',
                    "{{watchlist}}",
                )
            ],
            "Share of tagged articles relevant to each watchlist. A sudden jump after a watchlist edit "
            "usually means a term is too broad; a drop to 0 means a rule no longer matches.",
            unit="percentunit",
            width=8,
            max_value=1,
        ),
        Panel(
            "Relevant articles per hour",
            "timeseries",
            [
                Query(
                    'sum by (watchlist) (increase(wirewatch_articles_tagged_total{relevant="true", '
                    'watchlist=~"$watchlist"}[1h]))',
                    "{{watchlist}}",
                )
            ],
            width=8,
        ),
        Panel(
            "Story events per hour",
            "timeseries",
            [Query("sum by (kind) (increase(wirewatch_stories_total[1h]))", "{{kind}}")],
            "new_story: a new event cluster; development: something new in a known story (alerts go out); "
            "member: another article about a known story (no alert).",
            width=8,
        ),
        Panel(
            "Near-duplicates",
            "timeseries",
            [
                Query("sum by (match) (rate(wirewatch_near_duplicates_total[15m]))", "{{match}}"),
                Query("sum(rate(wirewatch_dedup_indexed_total[15m]))", "indexed"),
            ],
            "Wire copy recognised as a copy of an indexed article (exact / near) vs new articles indexed.",
            unit="ops",
            width=8,
        ),
        Panel(
            "Facts and entities extracted",
            "timeseries",
            [
                Query("sum by (type) (increase(wirewatch_facts_total[1h]))", "fact {{type}}"),
                Query("sum by (type) (increase(wirewatch_entities_total[1h]))", "entity {{type}}"),
            ],
            "Per hour, by type (troop_count, killed, ...; country, place, person, ...).",
            width=8,
        ),
        Panel(
            "Watchlists in force",
            "stat",
            [Query("max(wirewatch_watchlists_loaded)", "watchlists", instant=True)],
            "Watchlists loaded by the extractor after the last good reload. A drop means a file was "
            "removed; a rejected edit keeps the old count (see Config reloads).",
            unit="none",
            width=8,
            thresholds=[(None, "red"), (1, "green")],
        ),
        Panel(
            "Dedup index size",
            "timeseries",
            [Query("max(wirewatch_dedup_index_articles)", "articles in the near-duplicate index")],
            "Articles within the live dedup windows (sampled every 30 s). It should level off once "
            "the oldest windows expire; steady growth means TTLs are not working.",
            width=12,
        ),
        Panel(
            "Redis memory",
            "timeseries",
            [Query("max(wirewatch_dedup_redis_memory_bytes)", "used_memory")],
            "Redis used_memory as sampled by dedup (the whole Redis: fetcher, dedup and alerter state).",
            unit="bytes",
            width=12,
        ),
    ]


def alerting_row() -> list[Panel]:
    """Alerts sent / failed / suppressed by route, delivery latency."""
    return [
        Panel(
            "Alerts by route and status",
            "timeseries",
            [
                Query(
                    'sum by (route, status) (increase(wirewatch_alerts_total{route=~"$route"}[1h]))',
                    "{{route}} {{status}}",
                )
            ],
            "sent / failed / suppressed (throttled, quiet hours, silenced) per route, per hour.",
            width=12,
            stack=True,
        ),
        Panel(
            "Failed deliveries (24h)",
            "stat",
            [
                Query(
                    'sum by (route, channel) (increase(wirewatch_alerts_total{status="failed", '
                    'route=~"$route"}[24h]))',
                    "{{route}} ({{channel}})",
                    instant=True,
                )
            ],
            "Deliveries that failed after all retries. See WirewatchAlertDeliveryFailing in the runbook.",
            unit="none",
            width=6,
            decimals=0,
            thresholds=[(None, "green"), (1, "red")],
        ),
        Panel(
            "Alerts sent (24h)",
            "stat",
            [
                Query(
                    'sum by (route) (increase(wirewatch_alerts_total{status="sent", route=~"$route"}[24h]))',
                    "{{route}}",
                    instant=True,
                )
            ],
            unit="none",
            width=6,
            decimals=0,
        ),
        Panel(
            "Delivery latency p95 by channel",
            "timeseries",
            [
                Query(
                    "histogram_quantile(0.95, sum by (channel, le) "
                    "(rate(wirewatch_alert_delivery_seconds_bucket[10m])))",
                    "{{channel}}",
                )
            ],
            "Time of the Slack / webhook call itself, retries included.",
            unit="s",
            width=12,
        ),
        Panel(
            "Suppressed alerts by reason",
            "timeseries",
            [
                Query(
                    "sum by (reason) (increase(wirewatch_alerts_suppressed_total[1h]))",
                    "{{reason}}",
                )
            ],
            "Alerts held back on purpose: silenced, throttled, duplicate, quiet_hours, rate_limit, ...",
            width=8,
            stack=True,
        ),
        Panel(
            "Delivery retries and dead letters",
            "timeseries",
            [
                Query("sum by (channel) (rate(wirewatch_alert_retries_total[5m]))", "{{channel}} retries"),
                Query(
                    "sum by (channel) (increase(wirewatch_alert_dead_letters_total[15m]))",
                    "{{channel}} dead letters (15m)",
                ),
            ],
            "Retries: a Slack/webhook endpoint answered 5xx/429 or timed out. Dead letters: gave up "
            "after the retry budget (the alert went to the alerts DLQ).",
            width=8,
        ),
        Panel(
            "Scheduled alert work",
            "timeseries",
            [Query("sum(wirewatch_alert_scheduled)", "pending")],
            "Pending deliveries, throttle windows and digests in Redis. Steady growth: deliveries "
            "are not keeping up.",
            width=8,
        ),
    ]


def latency_row() -> list[Panel]:
    """End-to-end latency (article fetched -> alert delivered)."""
    quantile = (
        "histogram_quantile({q}, sum by (le) "
        "(rate(wirewatch_pipeline_latency_seconds_bucket[$__rate_interval])))"
    )
    return [
        Panel(
            "End-to-end latency (fetched → alert delivered)",
            "timeseries",
            [
                Query(quantile.format(q="0.5"), "p50"),
                Query(quantile.format(q="0.95"), "p95"),
                Query(quantile.format(q="0.99"), "p99"),
            ],
            "From the moment the fetcher fetched the article to the moment the alert was delivered. "
            "Throttle windows, group_wait and digests add latency on purpose. "
            "WirewatchPipelineLatencyHigh fires when p95 stays above 30 minutes.",
            unit="s",
            width=16,
            thresholds=[(None, "green"), (1800, "red")],
        ),
        Panel(
            "p95 now",
            "stat",
            [
                Query(
                    "histogram_quantile(0.95, sum by (le) "
                    "(rate(wirewatch_pipeline_latency_seconds_bucket[10m])))",
                    "p95",
                    instant=True,
                )
            ],
            unit="s",
            width=8,
            thresholds=[(None, "green"), (900, "orange"), (1800, "red")],
        ),
    ]


def _variable(name: str, label: str, query: str) -> Json:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DATASOURCE,
        "query": {"query": query, "refId": f"var-{name}"},
        "definition": query,
        "refresh": 2,
        "includeAll": True,
        "allValue": ".*",
        "multi": True,
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "sort": 1,
        "hide": 0,
    }


def dashboard() -> Json:
    """The whole dashboard as a JSON-ready dict."""
    rows = [
        ("Pipeline overview", pipeline_row()),
        ("Feed health", feeds_row()),
        ("Quality", quality_row()),
        ("Alerting", alerting_row()),
        ("End-to-end latency", latency_row()),
    ]
    return {
        "uid": "wirewatch-overview",
        "title": "wirewatch",
        "description": "wirewatch pipeline: feeds -> extractor -> dedup -> alerter. See docs/operations.md.",
        "tags": ["wirewatch"],
        "timezone": "utc",
        "editable": True,
        "graphTooltip": 1,
        "refresh": "30s",
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": "now-6h", "to": "now"},
        "annotations": {"list": []},
        "links": [],
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Prometheus",
                    "type": "datasource",
                    "query": "prometheus",
                    "current": {"selected": True, "text": "Prometheus", "value": "prometheus"},
                    "hide": 0,
                },
                _variable("feed", "Feed", "label_values(wirewatch_feed_last_success_timestamp, feed)"),
                _variable(
                    "watchlist", "Watchlist", "label_values(wirewatch_articles_tagged_total, watchlist)"
                ),
                _variable("route", "Route", "label_values(wirewatch_alerts_total, route)"),
            ]
        },
        "panels": _layout(rows),
    }


def render() -> str:
    """The dashboard JSON text exactly as checked in."""
    return json.dumps(dashboard(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the dashboard JSON, or with ``--check`` report whether it is up to date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if the JSON file is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = DASHBOARD_PATH.read_text(encoding="utf-8") if DASHBOARD_PATH.exists() else ""
        if current != text:
            sys.stderr.write(f"{DASHBOARD_PATH} is out of date: run python {Path(__file__).name}\n")
            return 1
        return 0
    DASHBOARD_PATH.parent.mkdir(parents=True, exist_ok=True)
    DASHBOARD_PATH.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
