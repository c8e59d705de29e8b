"""An httpx transport that sends requests with aiohttp.

``HttpFetcher`` keeps httpx's API (and its unit tests keep ``httpx.MockTransport``); underneath, the
service sends with aiohttp, whose HTTP parser is C. Measured on this project's benchmark pages
(35 KB gzip, 170 KB HTML, local server): 1.8 ms CPU per page through ``HttpFetcher`` on this
transport against 2.9-3.8 ms on httpx's own (httpcore); the fetcher's main process spends that
on every article, next to the extraction workers on the same cores.

Mapping: no redirects (``HttpFetcher`` follows them by hand), no decompression (its capped decoder
does that), no cookies, no proxies from the environment. httpx's per-request timeouts become
aiohttp's connect and socket-read timeouts; aiohttp errors become the httpx exceptions
``HttpFetcher`` already handles (timeouts, connect errors, protocol errors).

SSRF at connect time: ``ssrf.check_url`` resolves a host before each request, but the connection
resolves it again, and a hostile DNS server can answer "public" to the check and "127.0.0.1" to the
connect (DNS rebinding). Requests not marked ``ALLOW_PRIVATE`` in their extensions therefore go
through a connector whose resolver refuses any answer that is not a public address, so the address
connected to is always one that was checked. Feeds with ``allow_private`` use a second, unguarded
connector.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import httpx
from aiohttp.abc import ResolveResult
from aiohttp.resolver import ThreadedResolver

from services.fetcher.ssrf import address_problem, parse_address

ALLOW_PRIVATE = "wirewatch.allow_private"
"""Request extension: True lets the request reach private addresses (the feed allows it)."""


class AddressRefused(OSError):
    """The resolver's answer included an address the request may not reach."""


class AddressBlocked(httpx.ConnectError):
    """Raised by the transport when the connect-time resolver refused the host (see module doc)."""


class GuardedResolver(ThreadedResolver):
    """Resolves like aiohttp's default resolver and refuses names with any non-public address."""

    async def resolve(self, host: str, port: int = 0, family: Any = 0) -> list[ResolveResult]:
        """See ``ThreadedResolver.resolve``; raises ``AddressRefused``."""
        results = await super().resolve(host, port, family)
        for result in results:
            problem = address_problem(parse_address(result["host"]))
            if problem:
                raise AddressRefused(f"{host} resolves to {result['host']} ({problem}) at connect time")
        return results


def _timeout(request: httpx.Request) -> aiohttp.ClientTimeout:
    limits: dict[str, Any] = request.extensions.get("timeout") or {}
    return aiohttp.ClientTimeout(total=None, sock_connect=limits.get("connect"), sock_read=limits.get("read"))


class _Body(httpx.AsyncByteStream):
    """The response body, streamed from aiohttp; closing early drops the connection."""

    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request | None) -> None:
        self._response, self._request = response, request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_chunked(65536):
                yield chunk
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise httpx.ReadTimeout(f"read timed out: {exc}", request=self._request) from exc
        except aiohttp.ClientError as exc:
            raise httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}", request=self._request) from exc

    async def aclose(self) -> None:
        if self._response.content.at_eof():
            self._response.release()  # fully read: the connection goes back to the pool
        else:
            self._response.close()  # aborted (size cap, timeout): never reuse a half-read connection


class AiohttpTransport(httpx.AsyncBaseTransport):
    """``httpx.AsyncClient(transport=AiohttpTransport())``; the session opens on first use."""

    def __init__(self, max_connections: int = 100) -> None:
        self.max_connections = max_connections
        self._sessions: dict[bool, aiohttp.ClientSession] = {}

    def _open(self, allow_private: bool) -> aiohttp.ClientSession:
        session = self._sessions.get(allow_private)
        if session is None or session.closed:
            resolver = None if allow_private else GuardedResolver()
            session = self._sessions[allow_private] = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.max_connections, resolver=resolver),
                auto_decompress=False,
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
                skip_auto_headers=("User-Agent", "Accept-Encoding"),
            )
        return session

    async def _send(
        self,
        method: str,
        url: str,
        headers: Any,
        *,
        allow_private: bool,
        timeout: aiohttp.ClientTimeout,
        body: bytes | None = None,
        request: httpx.Request | None = None,
    ) -> aiohttp.ClientResponse:
        """Send with aiohttp; its errors become the httpx exceptions ``HttpFetcher`` handles."""
        session = self._open(allow_private)
        try:
            return await session.request(
                method, url, headers=headers, data=body, allow_redirects=False, timeout=timeout
            )
        except aiohttp.ConnectionTimeoutError as exc:
            raise httpx.ConnectTimeout(f"connect timed out: {exc}", request=request) from exc
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise httpx.ReadTimeout(f"no response headers in time: {exc}", request=request) from exc
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, AddressRefused):
                raise AddressBlocked(str(exc.os_error), request=request) from exc
            raise httpx.ConnectError(f"{exc}", request=request) from exc
        except aiohttp.InvalidURL as exc:
            raise httpx.InvalidURL(f"invalid URL {exc}") from exc
        except aiohttp.ClientError as exc:
            raise httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}", request=request) from exc

    @contextlib.asynccontextmanager
    async def get(
        self, url: str, headers: dict[str, str], *, allow_private: bool, connect: float, read: float
    ) -> AsyncIterator[tuple[int, Mapping[str, str], AsyncIterator[bytes]]]:
        """GET without httpx's request and response objects (``HttpFetcher``'s hot path: they
        cost ~0.35 ms of CPU per page): yields (status, headers, raw body chunks). Errors are the
        same httpx exceptions as ``handle_async_request``'s."""
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=read)
        response = await self._send("GET", url, headers, allow_private=allow_private, timeout=timeout)
        body = _Body(response, None)
        try:
            yield response.status, response.headers, body.__aiter__()
        finally:
            await body.aclose()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``; the response body streams (see ``_Body``)."""
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        response = await self._send(
            request.method,
            str(request.url),
            headers,
            allow_private=bool(request.extensions.get(ALLOW_PRIVATE, False)),
            timeout=_timeout(request),
            body=await request.aread() or None,
            request=request,
        )
        return httpx.Response(
            response.status,
            headers=[(k, v) for k, v in response.raw_headers],
            stream=_Body(response, request),
            request=request,
            extensions={"http_version": f"HTTP/{response.version.major}.{response.version.minor}".encode()}
            if response.version
            else {},
        )

    async def aclose(self) -> None:
        """Close pooled connections."""
        sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            await session.close()
