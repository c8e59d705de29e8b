"""The fetcher's HTTP client: httpx (over aiohttp, see ``aiohttp_transport``), streamed, capped and polite.

One ``HttpFetcher.get`` call: SSRF check -> per-host slot -> GET (conditional headers) -> stream the
raw body up to the size cap -> decompress gzip/deflate with a bomb guard -> follow redirects by
hand (each hop checked again, loops and too many hops refused) -> a ``FetchResponse``. Every failure
is a ``FetchError`` whose ``result`` is the metrics label. The total timeout covers all hops.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import zlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from services.fetcher import metrics, ssrf
from services.fetcher.aiohttp_transport import ALLOW_PRIVATE, AddressBlocked, AiohttpTransport
from services.fetcher.host_limiter import HostDeferred, HostLimiter
from services.fetcher.settings import FetchOptions
from shared.retry_after import parse_retry_after

_REDIRECTS = {301, 302, 303, 307, 308}


class FetchError(Exception):
    """A fetch that produced no usable body; ``result`` is the fetch_total label."""

    result = "error"

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.retry_after, self.status = retry_after, status


class FetchTimeout(FetchError):
    """Connect, read or total timeout."""

    result = "timeout"


class ConnectFailed(FetchError):
    """DNS, refused connection, TLS or protocol error."""

    result = "connect_error"


class BodyTooLarge(FetchError):
    """The body passed the size cap; the download was aborted."""

    result = "too_large"


class DecompressionBomb(FetchError):
    """The compressed body expands past the decompressed cap or ratio."""

    result = "decompression_bomb"


class TooManyRedirects(FetchError):
    """A redirect loop or more hops than allowed."""

    result = "too_many_redirects"


class HttpStatusError(FetchError):
    """A 4xx/5xx answer (other than 429/503 with Retry-After)."""

    result = "http_error"


class RateLimited(FetchError):
    """429, or 503 with Retry-After: the host asked us to slow down."""

    result = "rate_limited"


class Blocked(FetchError):
    """The SSRF guard refused the URL (or a redirect target)."""

    result = "ssrf_blocked"


@dataclass(frozen=True)
class FetchResponse:
    """A successful answer (2xx or 304), body already decompressed."""

    url: str
    status: int
    headers: Mapping[str, str]  # case-insensitive
    body: bytes
    seconds: float

    @property
    def not_modified(self) -> bool:
        """True for 304 Not Modified."""
        return self.status == 304

    @property
    def content_type(self) -> str | None:
        """The Content-Type header."""
        value = self.headers.get("content-type")
        return str(value) if value is not None else None


class _Decoder:
    """Streaming gzip/deflate decoder with limits on output size and expansion ratio."""

    def __init__(self, encoding: str, max_out: int, max_ratio: float) -> None:
        encoding = encoding.strip().lower()
        if encoding in ("", "identity"):
            self._obj = None
        elif encoding in ("gzip", "x-gzip"):
            self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._obj = zlib.decompressobj(zlib.MAX_WBITS)
        else:
            raise FetchError(f"unsupported Content-Encoding {encoding!r}")
        self._raw_deflate_fallback = encoding == "deflate"
        self._started = False
        self.max_out, self.max_ratio = max_out, max_ratio
        self.compressed = 0
        self.out = 0

    def feed(self, chunk: bytes) -> bytes:
        self.compressed += len(chunk)
        if self._obj is None:
            self.out += len(chunk)
            return chunk
        try:
            data = self._obj.decompress(chunk, self.max_out - self.out + 1)
        except zlib.error as exc:
            if not self._started and self._raw_deflate_fallback:
                # Some servers send raw deflate without the zlib header.
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                self._raw_deflate_fallback = False
                self.compressed -= len(chunk)
                return self.feed(chunk)
            raise FetchError(f"corrupt compressed body: {exc}") from exc
        self._started = True
        self.out += len(data)
        self._check()
        if self._obj.unconsumed_tail:
            raise DecompressionBomb(f"body expands past {self.max_out} bytes")
        return data

    def flush(self) -> bytes:
        if self._obj is None:
            return b""
        data = self._obj.flush()
        self.out += len(data)
        self._check()
        return data

    def _check(self) -> None:
        if self.out > self.max_out:
            raise DecompressionBomb(f"body expands past {self.max_out} bytes")
        ratio_limit = self.max_ratio * max(1, self.compressed)
        if self._obj is not None and self.out > 1_000_000 and self.out > ratio_limit:
            raise DecompressionBomb(
                f"compression ratio above {self.max_ratio:.0f}:1 ({self.compressed} -> {self.out}+ bytes)"
            )


class HttpFetcher:
    """Fetches URLs politely and safely; one instance per service (shares connections)."""

    def __init__(
        self,
        options: FetchOptions,
        limiter: HostLimiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.options = options
        self.limiter = limiter or HostLimiter(options.per_host_concurrency, options.per_host_min_delay)
        timeout = httpx.Timeout(
            connect=options.connect_timeout,
            read=options.read_timeout,
            write=options.read_timeout,
            pool=options.total_timeout,
        )
        self._default_headers = {"User-Agent": options.user_agent, "Accept-Encoding": "gzip, deflate"}
        # Our own transport is called directly (no httpx objects per request); an injected one
        # (tests: httpx.MockTransport) goes through the httpx client.
        self._direct = AiohttpTransport(max_connections=100) if transport is None else None
        self._client = httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=False,
            transport=transport or self._direct,
            headers=self._default_headers,
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
            trust_env=False,
        )

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self._client.aclose()

    async def get(
        self,
        url: str,
        *,
        kind: str,
        allow_private: bool,
        headers: dict[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str | None = None,
        trusted: bool = False,
    ) -> FetchResponse:
        """GET ``url``; raises ``FetchError`` (subclass names the reason) unless 2xx or 304.

        ``trusted``: the URL itself was written by the operator (a feed URL), so the SSRF guard
        skips it; redirect targets are still checked unless ``allow_private``.
        """
        started = time.perf_counter()
        request_headers = dict(headers or {})
        if accept:
            request_headers.setdefault("Accept", accept)
        if etag:
            request_headers["If-None-Match"] = etag
        if last_modified:
            request_headers["If-Modified-Since"] = last_modified
        try:
            async with asyncio.timeout(self.options.total_timeout):
                return await self._follow(url, kind, allow_private, request_headers, started, trusted=trusted)
        except TimeoutError as exc:
            limit = self.options.total_timeout
            raise FetchTimeout(f"no complete answer within {limit:.0f}s (total timeout)") from exc
        finally:
            metrics.FETCH_SECONDS.labels(kind).observe(time.perf_counter() - started)

    async def _follow(
        self,
        url: str,
        kind: str,
        allow_private: bool,
        headers: dict[str, str],
        started: float,
        *,
        trusted: bool,
    ) -> FetchResponse:
        visited: set[str] = set()
        current = url
        for _hop in range(self.options.max_redirects + 1):
            if current in visited:
                raise TooManyRedirects(f"redirect loop at {current}")
            visited.add(current)
            private_ok = allow_private or (trusted and current == url)
            try:
                await ssrf.check_url(current, allow_private=private_ok)
            except ssrf.SsrfBlocked as exc:
                raise Blocked(str(exc)) from exc
            host = urlsplit(current).hostname or ""
            try:
                async with self.limiter.slot(host):
                    status, resp_headers, body = await self._request(current, headers, private_ok)
            except HostDeferred as exc:
                raise RateLimited(str(exc), retry_after=exc.retry_after) from exc
            if status in _REDIRECTS:
                location = resp_headers.get("location")
                if not location:
                    raise HttpStatusError(f"HTTP {status} without Location", status=status)
                current = urljoin(current, location)
                # Conditional headers belong to the original URL only.
                headers = {k: v for k, v in headers.items() if not k.startswith("If-")}
                continue
            if status in (429, 503):
                retry_after = parse_retry_after(resp_headers.get("retry-after"))
                if retry_after is not None or status == 429:
                    self.limiter.defer(host, retry_after if retry_after is not None else 60.0)
                    raise RateLimited(
                        f"HTTP {status}, Retry-After {retry_after}", retry_after=retry_after, status=status
                    )
            if status >= 400 or status < 200 or (300 <= status < 400 and status != 304):
                raise HttpStatusError(f"HTTP {status}", status=status)
            metrics.FETCH_BYTES.labels(kind).inc(len(body))
            return FetchResponse(current, status, resp_headers, body, time.perf_counter() - started)
        raise TooManyRedirects(f"more than {self.options.max_redirects} redirects from {url}")

    @contextlib.asynccontextmanager
    async def _open(
        self, url: str, headers: dict[str, str], allow_private: bool
    ) -> AsyncIterator[tuple[int, Mapping[str, str], AsyncIterator[bytes]]]:
        """(status, headers, raw body chunks) of a GET, on the direct or the httpx path."""
        if self._direct is not None:
            merged = dict(self._default_headers)  # their names are already title-case
            merged.update((name.title(), value) for name, value in headers.items())
            opts = self.options
            async with self._direct.get(
                url, merged, allow_private=allow_private, connect=opts.connect_timeout, read=opts.read_timeout
            ) as answer:
                yield answer
            return
        extensions = {ALLOW_PRIVATE: allow_private}
        async with self._client.stream("GET", url, headers=headers, extensions=extensions) as response:
            yield response.status_code, response.headers, response.aiter_raw(65536)

    async def _request(
        self, url: str, headers: dict[str, str], allow_private: bool
    ) -> tuple[int, Mapping[str, str], bytes]:
        opts = self.options
        try:
            async with self._open(url, headers, allow_private) as (status, response_headers, chunks):
                if status in _REDIRECTS or status >= 400 or status == 304:
                    return status, response_headers, b""
                length = response_headers.get("content-length")
                if length and length.isdigit() and int(length) > opts.max_body_bytes:
                    cap = opts.max_body_bytes
                    raise BodyTooLarge(f"Content-Length {length} is above the cap of {cap} bytes; not read")
                decoder = _Decoder(
                    response_headers.get("content-encoding", ""),
                    opts.max_decompressed_bytes,
                    opts.max_decompression_ratio,
                )
                parts: list[bytes] = []
                async for chunk in chunks:
                    if decoder.compressed + len(chunk) > opts.max_body_bytes:
                        raise BodyTooLarge(f"body passed the cap of {opts.max_body_bytes} bytes; aborted")
                    parts.append(decoder.feed(chunk))
                parts.append(decoder.flush())
                return status, response_headers, b"".join(parts)
        except httpx.TimeoutException as exc:
            raise FetchTimeout(f"{type(exc).__name__}: {exc or 'timed out'}") from exc
        except httpx.TooManyRedirects as exc:  # pragma: no cover - redirects are followed by hand
            raise TooManyRedirects(str(exc)) from exc
        except AddressBlocked as exc:
            raise Blocked(str(exc)) from exc
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            raise ConnectFailed(f"{type(exc).__name__}: {exc}") from exc
