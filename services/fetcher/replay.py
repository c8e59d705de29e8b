"""Offline replay server: a JSONL file of articles (or a folder of saved pages) served as a news site.

- ``/rss.xml`` (RSS 2.0) and ``/feed.json`` (JSON Feed 1.1) list the released items, newest first,
  with ETag / If-None-Match (304) support;
- ``/articles/<n>.html`` is item n as an article page trafilatura extracts well (``<article>``,
  ``<h1>``, ``<time>``, Open Graph meta, ``rel=canonical`` = the item's ``url`` when it has one);
  with ``html_dir`` the n-th saved page (``.html`` or ``.html.gz``, sent gzip-encoded when the
  client accepts it);
- ``/robots.txt`` allows everything.

With ``rate`` items are released over time from server start (item n at n / rate seconds) and the
feeds show only released items. Lines are ``{title, text, url?, published_at?, lang?, source?}``.
Usable in-process (``ReplayServer(...).start()``, tests and benchmarks) and as
``wirewatch replay FILE.jsonl --port P [--rate N/s]``.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from services.fetcher.feed_parse import parse_datetime
from shared.errors import ConfigError

_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


class ReplayLine(BaseModel):
    """One line of a replay file."""

    model_config = ConfigDict(extra="ignore")

    title: str
    text: str
    url: str | None = None
    published_at: str | None = None
    lang: str | None = None
    source: str | None = None
    author: str | None = None


@dataclass(frozen=True)
class ReplayItem:
    """An item the server can release: a generated page from a line, or a saved page."""

    title: str
    summary: str
    url: str | None = None
    published_at: datetime | None = None
    lang: str | None = None
    source: str | None = None
    author: str | None = None
    text: str = ""
    saved_page: bytes | None = None
    saved_gzip: bool = False


def load_replay_file(path: Path) -> list[ReplayItem]:
    """Read a JSONL replay file; errors name the file and line."""
    items: list[ReplayItem] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                row = ReplayLine.model_validate(json.loads(line))
            except (json.JSONDecodeError, ValidationError) as exc:
                raise ConfigError(f"{path}:{number}: not a replay line: {exc}") from exc
            first_paragraph = row.text.strip().split("\n")[0]
            items.append(
                ReplayItem(
                    title=row.title,
                    summary=first_paragraph[:400],
                    url=row.url,
                    published_at=parse_datetime(row.published_at),
                    lang=row.lang,
                    source=row.source,
                    author=row.author,
                    text=row.text,
                )
            )
    return items


def load_html_dir(directory: Path) -> list[ReplayItem]:
    """Saved pages (``*.html``, ``*.html.gz``) in name order; the title comes from ``<title>``."""
    items = []
    for path in sorted(directory.iterdir()):
        if not (path.name.endswith(".html") or path.name.endswith(".html.gz")):
            continue
        raw = path.read_bytes()
        head = (gzip.decompress(raw) if path.name.endswith(".gz") else raw)[:65536]  # for the title
        match = _TITLE.search(head)
        title = html.unescape(match.group(1).decode("utf-8", "replace")).strip() if match else path.stem
        title = " ".join(title.split())[:300] or path.stem
        gzipped = path.name.endswith(".gz")
        items.append(ReplayItem(title=title, summary="", saved_page=raw, saved_gzip=gzipped))
    return items


def render_article(item: ReplayItem, number: int, base_url: str, published: datetime) -> str:
    """An article page that looks like a real news site's (nav, article, footer)."""
    esc = html.escape
    source = item.source or "Replay News"
    canonical = item.url or f"{base_url}/articles/{number}.html"
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n|\n", item.text) if p.strip()]
    body = "\n".join(f"      <p>{esc(p)}</p>" for p in paragraphs)
    iso = published.isoformat().replace("+00:00", "Z")
    author_meta = f'\n  <meta name="author" content="{esc(item.author)}">' if item.author else ""
    byline = f"By {esc(item.author)} · " if item.author else ""
    return f"""<!DOCTYPE html>
<html lang="{esc(item.lang or "en")}">
<head>
  <meta charset="utf-8">
  <title>{esc(item.title)} | {esc(source)}</title>
  <link rel="canonical" href="{esc(canonical)}">
  <meta property="og:type" content="article">
  <meta property="og:title" content="{esc(item.title)}">
  <meta property="og:site_name" content="{esc(source)}">
  <meta property="og:url" content="{esc(canonical)}">
  <meta property="article:published_time" content="{iso}">
  <meta name="description" content="{esc(item.summary)}">{author_meta}
</head>
<body>
  <header><nav><a href="{base_url}/">{esc(source)}</a> | <a href="{base_url}/world">World</a> |
    <a href="{base_url}/politics">Politics</a> | <a href="{base_url}/business">Business</a></nav></header>
  <main>
    <article>
      <h1>{esc(item.title)}</h1>
{body}
      <footer class="byline">{byline}<time datetime="{iso}">{published:%Y-%m-%d %H:%M} UTC</time></footer>
    </article>
  </main>
  <footer><p>© {published:%Y} {esc(source)}. Replay copy for offline testing.</p></footer>
</body>
</html>
"""


class ReplayServer:
    """A threaded HTTP server on ``host:port`` (port 0 picks one); ``start()``/``stop()``."""

    def __init__(
        self,
        items: list[ReplayItem],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rate: float | None = None,
    ) -> None:
        self.items, self.rate = items, rate
        self.started_at = time.time()
        self.requests = 0
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self.host, self.port = host, int(self._server.server_address[1])
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self.port}"

    @property
    def rss_url(self) -> str:
        """The RSS feed URL."""
        return f"{self.base_url}/rss.xml"

    @property
    def json_feed_url(self) -> str:
        """The JSON Feed URL."""
        return f"{self.base_url}/feed.json"

    def start(self) -> Self:
        """Serve in a background thread; the release clock starts now."""
        self.started_at = time.time()
        self._thread = threading.Thread(target=self._server.serve_forever, name="replay", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (the CLI)."""
        self.started_at = time.time()
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def released(self) -> int:
        """How many items are released now."""
        if not self.rate:
            return len(self.items)
        return min(len(self.items), 1 + int((time.time() - self.started_at) * self.rate))

    def published_at(self, number: int) -> datetime:
        """The item's own time, else its release time."""
        item = self.items[number]
        if item.published_at is not None:
            return item.published_at
        offset = number / self.rate if self.rate else 0.0
        return datetime.fromtimestamp(self.started_at, UTC) + timedelta(seconds=offset)

    def rss(self, count: int) -> bytes:
        """RSS 2.0 of the first ``count`` items, newest first."""
        esc = html.escape
        parts = [
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0">\n<channel>\n'
            f"<title>wirewatch replay</title>\n<link>{self.base_url}/</link>\n"
            "<description>Offline replay feed</description>\n"
        ]
        for number in reversed(range(count)):
            item = self.items[number]
            link = f"{self.base_url}/articles/{number}.html"
            source = f'<source url="{self.base_url}/">{esc(item.source)}</source>' if item.source else ""
            parts.append(
                f"<item><title>{esc(item.title)}</title><link>{link}</link>"
                f'<guid isPermaLink="false">replay-{number}-{_digest(item.title)}</guid>'
                f"<pubDate>{format_datetime(self.published_at(number), usegmt=True)}</pubDate>"
                f"<description>{esc(item.summary)}</description>{source}</item>\n"
            )
        parts.append("</channel>\n</rss>\n")
        return "".join(parts).encode("utf-8")

    def json_feed(self, count: int) -> bytes:
        """JSON Feed 1.1 of the first ``count`` items, newest first."""
        items: list[dict[str, Any]] = []
        for number in reversed(range(count)):
            item = self.items[number]
            entry: dict[str, Any] = {
                "id": f"replay-{number}-{_digest(item.title)}",
                "url": f"{self.base_url}/articles/{number}.html",
                "title": item.title,
                "summary": item.summary,
                "date_published": self.published_at(number).isoformat(),
            }
            if item.lang:
                entry["language"] = item.lang
            if item.source:
                entry["_wirewatch"] = {"source": item.source}
            items.append(entry)
        feed = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "wirewatch replay",
            "home_page_url": f"{self.base_url}/",
            "feed_url": self.json_feed_url,
            "items": items,
        }
        return json.dumps(feed, ensure_ascii=False).encode("utf-8")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle on, the body waits for the
            # client's delayed ACK of the headers (40 ms per keep-alive request, measured).
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                server.requests += 1
                path = self.path.split("?")[0]
                count = server.released()
                if path == "/rss.xml":
                    self._feed(server.rss(count), "application/rss+xml; charset=utf-8", count)
                elif path == "/feed.json":
                    self._feed(server.json_feed(count), "application/feed+json; charset=utf-8", count)
                elif path == "/robots.txt":
                    self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
                elif match := re.fullmatch(r"/articles/(\d+)\.html", path):
                    self._article(int(match.group(1)), count)
                else:
                    self._send(404, b"not found\n", "text/plain")

            def _feed(self, body: bytes, ctype: str, count: int) -> None:
                etag = f'"{count}-{_digest(body.decode("utf-8"))}"'
                if etag in (self.headers.get("If-None-Match") or ""):
                    self._send(304, b"", ctype, {"ETag": etag})
                else:
                    self._send(200, body, ctype, {"ETag": etag})

            def _article(self, number: int, count: int) -> None:
                if number >= count:
                    self._send(404, b"not released\n", "text/plain")
                    return
                item = server.items[number]
                if item.saved_page is None:
                    page = render_article(item, number, server.base_url, server.published_at(number))
                    self._send(200, page.encode("utf-8"), "text/html; charset=utf-8")
                    return
                raw, gzipped = item.saved_page, item.saved_gzip
                if gzipped and "gzip" in (self.headers.get("Accept-Encoding") or ""):
                    self._send(200, raw, "text/html", {"Content-Encoding": "gzip"})
                else:
                    self._send(200, gzip.decompress(raw) if gzipped else raw, "text/html")

            def _send(
                self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for key, value in (extra or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

        return Handler


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def parse_rate(value: str) -> float:
    """``"5/s"``, ``"5"`` or ``"30/m"`` -> items per second."""
    text = value.strip().lower()
    per = 1.0
    if text.endswith("/s"):
        text = text[:-2]
    elif text.endswith("/m"):
        text, per = text[:-2], 60.0
    rate = float(text) / per
    if rate <= 0:
        raise ValueError("rate must be positive")
    return rate
