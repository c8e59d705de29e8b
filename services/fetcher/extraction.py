"""Main-text extraction of an article page. Runs in a worker process (CPU-bound), so everything here
is a plain function of picklable values: bytes in, an ``ExtractedPage`` out.

The page is parsed once; cheap metadata (rel=canonical, title, publish time, authors, site name)
is read in one walk of the tree (``page_metadata``), then trafilatura extracts the main text from the
same tree. Language detection and the content hash run here too, off the event loop.
"""

from __future__ import annotations

import functools
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin

from services.fetcher.charset import decode_body
from services.fetcher.html_parser import use_fast_html_parser
from services.fetcher.page_metadata import page_metadata
from shared.language import detect_language
from shared.textnorm import clean_control_chars, content_sha256

_MIN_TEXT_CHARS = 40
# Language id reads the title and the start of the text: 500 characters gave the same language
# as 1,000 for all 650 texts tried (the 181 benchmark pages and every article of the repo's eval,
# scenario and demo sets, in 12 languages) at 0.34 instead of 0.66 ms.
_LANG_SAMPLE_CHARS = 500
# Characters clean_control_chars drops (Cc, Cs, Co, U+FFFE) other than newline and tab: most pages
# have none, and the regex scan is far cheaper than the per-character cleaner.
_UNCLEAN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff\ufffe\U000f0000-\U0010ffff]")


@functools.cache
def _fast_parser_once() -> bool:
    return use_fast_html_parser()


def _clean(text: str) -> str:
    return clean_control_chars(text) if _UNCLEAN.search(text) else text


@dataclass(frozen=True)
class PageInput:
    """What a worker needs: the page bytes and how to read them."""

    url: str
    body: bytes
    content_type: str | None = None
    lang_hint: str | None = None
    max_text_chars: int = 200_000
    fast: bool = False


@dataclass(frozen=True)
class ExtractedPage:
    """The article found on a page (``text`` empty when the page has no main text)."""

    text: str
    title: str = ""
    published_at: datetime | None = None
    authors: list[str] = field(default_factory=list)
    canonical_url: str | None = None
    site_name: str | None = None
    lang: str = "und"
    content_sha256: str = ""
    seconds: float = 0.0
    truncated: bool = False


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    if len(text) == 10:
        text += "T00:00:00+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def extract_page(page: PageInput) -> ExtractedPage:
    """Decode, parse, read metadata and extract the main text of one page."""
    import trafilatura
    from trafilatura.utils import load_html

    _fast_parser_once()
    started = time.perf_counter()
    html, _ = decode_body(page.body, page.content_type)
    tree = load_html(html)
    if tree is None:
        return ExtractedPage(text="", seconds=time.perf_counter() - started)
    meta = page_metadata(tree)
    title, canonical, site = meta.title, meta.canonical, meta.site
    published = _parse_time(meta.published)
    text = trafilatura.extract(
        tree,
        url=page.url,
        include_comments=False,
        include_tables=True,
        fast=page.fast,
        deduplicate=False,
    )
    text = _clean(text or "").strip()
    title = _clean(title or "").strip()
    first_line, _, rest = text.partition("\n")
    if title and rest and first_line.strip().casefold() == title.casefold():
        text = rest.strip()  # trafilatura keeps the <h1>; the title travels in its own field
    truncated = len(text) > page.max_text_chars
    if truncated:
        text = text[: page.max_text_chars]
    if len(text) < _MIN_TEXT_CHARS:
        text = ""
    lang = (
        detect_language(f"{title}\n{text}", page.lang_hint, _LANG_SAMPLE_CHARS)
        if text
        else (page.lang_hint or "und")
    )
    return ExtractedPage(
        text=text,
        title=title,
        published_at=published,
        authors=meta.authors,
        canonical_url=urljoin(page.url, canonical) if canonical else None,
        site_name=_clean(site).strip() if site else None,
        lang=lang,
        content_sha256=content_sha256(text) if text else "",
        seconds=time.perf_counter() - started,
        truncated=truncated,
    )


def warm_up() -> bool:
    """Import the heavy modules in a fresh worker so the first real page is not slow."""
    body = b"<html><body><article><p>warm</p></article></body></html>"
    extract_page(PageInput(url="http://warm.up/", body=body))
    detect_language("warm up the language model", None)
    return True
