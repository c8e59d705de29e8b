"""Every metric the dashboards and alert rules query is one that the services really export.

The names come from prometheus_client's registry after importing ``shared.metrics`` and each
``services.<name>.metrics`` module, so a renamed or missing metric fails here, not on a blank panel.
"""

from __future__ import annotations

import pytest

from tests.unit.deploy.deploy_files import alert_rules, dashboard_queries, dashboards, metric_names
from tests.unit.deploy.exported_metrics import (
    SCRAPE_SERIES,
    import_metric_modules,
    sample_names,
)


def _recorded() -> set[str]:
    return {rule["record"] for rule in alert_rules() if "record" in rule}


def _unknown(names: set[str]) -> set[str]:
    exported = sample_names() | SCRAPE_SERIES | _recorded()
    return {n for n in names if n not in exported}


def test_every_metrics_module_imports() -> None:
    missing = import_metric_modules()
    assert not missing, f"metrics modules missing: {missing}"


def test_registry_exports_wirewatch_metrics() -> None:
    import_metric_modules()
    names = sample_names()
    for expected in (
        "wirewatch_messages_total",
        "wirewatch_consumer_lag",
        "wirewatch_dlq_messages_total",
        "wirewatch_build_info",
    ):
        assert expected in names


@pytest.mark.parametrize("dashboard", sorted(dashboards()))
def test_dashboard_queries_name_exported_metrics(dashboard: str) -> None:
    import_metric_modules()
    used: dict[str, set[str]] = {}
    for expr in dashboard_queries(dashboards()[dashboard]):
        for name in metric_names(expr):
            used.setdefault(name, set()).add(expr)
    assert used, "no queries found"
    unknown = _unknown(set(used))
    assert not unknown, "dashboard queries name metrics nobody exports:\n" + "\n".join(
        f"  {n}  (in: {sorted(used[n])[0]})" for n in sorted(unknown)
    )


def test_alert_rules_name_exported_metrics() -> None:
    import_metric_modules()
    used: dict[str, str] = {}
    for rule in alert_rules():
        for name in metric_names(rule["expr"]):
            used.setdefault(name, rule.get("alert") or rule["record"])
    unknown = _unknown(set(used))
    assert not unknown, "alert rules name metrics nobody exports:\n" + "\n".join(
        f"  {n}  (in rule {used[n]})" for n in sorted(unknown)
    )


def test_key_metrics_are_covered() -> None:
    """The dashboards show the contract's metrics (DESIGN.md), not just whatever exists."""
    queried = {n for d in dashboards().values() for e in dashboard_queries(d) for n in metric_names(e)}
    for name in (
        "wirewatch_messages_total",
        "wirewatch_consumer_lag",
        "wirewatch_dlq_messages_total",
        "wirewatch_fetch_total",
        "wirewatch_feed_last_success_timestamp",
        "wirewatch_articles_tagged_total",
        "wirewatch_stories_total",
        "wirewatch_alerts_total",
        "wirewatch_pipeline_latency_seconds_bucket",
    ):
        assert name in queried, f"no dashboard panel uses {name}"
