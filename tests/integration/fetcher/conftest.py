"""Fixtures for fetcher integration tests: a scriptable local HTTP server on 127.0.0.1, a uuid
Redis prefix (keys deleted afterwards), a publisher that records outputs, and service wiring."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Any

import pytest
import redis.asyncio as aioredis
from prometheus_client import REGISTRY

from services.fetcher.article_builder import ArticleBuilder
from services.fetcher.extract_pool import ExtractPool
from services.fetcher.feed_poller import FeedPoller, PollerDeps
from services.fetcher.feeds_config import FeedConfig
from services.fetcher.fetch_state import FetchStore
from services.fetcher.http_client import HttpFetcher
from services.fetcher.robots import RobotsCache
from services.fetcher.settings import FetchOptions
from shared.messages import ArticleRaw
from shared.producer import Output
from shared.redis_store import Keys

Route = Callable[["Handler"], None]


class Handler(BaseHTTPRequestHandler):
    """Dispatches to the test's route table; unknown paths are 404."""

    protocol_version = "HTTP/1.1"
    server: LocalServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        self.server.hits[path] = self.server.hits.get(path, 0) + 1
        route = self.server.routes.get(path)
        if route is None:
            self.send_bytes(404, b"not found", "text/plain")
        else:
            route(self)

    def send_bytes(self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        """A complete response with Content-Length."""
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if status != 304:
            self.wfile.write(body)


class LocalServer(ThreadingHTTPServer):
    """``server.routes[path] = fn(handler)``; ``server.url(path)``; ``server.hits[path]``."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes: dict[str, Route] = {}
        self.hits: dict[str, int] = {}

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet when the fetcher hangs up mid-body (the size-cap and timeout tests make it)."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def static(
        self, path: str, body: bytes | str, ctype: str = "text/html; charset=utf-8", **headers: str
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = lambda h: h.send_bytes(200, data, ctype, dict(headers))


@pytest.fixture
def server() -> Iterator[LocalServer]:
    srv = LocalServer()
    thread = Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


class RecordingPublisher:
    """Stands in for the Kafka producer: keeps what was sent."""

    def __init__(self) -> None:
        self.outputs: list[Output] = []

    async def start(self) -> None:
        return

    async def stop(self) -> None:
        return

    async def send_all(self, outputs: Sequence[Output]) -> None:
        self.outputs.extend(outputs)

    async def send_ordered(self, outputs: Sequence[Output], enqueued: asyncio.Event) -> None:
        self.outputs.extend(outputs)
        enqueued.set()

    @property
    def articles(self) -> list[ArticleRaw]:
        return [o.value for o in self.outputs if isinstance(o.value, ArticleRaw)]


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    prefix = f"test:fetcher:{uuid.uuid4().hex}:"
    yield prefix
    client = aioredis.Redis.from_url("redis://127.0.0.1:6379/0")
    keys = [k async for k in client.scan_iter(match=prefix + "*", count=1000)]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def make_options(**overrides: Any) -> FetchOptions:
    """Options for tests: in-process extraction, no politeness delay, short timeouts and backoff."""
    base: dict[str, Any] = {
        "extract_workers": 0,
        "per_host_min_delay": 0.0,
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
        "total_timeout": 5.0,
        "error_backoff_initial": 30.0,
        "config_check_interval": 0.2,
    }
    base.update(overrides)
    return FetchOptions(**base)


class Wiring:
    """Pollers over one HTTP client, store and publisher (what FetcherService builds)."""

    def __init__(self, prefix: str, options: FetchOptions) -> None:
        self.options = options
        self.redis = aioredis.Redis.from_url("redis://127.0.0.1:6379/0")
        self.http = HttpFetcher(options)
        self.pool = ExtractPool(0)
        self.store = FetchStore(self.redis, Keys(prefix), 3600)
        self.publisher = RecordingPublisher()
        robots = RobotsCache(self.http, 60) if options.respect_robots else None
        self.deps = PollerDeps(
            options,
            self.http,
            self.store,
            ArticleBuilder(options, self.http, robots, self.pool),
            self.publisher,
            "t",
        )

    def poller(self, feed: FeedConfig) -> FeedPoller:
        return FeedPoller(feed, self.deps)

    async def close(self) -> None:
        await self.http.aclose()
        await self.pool.stop()
        await self.store.close()
        await self.redis.aclose()


@pytest.fixture
async def wiring(redis_prefix: str) -> AsyncIterator[Wiring]:
    wired = Wiring(redis_prefix, make_options())
    yield wired
    await wired.close()


def metric(name: str, **labels: str) -> float:
    """Current value of a sample (0 when never set)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def feed_id() -> str:
    """A fresh feed id, so metric counters of one test are not shared with another."""
    return f"t-{uuid.uuid4().hex[:12]}"


def rss(items: list[tuple[str, str, str]], title: str = "Test feed") -> bytes:
    """RSS 2.0 of (guid, link, title) items; the description is 'Summary of <title>.'."""
    parts = [f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>']
    for guid, link, item_title in items:
        parts.append(
            f'<item><guid isPermaLink="false">{guid}</guid><link>{link}</link><title>{item_title}</title>'
            f"<description>Summary of {item_title}.</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


ARTICLE_HTML = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><nav><a href="/">Home</a></nav><main><article><h1>{title}</h1>
<p>The harbour master confirmed on Tuesday that the eastern breakwater will be rebuilt next spring.</p>
<p>Engineers found cracks in three sections after the autumn storms and recommended a full rebuild.</p>
<p>Shipping will continue during the works, with a speed limit for vessels entering the outer basin.</p>
</article></main><footer>Contact us</footer></body></html>"""
