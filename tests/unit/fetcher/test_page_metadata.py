"""``page_metadata`` reads what one XPath query per rule would: compared on random pages built from
the pieces the rules look at (and decoys they must skip), and on a few hand-written ones."""

from __future__ import annotations

import random
from typing import Any

from trafilatura.utils import load_html

from services.fetcher.page_metadata import page_metadata


def _first(tree: Any, *xpaths: str) -> str | None:
    for xpath in xpaths:
        for value in tree.xpath(xpath):
            text = str(value).strip()
            if text:
                return text
    return None


def _reference(tree: Any) -> tuple[Any, ...]:
    """The rules written as one XPath query each (the fetcher's code before page_metadata)."""
    authors: list[str] = []
    for value in tree.xpath(
        '//meta[@name="author" or @property="article:author" or @name="byl"]/@content'
        '|//*[@rel="author"]/text()'
    ):
        for part in str(value).replace(" and ", ";").split(";"):
            name = part.strip().removeprefix("By ").removeprefix("by ").strip()
            if name and not name.startswith("http") and name not in authors and len(name) < 100:
                authors.append(name)
    return (
        _first(tree, '//link[@rel="canonical"]/@href', '//meta[@property="og:url"]/@content'),
        _first(
            tree,
            '//meta[@property="og:title"]/@content',
            '//meta[@name="twitter:title"]/@content',
            "//h1//text()",
            "//title/text()",
        ),
        _first(
            tree,
            '//meta[@property="article:published_time"]/@content',
            '//meta[@itemprop="datePublished"]/@content',
            '//meta[@name="date" or @name="pubdate" or @name="publishdate"]/@content',
            "//article//time/@datetime",
            "//time/@datetime",
        ),
        _first(
            tree, '//meta[@property="og:site_name"]/@content', '//meta[@name="application-name"]/@content'
        ),
        authors[:10],
    )


def _ours(tree: Any) -> tuple[Any, ...]:
    meta = page_metadata(tree)
    return meta.canonical, meta.title, meta.published, meta.site, meta.authors


HEAD_PIECES = [
    '<meta property="og:title" content="{v}">',
    '<meta property="og:title" content="  ">',
    '<meta name="twitter:title" content="{v}">',
    '<meta property="og:url" content="https://example.test/{v}">',
    '<link rel="canonical" href="https://example.test/c/{v}">',
    '<link rel="canonical" href="">',
    '<link rel="stylesheet" href="/s.css">',
    '<meta property="article:published_time" content="2024-10-2{d}T08:00:00Z">',
    '<meta itemprop="datePublished" content="2024-09-1{d}">',
    '<meta name="date" content="2024-08-0{d}">',
    '<meta name="pubdate" content="">',
    '<meta property="og:site_name" content="{v} Daily">',
    '<meta name="application-name" content="{v} App">',
    '<meta name="author" content="By {v} and Ana Lim">',
    '<meta property="article:author" content="https://example.test/authors/{v}">',
    '<meta name="byl" content="{v}; Budi Santoso">',
    '<meta name="description" content="{v}">',
    "<title>{v} | Site</title>",
    "<title> </title>",
]
BODY_PIECES = [
    "<h1>{v}</h1>",
    "<h1>  <span>{v}</span> tail</h1>",
    "<h1> </h1>",
    '<a rel="author" href="/a">{v}</a>',
    '<a rel="author" href="/b"><img src="x.png"> {v} <b>bold</b> after</a>',
    '<a rel="nofollow" href="/c">{v}</a>',
    '<link rel="author" href="/d">',
    '<time datetime="2024-07-0{d}">July</time>',
    '<article><p>{v}</p><time datetime="2024-06-0{d}">June</time></article>',
    '<article><div><time datetime="">none</time></div></article>',
    "<p>{v} paragraph</p>",
    '<meta name="author" content="{v} in body">',
    "<svg><title>{v} icon</title></svg>",
]
NAMES = ["Kim Soo-jin", "Ivan Petrov", "Siti Rahma", "Marie Dubois", "渡辺 健", "  ", "Lee and Park"]


def random_page(rng: random.Random) -> str:
    def piece(template: str) -> str:
        return template.format(v=rng.choice(NAMES), d=rng.randint(1, 9))

    head = "".join(piece(rng.choice(HEAD_PIECES)) for _ in range(rng.randint(0, 8)))
    body = "".join(piece(rng.choice(BODY_PIECES)) for _ in range(rng.randint(0, 10)))
    return f"<html><head>{head}</head><body><div>{body}</div></body></html>"


def test_random_pages_give_what_one_xpath_per_rule_gives() -> None:
    rng = random.Random(20261122)
    for _ in range(800):
        html = random_page(rng)
        tree = load_html(html)
        assert _ours(tree) == _reference(tree), html


def test_a_typical_news_page() -> None:
    html = (
        '<html><head><title>Fallback title</title><meta name="twitter:title" content="Card title">'
        '<link rel="canonical" href="https://news.example.test/a/1">'
        '<meta property="og:site_name" content="Harbour Desk">'
        '<meta name="author" content="By Ana Lim and Budi Santoso"></head>'
        "<body><h1>Page heading</h1><article><time datetime='2024-10-21T09:00:00+09:00'>21 Oct</time>"
        "<p>Text.</p></article></body></html>"
    )
    meta = page_metadata(load_html(html))
    assert meta.canonical == "https://news.example.test/a/1"
    assert meta.title == "Card title"
    assert meta.published == "2024-10-21T09:00:00+09:00"
    assert meta.site == "Harbour Desk"
    assert meta.authors == ["Ana Lim", "Budi Santoso"]


def test_a_page_that_says_nothing() -> None:
    meta = page_metadata(load_html("<html><body><p>Only a paragraph.</p></body></html>"))
    assert (meta.canonical, meta.title, meta.published, meta.site) == (None, None, None, None)
    assert meta.authors == []
