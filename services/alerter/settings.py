"""Alerter settings: the shared service settings plus an ``alerter`` section.

Environment overrides use ``__`` for the section: ``WIREWATCH_ALERTER__SECRETS_FILE=/run/secrets/ww``.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.settings import ServiceSettings


class AlerterOptions(BaseModel):
    """Knobs of the alerter: config files, scheduler cadence, concurrency, retention of state."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    alerting_file: Path = Path("config/alerting.yaml")
    secrets_file: Path | None = Field(
        default=None, description="YAML mapping or KEY=VALUE lines; overrides the alerting.yaml setting"
    )
    consumer_group: str = "wirewatch-alerter"
    scheduler_interval_seconds: float = Field(default=0.5, gt=0, description="how often due work is polled")
    max_concurrent_deliveries: int = Field(default=32, ge=1)
    lease_seconds: float = Field(default=60.0, gt=0, description="a claimed job is retried after this")
    state_ttl_days: float = Field(default=30.0, gt=0, description="idempotency and once-per-story keys")
    http_timeout_seconds: float = Field(default=10.0, gt=0)
    config_check_interval: float = Field(default=2.0, gt=0)


class AlerterSettings(ServiceSettings):
    """Settings of the alerter service (metrics/health on port 9104)."""

    default_metrics_port: ClassVar[int] = 9104

    alerter: AlerterOptions = AlerterOptions()
