"""Slack mrkdwn safety: escaping feed text and truncating without breaking an entity or a link.

Feed titles are untrusted. Slack turns ``<!channel>``, ``<!here>``, ``<@U123>`` and ``<url|text>``
into mentions and links, so every ``&``, ``<`` and ``>`` from a feed is escaped; only the links
this module builds itself (``link``) contain raw angle brackets.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

ELLIPSIS = "…"


def escape(text: str) -> str:
    """Escape the three control characters of Slack mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def safe_url(url: str) -> str | None:
    """An http(s) URL made safe inside ``<url|text>`` (None for any other scheme)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return (
        "".join(ch for ch in url if ch.isprintable() and not ch.isspace())
        .replace("|", "%7C")
        .replace("<", "%3C")
        .replace(">", "%3E")
    )


def link(url: str, text: str, max_text: int = 150) -> str:
    """``<url|text>`` with the text escaped and shortened; plain escaped text if the URL is unusable."""
    label = escape(truncate(text.replace("\n", " "), max_text))
    target = safe_url(url)
    return f"<{target}|{label}>" if target else label


def _boundary(text: str, cut: int) -> int:
    """Move ``cut`` left so that it does not separate a combining mark or a ZWJ sequence."""
    while cut > 0 and (unicodedata.combining(text[cut]) or text[cut] in "\u200d\ufe0f"):
        cut -= 1
    while cut > 0 and text[cut - 1] == "\u200d":
        cut -= 1
    return cut


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters; cut text ends with an ellipsis. Never splits a combining
    sequence (the mark stays with its base)."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    return text[: _boundary(text, limit - 1)].rstrip() + ELLIPSIS


def truncate_mrkdwn(text: str, limit: int) -> str:
    """Truncate already-escaped mrkdwn: never cuts inside ``&amp;``-style entities or ``<...>`` links."""
    if len(text) <= limit:
        return text
    cut = max(0, limit - 1)
    amp = text.rfind("&", max(0, cut - 6), cut)
    if amp != -1 and ";" not in text[amp:cut]:
        cut = amp
    lt = text.rfind("<", 0, cut)
    if lt != -1 and text.rfind(">", lt, cut) == -1:
        cut = lt
    return text[: _boundary(text, cut)].rstrip() + ELLIPSIS
