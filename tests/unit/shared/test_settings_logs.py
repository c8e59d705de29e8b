"""Settings precedence (env over YAML over defaults) and secret-safe JSON logs."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import ClassVar

import pytest

from shared.logs import JsonFormatter
from shared.settings import ServiceSettings


class DemoSettings(ServiceSettings):
    default_metrics_port: ClassVar[int] = 9199
    user_agent: str = "default-agent"


def test_env_overrides_yaml_overrides_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "wirewatch.yaml"
    cfg.write_text("kafka_bootstrap: yaml-host:9092\nuser_agent: yaml-agent\n", encoding="utf-8")
    monkeypatch.setenv("WIREWATCH_SETTINGS_FILE", str(cfg))
    monkeypatch.setenv("WIREWATCH_KAFKA_BOOTSTRAP", "env-host:9092")
    monkeypatch.delenv("WIREWATCH_REDIS_URL", raising=False)  # a run on other ports sets it
    settings = DemoSettings()
    assert settings.kafka_bootstrap == "env-host:9092"
    assert settings.user_agent == "yaml-agent"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.port == 9199


def test_topic_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIREWATCH_TOPIC_NAMESPACE", "t-123")
    topics = DemoSettings().topics
    assert topics.raw == "t-123.articles.raw.v1"
    assert "t-123.stories.v1.dlq" in topics.all()


def test_settings_are_frozen() -> None:
    settings = DemoSettings()
    with pytest.raises(Exception, match="frozen"):
        settings.log_level = "DEBUG"  # type: ignore[misc]


def test_json_log_masks_secret_fields() -> None:
    record = logging.makeLogRecord(
        {"msg": "sending %s", "args": ("alert",), "levelno": 20, "levelname": "INFO", "name": "t"}
    )
    record.webhook_url = "https://hooks.slack.test/T000/B000/XXXX"
    record.signing_key = "s3cret"
    record.topic = "wirewatch.stories.v1"
    line = json.loads(JsonFormatter("alerter").format(record))
    assert line["msg"] == "sending alert" and line["service"] == "alerter"
    assert line["topic"] == "wirewatch.stories.v1"
    assert line["webhook_url"] == "***" and line["signing_key"] == "***"
    assert "s3cret" not in json.dumps(line) and "XXXX" not in json.dumps(line)
