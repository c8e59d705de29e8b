"""Untrusted feed fields are clipped to fit a Kafka message; UTF-8 with stray Latin-1 bytes is repaired."""

from __future__ import annotations

from services.fetcher.article_builder import MAX_AUTHORS, MAX_TITLE_CHARS, clip, clip_list
from services.fetcher.charset import decode_body


def test_titles_and_authors_are_clipped() -> None:
    title = clip("Ж" * 4_500_000, MAX_TITLE_CHARS)
    assert len(title) == MAX_TITLE_CHARS and title.endswith("…")
    assert clip("short", MAX_TITLE_CHARS) == "short"
    assert len(clip_list(["a" * 5000] * 500)) == MAX_AUTHORS


def test_utf8_with_a_few_latin1_bytes_keeps_the_utf8() -> None:
    # a UTF-8 feed (declared) where a CMS pasted one Latin-1 and one cp1252 title
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><rss><channel>'
        + "<item><title>Café in Zürich reopens</title></item>".encode()
        + "<item><title>Café closes</title></item>".encode("latin-1")
        + "<item><title>“quoted” – dash</title></item>".encode("cp1252")
        + b"</channel></rss>"
    )
    text, encoding = decode_body(body, "application/rss+xml")
    assert encoding == "utf-8"
    assert "Café in Zürich reopens" in text
    assert "Café closes" in text and "“quoted” – dash" in text
