"""``config/alerting.yaml``: channels, routes and their hygiene settings, validated with errors
that name the file, the route and the field. Secrets are resolved here (from the environment or
the secrets file) into ``Secret`` objects; the YAML only ever names the variable."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time as dtime
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from services.alerter.secrets import Secret, SecretSource
from shared.errors import ConfigError
from shared.messages import StoryEvent

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
EventKind = Literal["new_story", "development", "member"]
DEFAULT_KINDS: tuple[EventKind, ...] = ("new_story", "development")  # member events do not alert by default


class StrictModel(BaseModel):
    """Config models reject unknown keys: a typo is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SlackChannelConfig(StrictModel):
    """A Slack incoming webhook; the URL is read from ``url_env``."""

    type: Literal["slack"]
    url_env: str = Field(pattern=ENV_NAME_PATTERN)
    optional: bool = False
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)


class WebhookChannelConfig(StrictModel):
    """A generic HTTP endpoint receiving signed alert.webhook/1 JSON."""

    type: Literal["webhook"]
    url_env: str = Field(pattern=ENV_NAME_PATTERN)
    secret_env: str | None = Field(default=None, pattern=ENV_NAME_PATTERN)
    optional: bool = False
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)


class ConsoleChannelConfig(StrictModel):
    """Human-readable lines on stdout (the demo default)."""

    type: Literal["console"]
    stream: Literal["stdout", "stderr"] = "stdout"


class FileChannelConfig(StrictModel):
    """alert.webhook/1 payloads appended to a JSONL file."""

    type: Literal["file"]
    path: Path


ChannelConfig = Annotated[
    SlackChannelConfig | WebhookChannelConfig | ConsoleChannelConfig | FileChannelConfig,
    Field(discriminator="type"),
]


class RetryConfig(StrictModel):
    """Delivery retries: exponential backoff with jitter, within a total time budget."""

    budget_seconds: float = Field(default=600.0, ge=0)
    initial_seconds: float = Field(default=1.0, gt=0)
    max_seconds: float = Field(default=60.0, gt=0)


class ThrottleConfig(StrictModel):
    """At most one development message per story and route per ``min_interval_seconds``."""

    min_interval_seconds: float = Field(default=900.0, ge=0)


class RateLimitConfig(StrictModel):
    """At most ``max_alerts`` per ``per_seconds`` on a route; the rest go into one digest."""

    max_alerts: int = Field(ge=1)
    per_seconds: int = Field(ge=1)


class QuietHoursConfig(StrictModel):
    """Local-time window in which alerts are collected into a digest sent when it ends."""

    start: str
    end: str
    timezone: str = "UTC"

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError("must be HH:MM (24h)")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHoursConfig:
        if self.start == self.end:
            raise ValueError("start and end are equal")
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The time zone object."""
        return ZoneInfo(self.timezone)

    @property
    def start_time(self) -> dtime:
        """Start as a time of day."""
        return dtime.fromisoformat(self.start)

    @property
    def end_time(self) -> dtime:
        """End as a time of day."""
        return dtime.fromisoformat(self.end)


class MatchConfig(StrictModel):
    """Which story events a route takes. Lists are ORed; the fields are ANDed."""

    watchlists: list[str] = Field(default_factory=lambda: ["*"], min_length=1)
    kinds: list[EventKind] = Field(default_factory=lambda: list(DEFAULT_KINDS), min_length=1)
    min_sources: int = Field(default=1, ge=1)
    min_languages: int = Field(default=1, ge=1)


class RouteConfig(StrictModel):
    """One route: what it matches, where it sends, how it keeps the noise down."""

    name: str = Field(pattern=NAME_PATTERN)
    match: MatchConfig = MatchConfig()
    channels: list[str] = Field(min_length=1)
    group_wait_seconds: float = Field(default=0.0, ge=0)
    throttle: ThrottleConfig | None = None
    rate_limit: RateLimitConfig | None = None
    quiet_hours: QuietHoursConfig | None = None
    retry: RetryConfig | None = None

    def matches(self, event: StoryEvent) -> bool:
        """True when this route takes the event."""
        m = self.match
        if "*" not in m.watchlists and event.watchlist not in m.watchlists:
            return False
        if event.kind not in m.kinds:
            return False
        outlets = {s.source for s in event.story.sources} or {event.article.source}
        if len(outlets) < m.min_sources:
            return False
        languages = set(event.story.languages) or {event.article.lang}
        return len(languages) >= m.min_languages


class DefaultsConfig(StrictModel):
    """Values a route inherits when it does not set its own."""

    throttle: ThrottleConfig = ThrottleConfig()
    retry: RetryConfig = RetryConfig()


class AlertingFile(StrictModel):
    """The whole file."""

    version: Literal[1] = 1
    secrets_file: Path | None = None
    defaults: DefaultsConfig = DefaultsConfig()
    channels: dict[str, ChannelConfig] = Field(min_length=1)
    routes: list[RouteConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> AlertingFile:
        for name in self.channels:
            if not re.fullmatch(NAME_PATTERN, name):
                raise ValueError(f"channel name {name!r} must match {NAME_PATTERN}")
        seen: set[str] = set()
        for i, route in enumerate(self.routes):
            if route.name in seen:
                raise ValueError(f"routes[{i}] ({route.name}): duplicate route name")
            seen.add(route.name)
            for ch in route.channels:
                if ch not in self.channels:
                    raise ValueError(f"routes[{i}] ({route.name}).channels: unknown channel {ch!r}")
        return self


@dataclass(frozen=True)
class Channel:
    """A channel ready to use: secrets resolved (masked in repr), or ``disabled`` with a reason."""

    name: str
    type: Literal["slack", "webhook", "console", "file"]
    url: Secret | None = None
    signing_key: Secret | None = None
    timeout_seconds: float = 10.0
    stream: str = "stdout"
    path: Path | None = None
    disabled: str | None = None


@dataclass(frozen=True)
class AlertingConfig:
    """The loaded config: routes (with defaults applied) and resolved channels."""

    routes: list[RouteConfig]
    channels: dict[str, Channel]
    source: Path
    warnings: list[str] = field(default_factory=list)

    def route(self, name: str) -> RouteConfig | None:
        """The route called ``name``."""
        return next((r for r in self.routes if r.name == name), None)

    def active(self, route: RouteConfig) -> bool:
        """A route is active when at least one of its channels is enabled."""
        return any(not self.channels[c].disabled for c in route.channels)

    def matching(self, event: StoryEvent) -> list[RouteConfig]:
        """Every active route that takes the event (all of them, not the first)."""
        return [r for r in self.routes if r.matches(event) and self.active(r)]


def _where(raw: Any, loc: tuple[int | str, ...]) -> str:
    """A readable location: ``routes[1] (ops).throttle.min_interval_seconds``."""
    parts: list[str] = []
    node: Any = raw
    for item in loc:
        if isinstance(item, int):
            label = f"[{item}]"
            if isinstance(node, list) and 0 <= item < len(node):
                node = node[item]
                if isinstance(node, dict) and isinstance(node.get("name"), str):
                    label += f" ({node['name']})"
            parts.append(label)
            continue
        if isinstance(node, dict):
            node = node.get(item)
        parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


def _resolve_channel(name: str, cfg: ChannelConfig, secrets: SecretSource, path: Path) -> Channel:
    if isinstance(cfg, ConsoleChannelConfig):
        return Channel(name, "console", stream=cfg.stream)
    if isinstance(cfg, FileChannelConfig):
        file_path = cfg.path if cfg.path.is_absolute() else Path.cwd() / cfg.path
        return Channel(name, "file", path=file_path)
    url = secrets.get(cfg.url_env)
    key = secrets.get(cfg.secret_env) if isinstance(cfg, WebhookChannelConfig) and cfg.secret_env else None
    missing = [v for v, s in ((cfg.url_env, url),) if s is None]
    if isinstance(cfg, WebhookChannelConfig) and cfg.secret_env and key is None:
        missing.append(cfg.secret_env)
    if missing:
        reason = f"{', '.join(missing)} not set in the environment or the secrets file"
        if cfg.optional:
            return Channel(name, cfg.type, disabled=reason)
        raise ConfigError(
            f"{path}: channels.{name}: {reason} (mark the channel optional: true to allow this)"
        )
    assert url is not None
    if not re.match(r"^https?://[^\s/]+", url.reveal()):
        # never echo the value: it is a secret
        raise ConfigError(f"{path}: channels.{name}: {cfg.url_env} does not hold an http(s) URL")
    return Channel(name, cfg.type, url=url, signing_key=key, timeout_seconds=cfg.timeout_seconds)


def load_alerting(
    path: Path, *, secrets_file: Path | None = None, env: dict[str, str] | None = None
) -> AlertingConfig:
    """Parse, validate and resolve ``alerting.yaml``. Raises ``ConfigError`` naming file and field.

    ``secrets_file`` (from the settings) overrides the file's own ``secrets_file``; a relative
    path in the YAML is relative to the YAML file.
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: must be a mapping with channels and routes")
    try:
        parsed = AlertingFile.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False, include_input=False):
            loc = tuple(
                p
                for p in err["loc"]
                if not (isinstance(p, str) and p in {"slack", "webhook", "console", "file"})
            )
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{path}: {_where(raw, loc)}: {msg}")
        raise ConfigError("; ".join(problems)) from None
    secrets_path = secrets_file
    if secrets_path is None and parsed.secrets_file is not None:
        secrets_path = (
            parsed.secrets_file if parsed.secrets_file.is_absolute() else path.parent / parsed.secrets_file
        )
    secrets = SecretSource.from_file(secrets_path, env)
    channels = {n: _resolve_channel(n, c, secrets, path) for n, c in parsed.channels.items()}
    routes = [
        r.model_copy(
            update={
                "throttle": r.throttle or parsed.defaults.throttle,
                "retry": r.retry or parsed.defaults.retry,
            }
        )
        for r in parsed.routes
    ]
    warnings = [f"channel {c.name} disabled: {c.disabled}" for c in channels.values() if c.disabled]
    cfg = AlertingConfig(routes=routes, channels=channels, source=path, warnings=warnings)
    inactive = [r.name for r in routes if not cfg.active(r)]
    warnings += [f"route {name} inactive: all its channels are disabled" for name in inactive]
    return cfg
