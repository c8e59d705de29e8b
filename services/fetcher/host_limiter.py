"""Politeness per host: at most N requests in flight and a minimum delay between request starts;
a host that answered 429/503 with Retry-After is left alone until then."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

_MAX_IDLE_HOSTS = 2000


class HostDeferred(Exception):
    """The host asked us (Retry-After) not to come back before ``retry_after`` seconds from now."""

    result = "rate_limited"

    def __init__(self, host: str, retry_after: float) -> None:
        super().__init__(f"{host} asked to wait {retry_after:.0f}s (Retry-After)")
        self.retry_after = retry_after


@dataclass
class _HostSlot:
    semaphore: asyncio.Semaphore
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = 0.0
    not_before: float = 0.0
    users: int = 0


class HostLimiter:
    """``async with limiter.slot(host):`` waits for a free slot and the host's minimum delay."""

    def __init__(self, concurrency: int, min_delay: float, max_wait_for_retry_after: float = 60.0) -> None:
        self.concurrency, self.min_delay = concurrency, min_delay
        self.max_wait = max_wait_for_retry_after
        self._hosts: dict[str, _HostSlot] = {}

    def _slot(self, host: str) -> _HostSlot:
        slot = self._hosts.get(host)
        if slot is None:
            if len(self._hosts) > _MAX_IDLE_HOSTS:
                now = time.monotonic()
                for name in [h for h, s in self._hosts.items() if s.users == 0 and s.next_start < now]:
                    del self._hosts[name]
            slot = self._hosts[host] = _HostSlot(asyncio.Semaphore(self.concurrency))
        return slot

    def defer(self, host: str, seconds: float) -> None:
        """Record a Retry-After: no request to ``host`` starts in the next ``seconds``."""
        slot = self._slot(host)
        slot.not_before = max(slot.not_before, time.monotonic() + seconds)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Hold one of the host's slots for the duration of a request."""
        slot = self._slot(host)
        slot.users += 1
        try:
            wait = slot.not_before - time.monotonic()
            if wait > self.max_wait:
                raise HostDeferred(host, wait)
            async with slot.semaphore:
                async with slot.lock:
                    now = time.monotonic()
                    start = max(now, slot.next_start, slot.not_before)
                    slot.next_start = start + self.min_delay
                if start > now:
                    await asyncio.sleep(start - now)
                yield
        finally:
            slot.users -= 1
