"""OPML import: the outline list that feed readers export, turned into feeds.yaml entries."""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET

from pydantic import ValidationError

from services.fetcher.feeds_config import FeedConfig, FeedsConfig
from shared.errors import ConfigError


def slugify(text: str, fallback: str = "feed") -> str:
    """A feed id from a title: ascii, lower case, dashes; at most 48 characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:48].strip("-")
    return slug or fallback


def feeds_from_opml(data: bytes, origin: str, existing: FeedsConfig | None = None) -> FeedsConfig:
    """Feeds from OPML ``<outline xmlUrl=...>`` elements, appended to ``existing`` (same URL skipped)."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ConfigError(f"{origin}: not valid OPML/XML: {exc}") from exc
    feeds = list(existing.feeds if existing else ())
    ids = {f.id for f in feeds}
    urls = {f.url for f in feeds}
    for number, outline in enumerate(root.iter("outline"), start=1):
        url = outline.get("xmlUrl") or outline.get("xmlurl")
        if not url or url in urls:
            continue
        title = outline.get("title") or outline.get("text") or ""
        base = slugify(title, fallback=f"feed-{number}")
        feed_id, n = base, 2
        while feed_id in ids:
            feed_id, n = f"{base}-{n}", n + 1
        kind = "atom" if (outline.get("type") or "").lower() == "atom" else "rss"
        lang = (outline.get("language") or "").split("-")[0].lower() or None
        try:
            feed = FeedConfig(id=feed_id, url=url, kind=kind, source=title or None, language=lang)
        except ValidationError as exc:
            raise ConfigError(f"{origin}: outline #{number} ({title!r}): {exc.errors()[0]['msg']}") from exc
        feeds.append(feed)
        ids.add(feed_id)
        urls.add(url)
    return FeedsConfig(feeds=tuple(feeds))
