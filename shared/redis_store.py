"""Redis connection and key naming. Every key is prefixed (``ww:`` by default) and has a TTL
when it can grow."""

from __future__ import annotations

import redis.asyncio as aioredis


def connect(url: str) -> aioredis.Redis:
    """An asyncio Redis client with short timeouts, so a down Redis fails fast and is retried."""
    return aioredis.Redis.from_url(
        url,
        socket_timeout=5,
        socket_connect_timeout=3,
        health_check_interval=15,
        decode_responses=False,
    )


class Keys:
    """Builds namespaced keys: ``Keys("ww:").of("fetch", "seen", feed_id)`` -> ``ww:fetch:seen:<id>``."""

    def __init__(self, prefix: str = "ww:") -> None:
        self.prefix = prefix

    def of(self, *parts: str) -> str:
        """Join the parts under the prefix."""
        return self.prefix + ":".join(parts)
