"""The metric-name extractor the dashboard/rules tests rely on."""

from __future__ import annotations

import pytest

from tests.unit.deploy.deploy_files import metric_names


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("up", {"up"}),
        ('up{job=~"fetcher|dedup"} == 0', {"up"}),
        (
            "histogram_quantile(0.95, sum by (service, le) (rate(wirewatch_process_seconds_bucket[5m])))",
            {"wirewatch_process_seconds_bucket"},
        ),
        (
            'sum by (feed) (rate(wirewatch_fetch_total{kind="feed", result!~"ok|not_modified"}[15m]))'
            ' / sum by (feed) (rate(wirewatch_fetch_total{kind="feed"}[15m]))',
            {"wirewatch_fetch_total"},
        ),
        (
            "(time() - wirewatch_feed_last_success_timestamp) > on (feed) group_left () "
            "(3 * max by (feed) (wirewatch_feed_poll_interval_seconds))",
            {"wirewatch_feed_last_success_timestamp", "wirewatch_feed_poll_interval_seconds"},
        ),
        ("sum(a_total) and b or c unless d offset 5m", {"a_total", "b", "c", "d"}),
        ("label_values(wirewatch_alerts_total, route)", {"wirewatch_alerts_total"}),
        ("rate(x_bucket[$__rate_interval])", {"x_bucket"}),
        ("wirewatch:pipeline_latency_seconds:p95 > 300", {"wirewatch:pipeline_latency_seconds:p95"}),
        ('absent(up{job="fetcher"}) or absent(up{job="alerter"})', {"up"}),
        ('sort_desc(time() - x{feed=~"$feed"})', {"x"}),
    ],
)
def test_metric_names(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names
