"""Hot reload of operator config files: poll, validate, swap; a bad edit keeps the last good config."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Generic, TypeVar

from shared import metrics
from shared.errors import ConfigError
from shared.logs import get_logger

log = get_logger(__name__)

T = TypeVar("T")


def fingerprint(paths: Iterable[Path]) -> tuple[tuple[str, int, int], ...]:
    """(path, mtime_ns, size) of every existing file; changes when any file is edited, added or removed."""
    out = []
    for path in sorted(paths):
        try:
            st = path.stat()
        except FileNotFoundError:
            continue
        out.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(out)


class ConfigWatcher(Generic[T]):
    """Holds the current config; ``check()`` reloads it when its files changed.

    ``files`` lists the files to watch (called each time, so a glob sees new files); ``load``
    parses and validates them and raises ``ConfigError`` with a message naming file and field.
    """

    def __init__(
        self,
        name: str,
        service: str,
        files: Callable[[], list[Path]],
        load: Callable[[], T],
        on_change: Callable[[T], Awaitable[None] | None] | None = None,
    ) -> None:
        self.name, self.service = name, service
        self._files, self._load, self._on_change = files, load, on_change
        self._fingerprint = fingerprint(files())
        self.current: T = load()  # at start-up a bad config is fatal: raise to the caller
        self.last_error: str | None = None

    async def check(self) -> bool:
        """Reload if changed. Returns True when a new config was applied."""
        fp = fingerprint(self._files())
        if fp == self._fingerprint:
            return False
        self._fingerprint = fp
        try:
            new = self._load()
        except Exception as exc:  # a bad edit must never take the service down
            self.last_error = str(exc) if isinstance(exc, ConfigError) else f"{type(exc).__name__}: {exc}"
            metrics.CONFIG_RELOADS.labels(self.service, self.name, "rejected").inc()
            log.error("config %s rejected, keeping the last good one: %s", self.name, exc)
            return False
        self.current, self.last_error = new, None
        metrics.CONFIG_RELOADS.labels(self.service, self.name, "ok").inc()
        log.info("config %s reloaded", self.name)
        if self._on_change is not None:
            result = self._on_change(new)
            if result is not None:
                await result
        return True

    async def watch(self, stop: asyncio.Event, interval: float = 2.0) -> None:
        """Check every ``interval`` seconds until ``stop`` is set."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
            except TimeoutError:
                await self.check()
