"""The replay server over real sockets: feeds, ETag/304, release rate, article pages, saved pages."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

from services.fetcher.feed_parse import parse_feed
from services.fetcher.replay import ReplayItem, ReplayServer, load_html_dir


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    try:
        with urlopen(Request(url, headers=headers or {}), timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except HTTPError as err:
        return err.code, dict(err.headers), b""


ITEMS = [
    ReplayItem(title=f"Ferry timetable change {n}", summary=f"Change {n}.", text=f"Ferry line {n} changes.")
    for n in range(5)
]


def test_rss_json_feed_and_etag() -> None:
    with ReplayServer(ITEMS) as server:
        status, headers, body = get(server.rss_url)
        assert status == 200
        parsed = parse_feed("rss", body, server.rss_url)
        assert parsed.entries[0].title == "Ferry timetable change 4"  # newest first
        assert len(parsed.entries) == 5
        assert get(server.rss_url, {"If-None-Match": headers["ETag"]})[0] == 304
        feed = json.loads(get(server.json_feed_url)[2])
        assert feed["version"].endswith("1.1") and len(feed["items"]) == 5
        status, _, page = get(f"{server.base_url}/articles/2.html")
        assert status == 200 and b"<article>" in page and b'rel="canonical"' in page
        assert get(f"{server.base_url}/articles/9.html")[0] == 404


def test_rate_releases_items_over_time() -> None:
    with ReplayServer(ITEMS, rate=4.0) as server:
        first = parse_feed("rss", get(server.rss_url)[2], server.rss_url)
        assert len(first.entries) == 1
        assert get(f"{server.base_url}/articles/3.html")[0] == 404  # not released yet
        time.sleep(0.8)
        later = parse_feed("rss", get(server.rss_url)[2], server.rss_url)
        assert 3 <= len(later.entries) <= 5


def test_saved_pages_are_served_gzipped(tmp_path: Path) -> None:
    # Inline fixture: one saved page (Dutch), gzipped as in the extraction benchmark folder.
    html = "<html><head><title>Rotterdam  haven</title></head><body><p>Overslag stijgt.</p></body></html>"
    (tmp_path / "a.html.gz").write_bytes(gzip.compress(html.encode()))
    items = load_html_dir(tmp_path)
    assert items[0].title == "Rotterdam haven"
    with ReplayServer(items) as server:
        status, headers, body = get(f"{server.base_url}/articles/0.html", {"Accept-Encoding": "gzip"})
        assert status == 200 and headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(body).decode() == html
        assert get(f"{server.base_url}/articles/0.html")[2].decode() == html


@pytest.mark.parametrize("path", ["/nope", "/articles/x.html"])
def test_unknown_paths_are_404(path: str) -> None:
    with ReplayServer(ITEMS) as server:
        assert get(server.base_url + path)[0] == 404
