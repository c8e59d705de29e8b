"""Feed pollers against local servers and the real Redis (uuid prefix): every bad case keeps the
poller running, logs a clear error, counts it in a metric and loses nothing else."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import pytest

from services.fetcher.feeds_config import FeedConfig

from .conftest import ARTICLE_HTML, Handler, LocalServer, Wiring, feed_id, make_options, metric, rss

pytestmark = pytest.mark.redis

DATA = Path(__file__).resolve().parents[2] / "data" / "fetcher"


def feed(server: LocalServer, path: str = "/rss", **fields: object) -> FeedConfig:
    values: dict[str, object] = {"id": feed_id(), "url": server.url(path), "allow_private": True}
    values.update(fields)
    return FeedConfig.model_validate(values)


def article_route(server: LocalServer, path: str, title: str) -> str:
    server.static(path, ARTICLE_HTML.format(title=title))
    return server.url(path)


async def test_new_entries_published_once_and_304_is_no_work(server: LocalServer, wiring: Wiring) -> None:
    links = [article_route(server, f"/a{n}", f"Breakwater story {n}") for n in range(3)]
    body = rss([(f"g{n}", links[n], f"Breakwater story {n}") for n in range(3)])

    def serve_feed(h: Handler) -> None:
        if h.headers.get("If-None-Match") == '"e1"':
            h.send_bytes(304, b"", "application/rss+xml", {"ETag": '"e1"'})
        else:
            h.send_bytes(200, body, "application/rss+xml", {"ETag": '"e1"'})

    server.routes["/rss"] = serve_feed
    cfg = feed(server)
    poller = wiring.poller(cfg)
    await poller.poll_and_schedule()
    articles = wiring.publisher.articles
    assert len(articles) == 3 and {a.text_source for a in articles} == {"page"}
    assert all("eastern breakwater" in a.text and a.lang == "en" for a in articles)
    assert [o.key for o in wiring.publisher.outputs] == [a.article_id for a in articles]
    await poller.poll_and_schedule()
    assert poller.last_outcome is not None and poller.last_outcome.result == "not_modified"
    assert len(wiring.publisher.outputs) == 3 and server.hits["/a0"] == 1
    assert metric("wirewatch_entries_total", feed=cfg.id, state="new") == 3
    assert metric("wirewatch_fetch_total", feed=cfg.id, kind="feed", result="not_modified") == 1
    assert metric("wirewatch_feed_last_success_timestamp", feed=cfg.id) > 0


async def test_server_error_backs_off_and_other_feeds_go_on(
    server: LocalServer, wiring: Wiring, caplog: pytest.LogCaptureFixture
) -> None:
    server.routes["/broken"] = lambda h: h.send_bytes(500, b"oops", "text/plain")
    good_link = article_route(server, "/good", "Good feed story")
    server.static("/rss", rss([("g1", good_link, "Good feed story")]), "application/rss+xml")
    broken, good = feed(server, "/broken"), feed(server)
    bad_poller = wiring.poller(broken)
    with caplog.at_level(logging.ERROR):
        first = await bad_poller.poll_and_schedule()
        second = await bad_poller.poll_and_schedule()
        third = await bad_poller.poll_and_schedule()
    assert 15 <= first <= 30 and 30 <= second <= 60 and 60 <= third <= 120
    assert "feed poll failed (http_error): HTTP 500" in caplog.text
    assert (await wiring.store.feed_state(broken.id)).error_streak == 3
    assert metric("wirewatch_fetch_total", feed=broken.id, kind="feed", result="http_error") == 3
    assert metric("wirewatch_feed_error_streak", feed=broken.id) == 3
    await wiring.poller(good).poll_and_schedule()
    assert len(wiring.publisher.articles) == 1
    # Recovery resets the streak.
    server.static("/broken", rss([]), "application/rss+xml")
    await bad_poller.poll_and_schedule()
    assert (await wiring.store.feed_state(broken.id)).error_streak == 0


async def test_429_retry_after_is_honoured(server: LocalServer, wiring: Wiring) -> None:
    server.routes["/rss"] = lambda h: h.send_bytes(429, b"slow down", "text/plain", {"Retry-After": "600"})
    cfg = feed(server, poll_interval=60)
    delay = await wiring.poller(cfg).poll_and_schedule()
    assert delay >= 600
    assert metric("wirewatch_fetch_total", feed=cfg.id, kind="feed", result="rate_limited") == 1


async def test_malformed_xml_publishes_what_can_be_read(
    server: LocalServer, wiring: Wiring, caplog: pytest.LogCaptureFixture
) -> None:
    server.static("/rss", (DATA / "malformed.xml").read_bytes(), "application/rss+xml")
    cfg = feed(server, fetch_articles=False, language="es")
    with caplog.at_level(logging.WARNING):
        await wiring.poller(cfg).poll_and_schedule()
    titles = [a.title for a in wiring.publisher.articles]
    assert any("Valencia" in t for t in titles) and any("Algeciras" in t for t in titles)
    assert all(a.lang == "es" and a.text_source == "feed" for a in wiring.publisher.articles)
    assert "feed is malformed" in caplog.text


async def test_garbage_feed_is_a_counted_parse_error(server: LocalServer, wiring: Wiring) -> None:
    server.static("/rss", b"\x00\x01\x02 definitely not a feed", "application/rss+xml")
    cfg = feed(server)
    await wiring.poller(cfg).poll_and_schedule()
    assert metric("wirewatch_fetch_total", feed=cfg.id, kind="feed", result="parse_error") == 1


async def test_invalid_utf8_and_wrong_charset_feeds(server: LocalServer, wiring: Wiring) -> None:
    # Inline fixtures: a Polish feed with stray bytes that declares UTF-8, and a Russian feed in
    # windows-1251 that declares UTF-8. Both must publish readable titles.
    server.static(
        "/pl",
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Porty</title>'
        b"<item><guid>pl1</guid><link>https://pl.example/1</link>"
        b"<title>Gda\xc5\x84sk \xff rozbudowuje nabrze\xc5\xbce</title>"
        b"<description>Nowe nabrze\xc5\xbce kontenerowe.</description></item></channel></rss>",
        "application/rss+xml; charset=utf-8",
    )
    ru_title = "Новороссийский порт увеличил перевалку"
    server.static(
        "/ru",
        (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Порты</title>'
            f"<item><guid>ru1</guid><link>https://ru.example/1</link><title>{ru_title}</title>"
            "<description>Перевалка зерна выросла на десять процентов за месяц.</description></item>"
            "</channel></rss>"
        ).encode("cp1251"),
        "application/rss+xml; charset=utf-8",
    )
    for path in ("/pl", "/ru"):
        await wiring.poller(feed(server, path, fetch_articles=False)).poll_and_schedule()
    titles = [a.title for a in wiring.publisher.articles]
    assert titles == ["Gdańsk \ufffd rozbudowuje nabrzeże", ru_title]
    assert wiring.publisher.articles[1].lang == "ru"


async def test_page_without_article_falls_back_to_feed_summary(server: LocalServer, wiring: Wiring) -> None:
    server.static("/consent", (DATA / "no_article.html").read_bytes())
    server.static(
        "/rss", rss([("c1", server.url("/consent"), "Harbour fees rise in January")]), "application/rss+xml"
    )
    cfg = feed(server)
    await wiring.poller(cfg).poll_and_schedule()
    (article,) = wiring.publisher.articles
    assert article.text_source == "feed" and article.text == "Summary of Harbour fees rise in January."
    assert metric("wirewatch_fetch_total", feed=cfg.id, kind="page", result="extract_failed") == 1
    assert metric("wirewatch_articles_published_total", feed=cfg.id, text_source="feed") == 1


async def test_bad_article_pages_fall_back_and_good_ones_are_not_lost(
    server: LocalServer, wiring: Wiring, caplog: pytest.LogCaptureFixture
) -> None:
    bomb = gzip.compress(b"<p>" + b"\0" * (100 * 1024 * 1024))
    server.static("/bomb", bomb, "text/html", **{"Content-Encoding": "gzip"})
    server.routes["/gone"] = lambda h: h.send_bytes(404, b"gone", "text/plain")
    server.routes["/loop"] = lambda h: h.send_bytes(302, b"", "text/plain", {"Location": "/loop"})
    good = article_route(server, "/fine", "Breakwater works start")
    items = [
        ("b", server.url("/bomb"), "Bomb"),
        ("g", server.url("/gone"), "Gone"),
        ("l", server.url("/loop"), "Loop"),
    ]
    server.static("/rss", rss([*items, ("f", good, "Breakwater works start")]), "application/rss+xml")
    cfg = feed(server)
    with caplog.at_level(logging.WARNING):
        await wiring.poller(cfg).poll_and_schedule()
    by_title = {a.title: a for a in wiring.publisher.articles}
    assert {t: a.text_source for t, a in by_title.items()} == {
        "Bomb": "feed",
        "Gone": "feed",
        "Loop": "feed",
        "Breakwater works start": "page",
    }
    for result in ("decompression_bomb", "http_error", "too_many_redirects"):
        assert metric("wirewatch_fetch_total", feed=cfg.id, kind="page", result=result) == 1
    assert "article page fetch failed (decompression_bomb)" in caplog.text


async def test_links_to_private_addresses_are_blocked_unless_allowed(
    server: LocalServer, wiring: Wiring
) -> None:
    local = article_route(server, "/internal", "Internal page")
    metadata = "http://169.254.169.254/latest/meta-data/iam/"
    server.static(
        "/rss", rss([("i", local, "Internal page"), ("m", metadata, "Metadata page")]), "application/rss+xml"
    )
    strict = feed(server, allow_private=False)  # the feed URL itself is trusted (operator-written)
    await wiring.poller(strict).poll_and_schedule()
    assert {a.text_source for a in wiring.publisher.articles} == {"feed"}
    assert metric("wirewatch_ssrf_blocked_total", feed=strict.id) == 2
    assert "/internal" not in server.hits

    # With allow_private the local page is fetched (the metadata link is left out: no traffic to it).
    server.static("/rss2", rss([("i2", local + "?v=2", "Internal page")]), "application/rss+xml")
    relaxed = feed(server, "/rss2", allow_private=True)
    await wiring.poller(relaxed).poll_and_schedule()
    assert wiring.publisher.articles[-1].text_source == "page"
    assert metric("wirewatch_ssrf_blocked_total", feed=relaxed.id) == 0


async def test_robots_txt_is_respected_for_article_pages(server: LocalServer, wiring: Wiring) -> None:
    server.static("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
    blocked = article_route(server, "/private/p1", "Private story")
    allowed = article_route(server, "/public/p2", "Public story")
    server.static(
        "/rss",
        rss([("p1", blocked, "Private story"), ("p2", allowed, "Public story")]),
        "application/rss+xml",
    )
    cfg = feed(server)
    await wiring.poller(cfg).poll_and_schedule()
    sources = {a.title: a.text_source for a in wiring.publisher.articles}
    assert sources == {"Private story": "feed", "Public story": "page"}
    assert metric("wirewatch_robots_blocked_total", feed=cfg.id) == 1
    assert "/private/p1" not in server.hits


async def test_same_article_in_two_feeds_is_published_once(server: LocalServer, wiring: Wiring) -> None:
    link = article_route(server, "/shared", "Shared story")
    server.static("/rss", rss([("x1", link + "?utm_source=one", "Shared story")]), "application/rss+xml")
    server.static(
        "/rss2", rss([("y1", link + "?utm_source=two&fbclid=z", "Shared story")]), "application/rss+xml"
    )
    await wiring.poller(feed(server)).poll_and_schedule()
    await wiring.poller(feed(server, "/rss2")).poll_and_schedule()
    assert len(wiring.publisher.articles) == 1


async def test_restart_does_not_republish(server: LocalServer, redis_prefix: str) -> None:
    links = [article_route(server, f"/r{n}", f"Restart story {n}") for n in range(4)]
    # No ETag: every poll gets the full feed, so only the seen markers prevent republishing.
    server.static(
        "/rss", rss([(f"r{n}", links[n], f"Restart story {n}") for n in range(4)]), "application/rss+xml"
    )
    cfg = feed(server)
    first = Wiring(redis_prefix, make_options())
    await first.poller(cfg).poll_and_schedule()
    await first.close()
    assert len(first.publisher.articles) == 4
    second = Wiring(redis_prefix, make_options())  # a new process: nothing in memory
    poller = second.poller(cfg)
    await poller.poll_and_schedule()
    await second.close()
    assert second.publisher.outputs == []
    assert poller.last_outcome is not None and poller.last_outcome.seen == 4
