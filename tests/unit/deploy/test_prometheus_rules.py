"""Prometheus config and alert rules: checked and unit-tested with promtool (a subprocess; no network).

promtool ships with Debian's ``prometheus`` package (scripts/bootstrap.sh installs it).
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.unit.deploy.deploy_files import (
    PROMETHEUS_CONFIG,
    RULES_DIR,
    RULES_TEST,
    SERVICE_PORTS,
    alert_rules,
    load_yaml,
)

REQUIRED_ALERTS = {
    "WirewatchServiceDown",
    "WirewatchServiceMissing",
    "WirewatchFeedStale",
    "WirewatchConsumerLagGrowing",
    "WirewatchDLQGrowing",
    "WirewatchAlertDeliveryFailing",
    "WirewatchPipelineLatencyHigh",
}


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (apt-get install prometheus, or run scripts/bootstrap.sh)")
    return subprocess.run([promtool, *args], capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("config", [PROMETHEUS_CONFIG.name, "prometheus-k8s.yml"])
def test_promtool_check_config(config: str) -> None:
    result = _promtool("check", "config", str(PROMETHEUS_CONFIG.parent / config))
    if "kubernetes_sd_configs not found" in result.stdout + result.stderr:
        # Debian builds Prometheus without the Kubernetes service discovery.
        pytest.skip("this promtool build has no Kubernetes service discovery (Debian's has none)")
    assert result.returncode == 0, result.stdout + result.stderr


def test_k8s_scrape_config_names_jobs_after_services() -> None:
    config = load_yaml(PROMETHEUS_CONFIG.parent / "prometheus-k8s.yml")
    relabels = config["scrape_configs"][0]["relabel_configs"]
    job = next(r for r in relabels if r.get("target_label") == "job")
    assert job["source_labels"] == ["__meta_kubernetes_pod_label_app_kubernetes_io_name"]
    assert config["rule_files"] == ["rules/*.yml"]


def test_promtool_check_rules() -> None:
    result = _promtool("check", "rules", *map(str, sorted(RULES_DIR.glob("*.yml"))))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rule_unit_tests() -> None:
    result = _promtool("test", "rules", str(RULES_TEST))
    assert result.returncode == 0, result.stdout + result.stderr


def test_required_alerts_exist_with_runbooks() -> None:
    alerts = {r["alert"]: r for r in alert_rules() if "alert" in r}
    assert set(alerts) >= REQUIRED_ALERTS
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        assert rule["annotations"]["summary"], name
        assert rule["annotations"]["runbook"] == f"docs/operations.md#{name.lower()}", name


def test_every_alert_has_a_promtool_test() -> None:
    tested = {
        case["alertname"]
        for test in load_yaml(RULES_TEST)["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    alerts = {r["alert"] for r in alert_rules() if "alert" in r}
    assert alerts <= tested, f"alerts never shown to fire in a test: {sorted(alerts - tested)}"


def test_runbook_sections_exist() -> None:
    from tests.unit.deploy.deploy_files import ROOT

    doc = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8").lower()
    for rule in alert_rules():
        if "alert" in rule:
            assert f"### {rule['alert'].lower()}" in doc, f"no runbook section for {rule['alert']}"


def test_scrape_config_covers_every_service() -> None:
    config = load_yaml(PROMETHEUS_CONFIG)
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    for name, port in SERVICE_PORTS.items():
        sd = jobs[name]["dns_sd_configs"][0]
        assert sd["names"] == [name]
        assert sd["port"] == port
    assert config["rule_files"] == ["rules/*.yml"]
