"""docker-compose.yml: the services, images, ports, healthchecks, env and start order."""

from __future__ import annotations

import re
from typing import Any

from tests.unit.deploy.deploy_files import COMPOSE_FILE, ROOT, SERVICE_PORTS, compose

REQUIRED_ENV = ("WIREWATCH_KAFKA_BOOTSTRAP", "WIREWATCH_REDIS_URL", "WIREWATCH_METRICS_PORT", "SERVICE")


def _services() -> dict[str, Any]:
    services = compose()["services"]
    assert isinstance(services, dict)
    return services


def _image(name: str) -> str:
    return str(_services()[name]["image"])


def test_infrastructure_images() -> None:
    assert re.fullmatch(r"apache/kafka:4\.\d+\.\d+", _image("kafka"))
    assert re.fullmatch(r"redis:7(\.\d+)*", _image("redis"))
    assert _image("prometheus").startswith("prom/prometheus:")
    assert _image("grafana").startswith("grafana/grafana:")
    for name in ("kafka", "redis", "prometheus", "grafana"):
        assert not _image(name).endswith(":latest"), f"{name}: pin the image version"


def test_one_wirewatch_image_built_once() -> None:
    services = _services()
    builders = [name for name, svc in services.items() if "build" in svc]
    assert builders == ["kafka-init"], "exactly one service builds the image; the others reuse it"
    build = services["kafka-init"]["build"]
    assert build["dockerfile"] == "deploy/Dockerfile"
    assert build["context"] == "."
    for name in [*SERVICE_PORTS, "kafka-init"]:
        assert services[name]["image"] == "wirewatch:local"
    for name in SERVICE_PORTS:
        assert services[name].get("pull_policy") == "never"


def test_kafka_is_kraft_single_node() -> None:
    env = _services()["kafka"]["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == 1
    assert str(env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"]) == "false"
    assert any(v.endswith(":/var/lib/kafka/data") for v in _services()["kafka"]["volumes"])


def test_redis_uses_aof_on_a_volume() -> None:
    redis = _services()["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert any(v.startswith("redis-data:") and v.endswith(":/data") for v in redis["volumes"])
    assert "redis-data" in compose()["volumes"]


def test_kafka_init_creates_topics_from_the_contract() -> None:
    init = _services()["kafka-init"]
    command = " ".join(init["command"])
    assert "python -m shared.topics create" in command
    assert "--bootstrap kafka:9092" in command
    assert "deploy/kafka/topics.yaml" in command
    assert init["restart"] == "no"
    assert init["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_services_env_ports_healthchecks() -> None:
    services = _services()
    for name, port in SERVICE_PORTS.items():
        svc = services[name]
        env = svc["environment"]
        for key in REQUIRED_ENV:
            assert key in env, f"{name}: {key} missing"
        assert env["SERVICE"] == name
        assert int(env["WIREWATCH_METRICS_PORT"]) == port
        assert env["WIREWATCH_KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert env["WIREWATCH_REDIS_URL"].startswith("redis://redis:6379")
        assert f"127.0.0.1:{port}:{port}" in svc["ports"]
        health = " ".join(svc["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port}/healthz" in health
        assert svc["restart"] in ("unless-stopped", "always", "on-failure")


def test_start_order_uses_conditions() -> None:
    services = _services()
    for name in SERVICE_PORTS:
        deps = services[name]["depends_on"]
        assert deps["kafka-init"]["condition"] == "service_completed_successfully"
        assert deps["redis"]["condition"] == "service_healthy"
    assert services["kafka"]["healthcheck"]["test"]
    assert services["redis"]["healthcheck"]["test"]


def test_config_mounted_read_only() -> None:
    for name in SERVICE_PORTS:
        assert "./config:/app/config:ro" in _services()[name]["volumes"]


def test_prometheus_and_grafana_provisioned() -> None:
    services = _services()
    prom_volumes = services["prometheus"]["volumes"]
    assert "./deploy/prometheus:/etc/prometheus:ro" in prom_volumes
    assert "--config.file=/etc/prometheus/prometheus.yml" in services["prometheus"]["command"]
    grafana_volumes = services["grafana"]["volumes"]
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in grafana_volumes
    assert "./deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro" in grafana_volumes
    for volume in [*prom_volumes, *grafana_volumes]:
        source = volume.split(":", 1)[0]
        if source.startswith("./"):
            assert (ROOT / source).exists(), f"{source} does not exist"


def test_no_secrets_in_the_file() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    assert "hooks.slack.com" not in text
    assert not re.search(r"(?i)(secret|signing_key|token)\w*:\s*['\"]?[A-Za-z0-9/+]{16,}", text)
    alerter = _services()["alerter"]
    env_files = alerter["env_file"]
    assert any(isinstance(f, dict) and f["required"] is False for f in env_files)
    assert (ROOT / "deploy" / "secrets.env.example").is_file()


def test_replay_demo_is_optional() -> None:
    replay = _services()["replay"]
    assert replay["profiles"] == ["demo"]
    assert replay["image"] == "wirewatch:local"
