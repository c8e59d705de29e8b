"""A hostile news site for the fetcher: broken feeds, bombs, huge pages, loops and a slowloris.

Serves the files of tests/data/hostile/ plus generated cases, on 127.0.0.1 (and the slowloris on
a second loopback address so it does not hold the per-host slots of the other cases):

    /feed/<file>            a corpus file ({PORT} replaced), content type from its extension
    /feed/gzip-bomb.xml     1 GB of zeros, gzip-encoded (about 1 MB on the wire)
    /feed/big-title.json    a JSON Feed item with a 300 000-character title, then a normal item
    /feed/oversize-title.json  the same with a 4.5 MB title (above the 4 MB Kafka message limit)
    /feed/normal.xml        a normal RSS feed; ``add_normal(title)`` adds an item to it
    /page/big-length.html   50 MB page with Content-Length
    /page/big-chunked.html  50 MB page, chunked (no Content-Length)
    /page/bomb.html         the gzip bomb as an article page
    /loop/a, /loop/b        redirect loop
    /page/<anything else>   a small normal article page
"""

from __future__ import annotations

import gzip
import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HOSTILE = Path(__file__).resolve().parents[1] / "data" / "hostile"
BIG_PAGE_BYTES = 50 * 1024 * 1024
BOMB_BYTES = 1024 * 1024 * 1024
NORMAL_PAGE = b"<html><body><article><h1>Normal page</h1><p>Nothing to see.</p></article></body></html>"


def gzip_bomb(size: int = BOMB_BYTES) -> bytes:
    """``size`` zero bytes, gzip-compressed (generated, never committed)."""
    out = io.BytesIO()
    chunk = b"\0" * (1024 * 1024)
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as gz:
        for _ in range(size // len(chunk)):
            gz.write(chunk)
    return out.getvalue()


def big_page(size: int = BIG_PAGE_BYTES) -> bytes:
    """An HTML page of ``size`` bytes (repetitive paragraphs)."""
    head = b"<html><head><title>Enormous page</title></head><body><article><h1>Enormous page</h1>"
    para = b"<p>" + b"This paragraph repeats to make the page enormous. " * 20 + b"</p>\n"
    body = head + para * ((size - len(head)) // len(para) + 1)
    return body[:size]


def rss(items: list[tuple[str, str]], title: str = "Normal Wire") -> bytes:
    """A small RSS feed of (guid, title) items linking to /page/<guid>.html."""
    parts = [
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
        "<link>http://example.org/</link>"
    ]
    for guid, item_title in items:
        parts.append(
            f"<item><title>{item_title}</title><link>http://example.org/normal/{guid}</link>"
            f"<guid>{guid}</guid><description>{item_title}. A normal summary of a normal article "
            "about a town council meeting.</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


class HostileSite:
    """The hostile site; ``start()`` binds 127.0.0.1:0 (and 127.0.0.2:0 for the slowloris)."""

    def __init__(self) -> None:
        self.bomb = gzip_bomb()
        self.page = big_page()
        self.normal_items: list[tuple[str, str]] = [("normal-1", "Town council approves new library budget")]
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._servers: list[ThreadingHTTPServer] = []
        self.port = 0
        self.slow_port = 0

    def add_normal(self, guid: str, title: str) -> None:
        with self._lock:
            self.normal_items.append((guid, title))

    def start(self) -> HostileSite:
        main = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        slow = ThreadingHTTPServer(("127.0.0.2", 0), self._slow_handler())
        for server in (main, slow):
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self._servers.append(server)
        self.port, self.slow_port = main.server_address[1], slow.server_address[1]
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def slowloris_url(self) -> str:
        return f"http://127.0.0.2:{self.slow_port}/feed/slow.xml"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                with site._lock:
                    site.requests.append(self.path)
                path = self.path.split("?", 1)[0]
                if path == "/feed/gzip-bomb.xml":
                    self._send(200, site.bomb, "application/rss+xml", {"Content-Encoding": "gzip"})
                elif path == "/feed/big-title.json":
                    self._send(200, _big_title_feed(), "application/feed+json")
                elif path == "/feed/oversize-title.json":
                    self._send(200, _big_title_feed(words=900_000), "application/feed+json")
                elif path == "/feed/normal.xml":
                    with site._lock:
                        items = list(site.normal_items)
                    self._send(200, rss(items), "application/rss+xml")
                elif path.startswith("/feed/"):
                    file = HOSTILE / path.removeprefix("/feed/")
                    if not file.is_file():
                        self._send(404, b"not found", "text/plain")
                        return
                    body = file.read_bytes().replace(b"{PORT}", str(site.port).encode())
                    ctype = "application/feed+json" if file.suffix == ".json" else "application/rss+xml"
                    self._send(200, body, ctype)
                elif path == "/page/big-length.html":
                    self._send(200, site.page, "text/html; charset=utf-8")
                elif path == "/page/big-chunked.html":
                    self._chunked(site.page)
                elif path == "/page/bomb.html":
                    self._send(200, site.bomb, "text/html", {"Content-Encoding": "gzip"})
                elif path in ("/loop/a", "/loop/b", "/feed/loop"):
                    target = "/loop/b" if path == "/loop/a" else "/loop/a"
                    self._send(302, b"", "text/plain", {"Location": target})
                else:
                    self._send(200, NORMAL_PAGE, "text/html; charset=utf-8")

            def _send(
                self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
            ) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the fetcher hung up on purpose (size cap)

            def _chunked(self, body: bytes) -> None:
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    step = 256 * 1024
                    for start in range(0, len(body), step):
                        chunk = body[start : start + step]
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler

    def _slow_handler(self) -> type[BaseHTTPRequestHandler]:
        class Slowloris(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/rss+xml")
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
                    for _ in range(600):  # one byte a second for ten minutes at most
                        time.sleep(1)
                        self.wfile.write(b" ")
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Slowloris


def _big_title_feed(words: int = 60_000) -> bytes:
    """A JSON Feed whose first item has a title of ``words`` words (60 000: 300 000 characters;
    900 000: 4.5 MB, above the 4 MB message limit but under the fetcher's 5 MB body cap)."""
    import json

    items = [
        {
            "id": "big-title-1",
            "url": "http://example.org/a/big-title-1",
            "title": "Enormous title " + "very " * words + "long",
            "content_text": "Summary under an enormous title.",
        },
        {
            "id": "big-title-2",
            "url": "http://example.org/a/big-title-2",
            "title": "Normal title after an enormous one",
            "content_text": "A normal summary.",
        },
    ]
    return json.dumps(
        {"version": "https://jsonfeed.org/version/1.1", "title": "Big Title Wire", "items": items}
    ).encode()
