"""Canonical URLs, article ids and text normalisation."""

from __future__ import annotations

from shared.ids import article_id, canonical_url
from shared.textnorm import clean_control_chars, content_sha256, normalise


def test_tracking_parameters_and_fragment_are_removed() -> None:
    url = "HTTPS://Example.test:443/a/b?utm_source=rss&id=7&fbclid=x&gclid=y#top"
    assert canonical_url(url) == "https://example.test/a/b?id=7"


def test_query_order_does_not_matter() -> None:
    assert canonical_url("http://x.test/p?b=2&a=1") == canonical_url("http://x.test/p?a=1&b=2")


def test_non_default_port_is_kept() -> None:
    assert canonical_url("http://127.0.0.1:8765/articles/1.html") == "http://127.0.0.1:8765/articles/1.html"


def test_article_id_is_32_hex_and_stable() -> None:
    a = article_id("https://example.test/a")
    assert len(a) == 32 and int(a, 16) >= 0
    assert a == article_id("https://example.test/a") != article_id("https://example.test/b")


def test_normalise_keeps_every_script() -> None:
    assert normalise("  북한군이,  러시아에!! ") == "북한군이 러시아에"
    assert normalise("朝鲜士兵——抵达俄罗斯。") == "朝鲜士兵 抵达俄罗斯"
    assert normalise("Курской ОБЛАСТИ") == "курской области"


def test_content_hash_ignores_layout_only() -> None:
    assert content_sha256("Seoul, Oct. 18 —  troops\n\narrive.") == content_sha256(
        "seoul oct 18 troops arrive"
    )
    assert content_sha256("troops arrive") != content_sha256("troops leave")


def test_control_characters_are_dropped() -> None:
    assert clean_control_chars("a\x00b\x1bc\nd\te\ud800") == "abc\nd\te"
