"""Settings: environment variables ``WIREWATCH_*`` override a YAML file, which overrides defaults.

The YAML file is ``$WIREWATCH_SETTINGS_FILE`` or ``config/wirewatch.yaml`` when present. Nested
fields use ``__`` in the environment (``WIREWATCH_FETCHER__USER_AGENT``). Settings objects are frozen.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)


def settings_file() -> Path:
    """The YAML settings file in force (it may not exist)."""
    return Path(os.environ.get("WIREWATCH_SETTINGS_FILE", "config/wirewatch.yaml"))


class Topics:
    """Topic names of one namespace (tests use a uuid namespace to stay isolated)."""

    def __init__(self, namespace: str = "wirewatch") -> None:
        self.raw = f"{namespace}.articles.raw.v1"
        self.tagged = f"{namespace}.articles.tagged.v1"
        self.stories = f"{namespace}.stories.v1"
        self.alerts = f"{namespace}.alerts.v1"

    def all(self) -> list[str]:
        """Every topic with its DLQ."""
        main = [self.raw, self.tagged, self.stories, self.alerts]
        return main + [f"{t}.dlq" for t in main[:3]]


def dlq_topic(topic: str) -> str:
    """The dead-letter topic of a consumed topic."""
    return f"{topic}.dlq"


class ServiceSettings(BaseSettings):
    """Settings every service shares. Services subclass it and set ``service_name``/``metrics_port``."""

    model_config = SettingsConfigDict(
        env_prefix="WIREWATCH_", env_nested_delimiter="__", frozen=True, extra="ignore"
    )
    default_metrics_port: ClassVar[int] = 9100

    kafka_bootstrap: str = "127.0.0.1:9092"
    # How long a consumer's fetch may wait for up to 1 MB of messages (Kafka fetch.max.wait.ms with
    # fetch.min.bytes 1 MB). Messages then come in batches instead of one fetch, produce and commit
    # round trip each: at 50 articles/s this halved a consumer's CPU per message. It adds at most
    # this much latency per stage; 0 hands over every message at once.
    kafka_fetch_wait_ms: int = Field(default=50, ge=0, le=1000)
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "ww:"
    topic_namespace: str = "wirewatch"
    config_dir: Path = Path("config")
    log_level: str = "INFO"
    metrics_host: str = "0.0.0.0"
    metrics_port: int | None = None
    instance: str = os.environ.get("HOSTNAME", "local")

    @property
    def topics(self) -> Topics:
        """Topic names for this deployment."""
        return Topics(self.topic_namespace)

    @property
    def port(self) -> int:
        """The /metrics + /healthz port (``metrics_port`` or the service default)."""
        return self.metrics_port if self.metrics_port is not None else self.default_metrics_port

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = settings_file()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if path.is_file():
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=path))
        return tuple(sources)
