"""Secrets (webhook URLs, signing keys): read from the environment or a secrets file, never from
alerting.yaml, never logged. ``Secret`` masks itself in ``repr``/``str`` so a stray log line or
exception message cannot leak it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import yaml

from shared.errors import ConfigError


class Secret:
    """A secret string; ``reveal()`` is the only way to read it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret value (for the HTTP client or the HMAC, nothing else)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def load_secrets_file(path: Path) -> dict[str, str]:
    """A secrets file: a YAML mapping ``NAME: value`` or ``.env`` lines ``NAME=value`` (# comments)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read secrets file: {exc.strerror}") from exc
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    if lines and all("=" in ln and ":" not in ln.split("=", 1)[0] for ln in lines):
        out: dict[str, str] = {}
        for ln in lines:
            name, value = ln.removeprefix("export ").split("=", 1)
            out[name.strip()] = value.strip().strip("'\"")
        return out
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        # the parser's message may quote a line of the file: do not repeat it
        raise ConfigError(f"{path}: secrets file is neither NAME=value lines nor a YAML mapping") from exc
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise ConfigError(f"{path}: secrets file must be a mapping of NAME: value")
    return {k: str(v) for k, v in data.items() if v is not None}


class SecretSource:
    """Looks names up in the environment first, then in the secrets file."""

    def __init__(
        self, env: Mapping[str, str] | None = None, file_values: Mapping[str, str] | None = None
    ) -> None:
        self._env = dict(os.environ if env is None else env)
        self._file = dict(file_values or {})

    @classmethod
    def from_file(cls, path: Path | None, env: Mapping[str, str] | None = None) -> SecretSource:
        """Environment plus the secrets file at ``path`` (if given)."""
        return cls(env, load_secrets_file(path) if path is not None else None)

    def get(self, name: str) -> Secret | None:
        """The secret called ``name``, or None when neither source has a non-empty value."""
        value = self._env.get(name) or self._file.get(name)
        return Secret(value) if value else None
