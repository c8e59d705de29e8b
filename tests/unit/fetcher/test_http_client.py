"""The HTTP client with httpx.MockTransport (no sockets): status handling, caps, gzip bombs,
redirects, conditional GET headers, Retry-After."""

from __future__ import annotations

import gzip
import zlib
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from services.fetcher.http_client import (
    BodyTooLarge,
    DecompressionBomb,
    HttpFetcher,
    HttpStatusError,
    RateLimited,
    TooManyRedirects,
    parse_retry_after,
)
from services.fetcher.settings import FetchOptions


class _Stream(httpx.AsyncByteStream):
    """A body that is streamed (httpx reads plain ``content=`` eagerly, which hides the streaming)."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        for start in range(0, len(self.body), 65536):
            yield self.body[start : start + 65536]


def streamed(status: int, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    """A streamed mock response."""
    return httpx.Response(status, headers=headers, stream=_Stream(body))


URL = "http://192.0.2.10/feed"  # TEST-NET: a literal, never resolved; allow_private covers it


def fetcher(handler: httpx.MockTransport, **overrides: Any) -> HttpFetcher:
    options = FetchOptions(per_host_min_delay=0, **overrides)
    return HttpFetcher(options, transport=handler)


async def test_conditional_get_headers_and_304() -> None:
    seen: list[httpx.Headers] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return httpx.Response(304)

    http = fetcher(httpx.MockTransport(handle), user_agent="ua-test/1")
    response = await http.get(
        URL, kind="feed", allow_private=True, etag='"v1"', last_modified="Mon, 01 Jan 2026"
    )
    assert response.not_modified
    assert seen[0]["if-none-match"] == '"v1"' and seen[0]["if-modified-since"] == "Mon, 01 Jan 2026"
    assert seen[0]["user-agent"] == "ua-test/1"
    await http.aclose()


async def test_429_with_retry_after_defers_the_host() -> None:
    calls = 0

    def handle(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(429, headers={"Retry-After": "120"})

    http = fetcher(httpx.MockTransport(handle))
    with pytest.raises(RateLimited) as err:
        await http.get(URL, kind="feed", allow_private=True)
    assert err.value.retry_after == 120
    # The host asked for two minutes: the next request is refused without touching the server.
    with pytest.raises(RateLimited):
        await http.get(URL + "2", kind="page", allow_private=True)
    assert calls == 1
    await http.aclose()


async def test_server_error_is_http_error() -> None:
    http = fetcher(httpx.MockTransport(lambda r: httpx.Response(500, text="boom")))
    with pytest.raises(HttpStatusError) as err:
        await http.get(URL, kind="feed", allow_private=True)
    assert err.value.status == 500 and err.value.result == "http_error"
    await http.aclose()


async def test_redirects_followed_and_loops_refused() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(301, headers={"Location": "/new"})
        if request.url.path == "/new":
            return streamed(200, b"here")
        if request.url.path == "/a":
            return httpx.Response(302, headers={"Location": "/b"})
        return httpx.Response(302, headers={"Location": "/a"})

    http = fetcher(httpx.MockTransport(handle))
    response = await http.get("http://192.0.2.10/old", kind="page", allow_private=True)
    assert response.body == b"here" and response.url == "http://192.0.2.10/new"
    with pytest.raises(TooManyRedirects, match="redirect loop"):
        await http.get("http://192.0.2.10/a", kind="page", allow_private=True)
    await http.aclose()


async def test_redirect_to_private_address_is_blocked() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})

    http = fetcher(httpx.MockTransport(handle))
    with pytest.raises(Exception, match="cloud metadata") as err:
        await http.get("http://192.0.2.10/feed", kind="feed", allow_private=False, trusted=True)
    assert getattr(err.value, "result", None) == "ssrf_blocked"
    await http.aclose()


async def test_content_length_above_cap_is_not_read() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return streamed(200, b"x", {"Content-Length": str(10**9)})

    http = fetcher(httpx.MockTransport(handle), max_body_bytes=4096)
    with pytest.raises(BodyTooLarge):
        await http.get(URL, kind="page", allow_private=True)
    await http.aclose()


async def test_gzip_is_decoded_and_bombs_are_refused() -> None:
    small = gzip.compress("Здравствуйте, порт".encode())
    bomb = gzip.compress(b"\0" * 50_000_000)  # ~50 KB on the wire, 50 MB inflated

    def handle(request: httpx.Request) -> httpx.Response:
        body = small if request.url.path == "/ok" else bomb
        return streamed(200, body, {"Content-Encoding": "gzip"})

    http = fetcher(httpx.MockTransport(handle))
    ok = await http.get("http://192.0.2.10/ok", kind="page", allow_private=True)
    assert ok.body.decode() == "Здравствуйте, порт"
    with pytest.raises(DecompressionBomb):
        await http.get("http://192.0.2.10/bomb", kind="page", allow_private=True)
    await http.aclose()


async def test_raw_deflate_is_accepted() -> None:
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    body = raw.compress(b"deflated without header") + raw.flush()
    http = fetcher(httpx.MockTransport(lambda r: streamed(200, body, {"Content-Encoding": "deflate"})))
    response = await http.get(URL, kind="page", allow_private=True)
    assert response.body == b"deflated without header"
    await http.aclose()


def test_parse_retry_after() -> None:
    now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC).timestamp()
    assert parse_retry_after("30") == 30
    assert parse_retry_after("Sun, 01 Nov 2026 12:01:00 GMT", now) == 60
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
