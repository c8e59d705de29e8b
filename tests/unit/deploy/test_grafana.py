"""Grafana: the dashboard JSON is generated from code, provisioned, and laid out sanely."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import Any

from tests.unit.deploy.deploy_files import GRAFANA_DIR, dashboard_queries, dashboards, load_yaml

ROWS = {"Pipeline overview", "Feed health", "Quality", "Alerting", "End-to-end latency"}


def _generator() -> ModuleType:
    path = GRAFANA_DIR / "generate_dashboard.py"
    spec = importlib.util.spec_from_file_location("generate_dashboard", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being created
    spec.loader.exec_module(module)
    return module


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return list(dashboard["panels"])


def test_dashboard_json_is_generated_from_code() -> None:
    generator = _generator()
    text = generator.DASHBOARD_PATH.read_text(encoding="utf-8")
    assert text == generator.render(), "run: python deploy/grafana/generate_dashboard.py"


def test_rows_cover_the_operator_views() -> None:
    dashboard = dashboards()["wirewatch.json"]
    rows = {p["title"] for p in _panels(dashboard) if p["type"] == "row"}
    assert rows == ROWS


def test_panels_have_unique_ids_queries_and_no_overlap() -> None:
    dashboard = dashboards()["wirewatch.json"]
    ids = [p["id"] for p in _panels(dashboard)]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for panel in _panels(dashboard):
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                assert (x, y) not in cells, f"panel {panel['title']!r} overlaps another"
                cells.add((x, y))
        if panel["type"] != "row":
            assert panel["targets"], panel["title"]
            assert panel["datasource"]["uid"] == "${datasource}"
    assert len(dashboard_queries(dashboard)) > 20


def test_latency_quantiles_present() -> None:
    exprs = " ".join(dashboard_queries(dashboards()["wirewatch.json"]))
    for q in ("0.5", "0.95", "0.99"):
        assert f"histogram_quantile({q}, sum by (le) (rate(wirewatch_pipeline_latency_seconds_bucket" in exprs


def test_provisioning_points_at_the_mounted_folders() -> None:
    datasource = load_yaml(GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml")
    ds = datasource["datasources"][0]
    assert ds["type"] == "prometheus"
    assert ds["url"] == "http://prometheus:9090"
    provider = load_yaml(GRAFANA_DIR / "provisioning" / "dashboards" / "wirewatch.yml")["providers"][0]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
