"""Feed parsing from bytes: RSS, Atom, JSON Feed, html-index, malformed and mis-encoded feeds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.fetcher.charset import decode_body
from services.fetcher.feed_parse import FeedParseError, html_to_text, parse_feed

DATA = Path(__file__).resolve().parents[2] / "data" / "fetcher"


def test_rss_multilang() -> None:
    parsed = parse_feed("rss", (DATA / "rss_multilang.xml").read_bytes(), "https://wire.example.org/rss.xml")
    assert parsed.problem is None and parsed.title == "Harbour Desk Wire"
    first, ko, ru, de = parsed.entries
    assert first.entry_id == "hdw-0001"
    assert first.summary == "The northern pier reopened on Monday after six weeks of repairs."
    assert first.published_at == datetime(2026, 11, 1, 23, 15, tzinfo=UTC)
    assert first.authors == ("Mina Park",)
    assert first.source == "Harbour Desk"
    assert ko.title.startswith("항만청") and ru.summary.startswith("Северный")
    assert de.link == "https://wire.example.org/de/nachrichten/nordpier"


def test_atom_prefers_content_and_falls_back_to_updated() -> None:
    parsed = parse_feed("atom", (DATA / "atom_fr.xml").read_bytes(), "https://ports.example.fr/atom.xml")
    one, two = parsed.entries
    assert one.authors == ("Claire Dubois", "Youssef Benali")
    assert "hausse des salaires" in one.summary
    assert two.published_at == datetime(2026, 11, 2, 16, 20, tzinfo=UTC)
    assert parsed.lang == "fr"


def test_malformed_xml_yields_what_it_can() -> None:
    parsed = parse_feed("rss", (DATA / "malformed.xml").read_bytes(), "https://cronica.example.es/rss")
    assert parsed.problem is not None
    # <guid> without isPermaLink="false" is a permalink, so feedparser resolves it against the base.
    assert [e.entry_id.rsplit("/", 1)[1] for e in parsed.entries][:2] == ["cp-101", "cp-102"]
    assert "Valencia" in parsed.entries[0].title


def test_garbage_is_a_parse_error() -> None:
    with pytest.raises(FeedParseError):
        parse_feed("rss", b"\x00\x01 this is not a feed at all <<<", "https://x.example/rss")


def test_json_feed() -> None:
    parsed = parse_feed("json", (DATA / "feed.json").read_bytes(), "https://kowan.example.jp/feed.json")
    assert [e.entry_id for e in parsed.entries] == ["kn-7", "kn-8"]
    seven, eight = parsed.entries
    assert seven.summary.startswith("横浜港の南本牧ふ頭で") and seven.authors == ("佐藤 花子",)
    assert seven.published_at == datetime(2026, 11, 4, 0, 30, tzinfo=UTC)
    assert seven.lang == "ja" and eight.lang == "es"


def test_json_feed_garbage() -> None:
    with pytest.raises(FeedParseError, match="not valid JSON"):
        parse_feed("json", b"{nope", "https://x/feed.json")
    with pytest.raises(FeedParseError, match="no 'items'"):
        parse_feed("json", b'{"title": "x"}', "https://x/feed.json")


def test_html_index_links() -> None:
    parsed = parse_feed("html-index", (DATA / "index.html").read_bytes(), "https://porti.example.it/")
    assert [e.link.rsplit("/", 1)[1] for e in parsed.entries] == [
        "genova-nuova-diga",
        "trieste-traffico-record",
        "napoli-crociere",
    ]
    only_trieste = parse_feed(
        "html-index", (DATA / "index.html").read_bytes(), "https://porti.example.it/", link_pattern="trieste"
    )
    assert len(only_trieste.entries) == 1


def test_feed_with_invalid_utf8_bytes() -> None:
    # Inline fixture: an English RSS feed that declares UTF-8 and has two stray bytes (0xff, 0xfe)
    # in one title. Expect: both entries parsed, the bad bytes become U+FFFD, nothing else lost.
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Stray bytes</title>'
        b"<item><title>Cargo \xff\xfe volumes rise</title><link>https://s.example/1</link></item>"
        b"<item><title>Caf\xc3\xa9 opens at the ferry terminal</title><link>https://s.example/2</link></item>"
        b"</channel></rss>"
    )
    parsed = parse_feed("rss", body, "https://s.example/rss")
    assert [e.title for e in parsed.entries] == [
        "Cargo \ufffd\ufffd volumes rise",
        "Café opens at the ferry terminal",
    ]


def test_feed_with_wrong_declared_charset() -> None:
    # Inline fixture: a Russian RSS feed encoded in windows-1251 that declares UTF-8 (a common
    # misconfiguration). Expect: the text is detected as cp1251 and read correctly.
    title = "Северный причал снова открыт после ремонта"
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Порт</title>'
        f"<item><title>{title}</title><link>https://p.example/1</link>"
        "<description>Работы на причале продолжались шесть недель, сообщила администрация.</description>"
        "</item></channel></rss>"
    ).encode("cp1251")
    parsed = parse_feed("rss", body, "https://p.example/rss")
    assert parsed.entries[0].title == title


def test_decode_body_prefers_valid_utf8_over_wrong_declaration() -> None:
    text = "Gdańsk: żurawie w porcie"
    decoded, encoding = decode_body(text.encode("utf-8"), "text/html; charset=iso-8859-1")
    assert (decoded, encoding) == (text, "utf-8")
    korean = "부산항 물동량 증가".encode("euc-kr")
    assert decode_body(korean, "text/html; charset=euc-kr")[0] == "부산항 물동량 증가"
    assert decode_body(b"\xef\xbb\xbfBOM text")[0] == "BOM text"


def test_html_to_text() -> None:
    assert html_to_text("<p>One</p><p>Two &amp; three</p>") == "One\n\nTwo & three"
    assert html_to_text("plain") == "plain"
