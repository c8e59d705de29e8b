"""The HTTP client against real local servers: conditional GET, timeouts, a trickling server,
a 50 MB body, a gzip bomb, a redirect loop, a refused connection."""

from __future__ import annotations

import gzip
import ipaddress
import socket
import time
import tracemalloc

import pytest

from services.fetcher import ssrf
from services.fetcher.http_client import (
    Blocked,
    BodyTooLarge,
    ConnectFailed,
    DecompressionBomb,
    FetchTimeout,
    HttpFetcher,
    TooManyRedirects,
)

from .conftest import Handler, LocalServer, make_options


async def test_conditional_get_gets_304(server: LocalServer) -> None:
    def feed(h: Handler) -> None:
        if h.headers.get("If-None-Match") == '"v7"':
            h.send_bytes(304, b"", "application/rss+xml", {"ETag": '"v7"'})
        else:
            h.send_bytes(200, b"<rss/>", "application/rss+xml", {"ETag": '"v7"', "Last-Modified": "x"})

    server.routes["/rss"] = feed
    http = HttpFetcher(make_options())
    first = await http.get(server.url("/rss"), kind="feed", allow_private=True)
    assert first.status == 200 and first.headers["etag"] == '"v7"'
    second = await http.get(server.url("/rss"), kind="feed", allow_private=True, etag='"v7"')
    assert second.not_modified and second.body == b""
    await http.aclose()


async def test_stalled_server_hits_read_timeout(server: LocalServer) -> None:
    def stall(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "100")
        h.end_headers()
        h.wfile.flush()
        time.sleep(2)

    server.routes["/stall"] = stall
    http = HttpFetcher(make_options(read_timeout=0.5, total_timeout=10))
    started = time.monotonic()
    with pytest.raises(FetchTimeout, match="ReadTimeout"):
        await http.get(server.url("/stall"), kind="page", allow_private=True)
    assert time.monotonic() - started < 1.5
    await http.aclose()


async def test_trickling_server_hits_total_timeout(server: LocalServer) -> None:
    # One byte every 0.2 s never trips the read timeout; the total timeout stops it.
    def trickle(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "1000")
        h.end_headers()
        try:
            for _ in range(50):
                h.wfile.write(b"x")
                h.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass

    server.routes["/trickle"] = trickle
    http = HttpFetcher(make_options(read_timeout=1.0, total_timeout=1.5))
    started = time.monotonic()
    with pytest.raises(FetchTimeout, match="total"):
        await http.get(server.url("/trickle"), kind="page", allow_private=True)
    assert time.monotonic() - started < 2.5
    await http.aclose()


async def test_50mb_body_is_aborted_at_the_cap_with_low_memory(server: LocalServer) -> None:
    chunk = b"A" * 65536

    def huge(h: Handler) -> None:  # no Content-Length: the cap must work while streaming
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Connection", "close")
        h.end_headers()
        try:
            for _ in range(50 * 16):  # 50 MB
                h.wfile.write(chunk)
        except OSError:
            pass  # the client hung up at the cap, as it should

    server.routes["/huge"] = huge
    http = HttpFetcher(make_options(max_body_bytes=5 * 1024 * 1024))
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge, match="cap"):
            await http.get(server.url("/huge"), kind="page", allow_private=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 15 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB while aborting a 50 MB body"
    await http.aclose()


async def test_gzip_bomb_is_refused(server: LocalServer) -> None:
    bomb = gzip.compress(b"\0" * (200 * 1024 * 1024), compresslevel=9)  # ~200 KB -> 200 MB
    server.static("/bomb", bomb, "text/html", **{"Content-Encoding": "gzip"})
    http = HttpFetcher(make_options())
    tracemalloc.start()
    try:
        with pytest.raises(DecompressionBomb):
            await http.get(server.url("/bomb"), kind="page", allow_private=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 60 * 1024 * 1024
    await http.aclose()


async def test_redirect_loop_is_refused(server: LocalServer) -> None:
    server.routes["/a"] = lambda h: h.send_bytes(302, b"", "text/plain", {"Location": "/b"})
    server.routes["/b"] = lambda h: h.send_bytes(302, b"", "text/plain", {"Location": "/a"})

    def hop(h: Handler) -> None:
        n = int(h.path.removeprefix("/c"))
        h.send_bytes(301, b"", "text/plain", {"Location": f"/c{n + 1}"})

    for n in range(10):
        server.routes[f"/c{n}"] = hop
    http = HttpFetcher(make_options(max_redirects=5))
    with pytest.raises(TooManyRedirects, match="loop"):
        await http.get(server.url("/a"), kind="page", allow_private=True)
    with pytest.raises(TooManyRedirects, match="more than 5"):
        await http.get(server.url("/c0"), kind="page", allow_private=True)
    assert server.hits["/a"] == 1 and server.hits["/b"] == 1
    await http.aclose()


async def test_refused_connection_is_a_connect_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    http = HttpFetcher(make_options())
    with pytest.raises(ConnectFailed):
        await http.get(f"http://127.0.0.1:{port}/x", kind="feed", allow_private=True)
    await http.aclose()


async def test_ssrf_guard_blocks_loopback_without_allow_private(server: LocalServer) -> None:
    server.static("/page", "<html></html>")
    http = HttpFetcher(make_options())
    with pytest.raises(Exception, match="loopback") as err:
        await http.get(server.url("/page"), kind="page", allow_private=False)
    assert getattr(err.value, "result", "") == "ssrf_blocked"
    assert "/page" not in server.hits
    await http.aclose()


async def test_connection_is_reused_but_never_after_an_aborted_body(server: LocalServer) -> None:
    """The aiohttp transport returns fully read connections to the pool and drops half-read ones:
    after a body aborted at the cap, the next page on the same client is read whole."""
    page = b"<html><body><article><p>" + b"complete page " * 500 + b"</p></article></body></html>"

    def big(h: Handler) -> None:  # keep-alive with a Content-Length the client will not finish
        h.send_response(200)
        h.send_header("Content-Length", str(8 * 65536))
        h.end_headers()
        try:
            for _ in range(8):
                h.wfile.write(b"B" * 65536)
        except OSError:
            pass

    def small(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(len(page)))
        h.end_headers()
        h.wfile.write(page)

    server.routes["/big"] = big
    server.routes["/small"] = small
    http = HttpFetcher(make_options(max_body_bytes=100_000))
    try:
        first = await http.get(server.url("/small"), kind="page", allow_private=True)
        with pytest.raises(BodyTooLarge):
            await http.get(server.url("/big"), kind="page", allow_private=True)
        for _ in range(3):
            again = await http.get(server.url("/small"), kind="page", allow_private=True)
            assert again.body == first.body == page
    finally:
        await http.aclose()


async def test_dns_rebinding_is_refused_at_connect_time(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pre-request check is told the host is public (a rebinding DNS server's first answer);
    the connection's own lookup says 127.0.0.1 and is refused: the page is never requested."""

    async def public_first_answer(host: str, port: int) -> list[ipaddress.IPv4Address]:
        return [ipaddress.IPv4Address("93.184.216.34")]

    monkeypatch.setattr(ssrf, "resolve", public_first_answer)
    server.static("/page", "<html></html>")
    rebound = server.url("/page").replace("127.0.0.1", "localhost")
    http = HttpFetcher(make_options())
    try:
        with pytest.raises(Blocked, match="at connect time"):
            await http.get(rebound, kind="page", allow_private=False)
        assert "/page" not in server.hits
        page = await http.get(rebound, kind="page", allow_private=True)  # a feed that may: fetched
        assert page.status == 200
        assert server.hits["/page"] == 1
    finally:
        await http.aclose()
