"""Feed bytes -> entries: RSS/Atom (feedparser, from bytes), JSON Feed, and html-index pages.

A "bozo" (malformed) RSS/Atom feed still yields the entries feedparser recovered; only a feed
that yields nothing and is broken raises ``FeedParseError``.
"""

from __future__ import annotations

import io
import json
import re
from calendar import timegm
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.html
from lxml import etree

from services.fetcher.charset import decode_body
from shared.ids import canonical_url
from shared.textnorm import clean_control_chars

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


class FeedParseError(Exception):
    """The feed body could not be read as the configured kind."""

    result = "parse_error"


@dataclass(frozen=True)
class FeedEntry:
    """One entry of a feed, in plain text."""

    entry_id: str
    link: str
    title: str = ""
    summary: str = ""
    published_at: datetime | None = None
    authors: tuple[str, ...] = ()
    lang: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class ParsedFeed:
    """What a feed said: its title, its entries, and the parser's complaint if it was malformed."""

    title: str
    entries: list[FeedEntry] = field(default_factory=list)
    lang: str | None = None
    problem: str | None = None


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment, paragraphs kept as blank-line separated blocks."""
    if not html or "<" not in html:
        return clean_control_chars(html or "").strip()
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return clean_control_chars(re.sub(r"<[^>]+>", " ", html)).strip()
    for block in root.iter("p", "br", "div", "li", "h1", "h2", "h3", "h4"):
        block.tail = "\n\n" + (block.tail or "")
    text = root.text_content()
    text = _SPACES.sub(" ", text)
    return clean_control_chars(_BLANK_LINES.sub("\n\n", text)).strip()


def _struct_time_utc(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(timegm(value), UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def parse_datetime(value: object) -> datetime | None:
    """An RFC 3339 / ISO 8601 string -> aware UTC datetime (naive values are taken as UTC)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_rss_atom(body: bytes, base_url: str, content_type: str | None = None) -> ParsedFeed:
    """RSS 0.9x/1.0/2.0 or Atom via feedparser, fed re-encoded UTF-8 bytes (never a URL)."""
    text, _ = decode_body(body, content_type)
    text = _XML_DECL.sub('<?xml version="1.0" encoding="utf-8"?>', text, count=1)
    parsed = feedparser.parse(
        io.BytesIO(text.encode("utf-8")),
        response_headers={"content-type": "application/xml; charset=utf-8", "content-location": base_url},
        resolve_relative_uris=True,
        sanitize_html=True,
    )
    problem = None
    if parsed.get("bozo"):
        problem = f"{type(parsed.get('bozo_exception')).__name__}: {parsed.get('bozo_exception')}"
    feed_info = parsed.get("feed", {})
    entries: list[FeedEntry] = []
    for item in parsed.get("entries", []):
        link = item.get("link") or ""
        if not link:
            links = [x.get("href") for x in item.get("links", []) if x.get("href")]
            link = links[0] if links else ""
        if not link:
            continue
        link = urljoin(base_url, link.strip())
        summary_html = item.get("summary") or ""
        contents = item.get("content") or []
        if contents and len(contents[0].get("value", "")) > len(summary_html):
            summary_html = contents[0].get("value", "")
        authors = tuple(a.get("name", "").strip() for a in item.get("authors", []) if a.get("name"))
        if not authors and item.get("author"):
            authors = (str(item.get("author")).strip(),)
        entries.append(
            FeedEntry(
                entry_id=str(item.get("id") or link).strip(),
                link=link,
                title=html_to_text(item.get("title", "")),
                summary=html_to_text(summary_html),
                published_at=_struct_time_utc(item.get("published_parsed") or item.get("updated_parsed")),
                authors=authors,
                lang=_lang_code(item.get("language") or feed_info.get("language")),
                source=(item.get("source") or {}).get("title") or None,
            )
        )
    if not entries and problem and not feed_info.get("title"):
        raise FeedParseError(f"not a readable RSS/Atom feed: {problem}")
    return ParsedFeed(
        title=html_to_text(feed_info.get("title", "")),
        entries=entries,
        lang=_lang_code(feed_info.get("language")),
        problem=problem,
    )


def _lang_code(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None


def _json_source(item: dict[str, Any]) -> str | None:
    """The outlet of an item: the ``_wirewatch.source`` extension (replay server) if present."""
    extension = item.get("_wirewatch")
    if isinstance(extension, dict) and isinstance(extension.get("source"), str):
        return str(extension["source"]) or None
    return None


def parse_json_feed(body: bytes, base_url: str, content_type: str | None = None) -> ParsedFeed:
    """JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1)."""
    text, _ = decode_body(body, content_type)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FeedParseError(f"not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise FeedParseError("not a JSON Feed: no 'items' list")
    entries: list[FeedEntry] = []
    for item in data["items"]:
        if not isinstance(item, dict):
            continue
        link = item.get("url") or item.get("external_url") or ""
        if not isinstance(link, str) or not link:
            continue
        link = urljoin(base_url, link)
        summary = item.get("content_text") or html_to_text(str(item.get("content_html") or ""))
        summary = summary or str(item.get("summary") or "")
        single = item.get("author")
        raw_authors = item.get("authors") or ([single] if isinstance(single, dict) else [])
        authors = tuple(str(a["name"]).strip() for a in raw_authors if isinstance(a, dict) and a.get("name"))
        entries.append(
            FeedEntry(
                entry_id=str(item.get("id") or link),
                link=link,
                title=html_to_text(str(item.get("title") or "")),
                summary=clean_control_chars(str(summary)).strip(),
                published_at=parse_datetime(item.get("date_published") or item.get("date_modified")),
                authors=authors,
                lang=_lang_code(item.get("language") or data.get("language")),
                source=_json_source(item),
            )
        )
    lang = _lang_code(data.get("language"))
    return ParsedFeed(title=str(data.get("title") or ""), entries=entries, lang=lang)


def parse_html_index(
    body: bytes, base_url: str, content_type: str | None = None, link_pattern: str | None = None
) -> ParsedFeed:
    """Article links of an index page: same site, not the index itself, anchor text of a headline.

    With ``link_pattern`` only links matching that regex count (any site).
    """
    text, _ = decode_body(body, content_type)
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise FeedParseError(f"not readable HTML: {exc}") from exc
    root.make_links_absolute(base_url, resolve_base_href=True)
    index_host = urlsplit(base_url).hostname
    index_canonical = canonical_url(base_url)
    pattern = re.compile(link_pattern) if link_pattern else None
    seen: set[str] = set()
    entries: list[FeedEntry] = []
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        parts = urlsplit(href)
        if parts.scheme not in ("http", "https"):
            continue
        title = _SPACES.sub(" ", anchor.text_content()).strip()
        if pattern is not None:
            if not pattern.search(href):
                continue
        elif parts.hostname != index_host or len(title) < 15 or parts.path in ("", "/"):
            continue
        canonical = canonical_url(href)
        if canonical in seen or canonical == index_canonical:
            continue
        seen.add(canonical)
        entries.append(FeedEntry(entry_id=canonical, link=href, title=clean_control_chars(title)))
    title_el = root.find(".//title")
    title = _SPACES.sub(" ", title_el.text_content()).strip() if title_el is not None else ""
    return ParsedFeed(title=title, entries=entries, lang=_lang_code(root.get("lang")))


def parse_feed(
    kind: str, body: bytes, base_url: str, content_type: str | None = None, link_pattern: str | None = None
) -> ParsedFeed:
    """Dispatch on the configured kind (``rss`` and ``atom`` share feedparser)."""
    if kind == "json":
        return parse_json_feed(body, base_url, content_type)
    if kind == "html-index":
        return parse_html_index(body, base_url, content_type, link_pattern)
    return parse_rss_atom(body, base_url, content_type)
