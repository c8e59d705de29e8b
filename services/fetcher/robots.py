"""robots.txt for article pages, cached per site (scheme + host + port).

Feeds themselves are operator-configured and polled regardless. Per RFC 9309: a 4xx robots.txt
means everything is allowed; a 5xx means nothing is, until the next check; a network failure lets
the page fetch go ahead (it will fail on its own, counted once).
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from services.fetcher.charset import decode_body
from services.fetcher.http_client import FetchError, HttpFetcher, HttpStatusError

_MAX_SITES = 5000
_ERROR_TTL = 600.0


class RobotsBlocked(Exception):
    """robots.txt disallows the URL for our user agent."""

    result = "robots_blocked"


class RobotsCache:
    """``await cache.check(url, allow_private=...)`` raises ``RobotsBlocked`` when disallowed."""

    def __init__(self, http: HttpFetcher, ttl: float) -> None:
        self.http, self.ttl = http, ttl
        self.agent = http.options.user_agent.split("/")[0].strip() or "*"
        self._rules: dict[str, tuple[float, RobotFileParser | bool]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def check(self, url: str, *, allow_private: bool) -> None:
        """Raise ``RobotsBlocked`` if robots.txt of the URL's site disallows it."""
        parts = urlsplit(url)
        site = f"{parts.scheme}://{parts.netloc}"
        rules = await self._rules_for(site, allow_private)
        if rules is True:
            return
        if rules is False or not rules.can_fetch(self.agent, url):
            raise RobotsBlocked(f"robots.txt of {site} disallows {parts.path or '/'}")

    async def _rules_for(self, site: str, allow_private: bool) -> RobotFileParser | bool:
        cached = self._rules.get(site)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        lock = self._locks.setdefault(site, asyncio.Lock())
        async with lock:
            cached = self._rules.get(site)
            if cached and cached[0] > time.monotonic():
                return cached[1]
            rules, ttl = await self._load(site, allow_private)
            if len(self._rules) > _MAX_SITES:
                self._rules.clear()
                self._locks = {site: lock}
            self._rules[site] = (time.monotonic() + ttl, rules)
            return rules

    async def _load(self, site: str, allow_private: bool) -> tuple[RobotFileParser | bool, float]:
        try:
            response = await self.http.get(f"{site}/robots.txt", kind="robots", allow_private=allow_private)
        except HttpStatusError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                return True, self.ttl
            return False, _ERROR_TTL
        except FetchError:
            return True, _ERROR_TTL
        text, _ = decode_body(response.body, response.content_type)
        parser = RobotFileParser()
        parser.parse(text.splitlines())
        return parser, self.ttl
