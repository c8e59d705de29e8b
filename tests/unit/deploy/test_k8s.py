"""deploy/k8s: Deployments, probes, resources, ConfigMaps, Secret; and agreement with compose."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest
import yaml

from tests.unit.deploy.deploy_files import K8S_DIR, ROOT, SERVICE_PORTS, compose, k8s_kind, load_yaml


def _container(name: str) -> dict[str, Any]:
    deployment = k8s_kind("Deployment")[name]
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    container: dict[str, Any] = containers[0]
    return container


def _k8s_env(name: str) -> dict[str, str]:
    """Env of a service's container: ConfigMaps it imports plus its own ``env`` entries."""
    configmaps = k8s_kind("ConfigMap")
    env: dict[str, str] = {}
    for source in _container(name).get("envFrom", []):
        if "configMapRef" in source:
            env.update(configmaps[source["configMapRef"]["name"]]["data"])
    for item in _container(name).get("env", []):
        env[item["name"]] = str(item.get("value", ""))
    return env


def test_every_object_is_namespaced() -> None:
    for kind in ("Deployment", "Service", "ConfigMap", "Secret", "Job"):
        for name, obj in k8s_kind(kind).items():
            assert obj["metadata"]["namespace"] == "wirewatch", f"{kind}/{name}"
    assert "wirewatch" in k8s_kind("Namespace")


def test_deployments_match_compose_services() -> None:
    compose_services = set(compose()["services"]) & set(SERVICE_PORTS)
    assert set(k8s_kind("Deployment")) == compose_services == set(SERVICE_PORTS)
    assert set(k8s_kind("Service")) == set(SERVICE_PORTS)


def test_replicas_and_image() -> None:
    deployments = k8s_kind("Deployment")
    for name in SERVICE_PORTS:
        assert _container(name)["image"].split(":")[0] == "wirewatch"
        assert deployments[name]["spec"]["replicas"] >= 1
    assert deployments["extractor"]["spec"]["replicas"] >= 2
    assert deployments["dedup"]["spec"]["replicas"] >= 2


def test_ports_probes_and_scrape_annotations() -> None:
    services = k8s_kind("Service")
    for name, port in SERVICE_PORTS.items():
        container = _container(name)
        assert container["ports"] == [{"name": "metrics", "containerPort": port, "protocol": "TCP"}]
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            assert container[probe]["httpGet"] == {"path": "/healthz", "port": "metrics"}, probe
        annotations = k8s_kind("Deployment")[name]["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/port"] == str(port)
        assert annotations["prometheus.io/path"] == "/metrics"
        assert services[name]["spec"]["ports"][0]["port"] == port
        assert services[name]["spec"]["selector"] == {"app.kubernetes.io/name": name}


def test_resources_and_security() -> None:
    for name in SERVICE_PORTS:
        container = _container(name)
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert "memory" in container["resources"]["limits"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        pod = k8s_kind("Deployment")[name]["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0


def test_env_agrees_with_compose() -> None:
    compose_services = compose()["services"]
    for name, port in SERVICE_PORTS.items():
        k8s_env = _k8s_env(name)
        compose_env = compose_services[name]["environment"]
        assert set(k8s_env) == set(compose_env), (
            f"{name}: only in compose {sorted(set(compose_env) - set(k8s_env))}, "
            f"only in k8s {sorted(set(k8s_env) - set(compose_env))}"
        )
        assert k8s_env["SERVICE"] == compose_env["SERVICE"] == name
        assert int(k8s_env["WIREWATCH_METRICS_PORT"]) == int(compose_env["WIREWATCH_METRICS_PORT"]) == port
        for key in ("WIREWATCH_CONFIG_DIR", "WIREWATCH_TOPIC_NAMESPACE", "WIREWATCH_REDIS_PREFIX"):
            assert str(k8s_env[key]) == str(compose_env[key]), key


def test_config_mounted_from_configmaps() -> None:
    for name in SERVICE_PORTS:
        mounts = {m["mountPath"]: m for m in _container(name)["volumeMounts"]}
        assert mounts["/app/config"]["readOnly"] is True
        assert mounts["/app/config/watchlists"]["readOnly"] is True
        assert "subPath" not in mounts["/app/config"], "subPath mounts are not updated: no hot reload"


def test_kustomization_lists_every_file_and_existing_config() -> None:
    kustomization = load_yaml(K8S_DIR / "kustomization.yaml")
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in K8S_DIR.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk
    names = {g["name"] for g in kustomization["configMapGenerator"]}
    assert names == {"wirewatch-config", "wirewatch-watchlists"}
    for generator in kustomization["configMapGenerator"]:
        for file in generator["files"]:
            assert (K8S_DIR / file).resolve().is_file(), f"{file} does not exist"
    watchlists = next(g for g in kustomization["configMapGenerator"] if g["name"] == "wirewatch-watchlists")
    shipped = {p.name for p in (ROOT / "config" / "watchlists").glob("*.yaml")}
    assert {f.rsplit("/", 1)[-1] for f in watchlists["files"]} == shipped


def test_webhook_secret_is_a_placeholder_and_reaches_the_alerter() -> None:
    secret = k8s_kind("Secret")["wirewatch-webhooks"]
    for value in secret["stringData"].values():
        assert "REPLACE" in value.upper() or "PLACEHOLDER" in value.upper()
    refs = [s["secretRef"]["name"] for s in _container("alerter")["envFrom"] if "secretRef" in s]
    assert refs == ["wirewatch-webhooks"]
    for name in ("fetcher", "extractor", "dedup"):
        assert not [s for s in _container(name)["envFrom"] if "secretRef" in s]


def test_topics_job() -> None:
    job = k8s_kind("Job")["wirewatch-kafka-init"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][:4] == ["python", "-m", "shared.topics", "create"]


def test_kustomize_builds() -> None:
    """``kubectl kustomize`` renders the example (local files only; a subprocess, no network)."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl not installed; the kustomization is only checked structurally")
    result = subprocess.run(
        [kubectl, "kustomize", "--load-restrictor", "LoadRestrictionsNone", str(K8S_DIR)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    objects = [d for d in yaml.safe_load_all(result.stdout) if d]
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}
    for name in SERVICE_PORTS:
        assert ("Deployment", name) in kinds
    assert ("ConfigMap", "wirewatch-config") in kinds
    assert ("ConfigMap", "wirewatch-watchlists") in kinds
    config = next(o for o in objects if o["metadata"]["name"] == "wirewatch-config")
    assert {"feeds.yaml", "alerting.yaml"} <= set(config["data"])
