"""Canonical URLs, article ids and text normalisation."""

from __future__ import annotations

import re
import unicodedata

import pytest

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


def _definition(text: str) -> str:
    """What ``normalise`` means: NFKC, casefold, every P*/S*/C* character a space, whitespace
    collapsed (written per character; ``normalise`` uses a lookup table)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    spaced = "".join(" " if unicodedata.category(ch)[0] in "PSC" else ch for ch in folded)
    return re.sub(r"\s+", " ", spaced).strip()


@pytest.mark.parametrize(
    "text",
    [
        "Seoul said on Friday that about 1,500 North Korean troops had arrived in Vladivostok.",
        "국정원은 18일 북한군 1500명이 러시아 블라디보스토크에 도착했다고 밝혔다.",
        "韩国国家情报院18日称，约1500名朝鲜士兵已抵达俄罗斯符拉迪沃斯托克。",
        "北朝鮮兵約1500人がウラジオストクに到着したと、韓国の国家情報院が18日発表した。",
        "Ünïcode — «quotes», ½ ﬁ\u200b tab\tand\x00nul",
        "It’s “quoted”\u2028next\u00a0line\x1fend \ud800 lone \U0001f600 emoji \U00020000 ext-B",
        "plain ASCII, only: (punctuation) & symbols + $5",
        "",
        " \n\t ",
    ],
)
def test_normalise_equals_its_per_character_definition(text: str) -> None:
    assert normalise(text) == _definition(text)


def test_normalise_equals_its_definition_on_every_code_point() -> None:
    for start in range(0, 0x110000, 4096):  # all of Unicode (surrogates too), in blocks
        block = "Word " + "".join(chr(c) for c in range(start, min(start + 4096, 0x110000))) + " end."
        assert normalise(block) == _definition(block)
