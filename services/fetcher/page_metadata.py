"""Article metadata from a parsed page: canonical URL, title, publish time, site name, authors.

The rules, in order of preference (the first non-empty value wins, in document order):

- canonical: ``link[rel=canonical]/@href``, then ``meta[property=og:url]/@content``;
- title: ``og:title``, ``twitter:title``, the text of the first ``h1``, then ``<title>``;
- published: ``article:published_time``, ``itemprop=datePublished``, ``meta name=date|pubdate|
  publishdate``, ``article time/@datetime``, then any ``time/@datetime``;
- site: ``og:site_name``, then ``meta name=application-name``;
- authors: ``meta name=author|byl`` / ``property=article:author`` contents and the text of
  ``rel=author`` elements, split on ";" and " and ", at most 10.

One walk of the tree (lxml filters the tags in C) collects every candidate element, and Python
picks from that short list. The same rules as one XPath ``//`` query each (a dozen walks of a tree
of thousands of elements; ``//*[@rel="author"]`` alone is 0.35 ms) cost 0.78 ms per page on the
181 benchmark pages, this 0.25 ms, with the same result on every page. A unit test checks that
both ways agree. (The one difference: ``rel=author`` counts only on the elements HTML defines
``rel`` for, not on a ``<span rel="author">``.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The elements the rules read; HTML defines ``rel`` on a, area, form and link only.
_CANDIDATE_TAGS = ("meta", "link", "h1", "title", "time", "a", "area", "form")

# meta attribute (name) and value -> the field it feeds, with its rank among that field's sources
_META: dict[tuple[str, str], tuple[str, int]] = {
    ("property", "og:url"): ("canonical", 1),
    ("property", "og:title"): ("title", 0),
    ("name", "twitter:title"): ("title", 1),
    ("property", "article:published_time"): ("published", 0),
    ("itemprop", "datePublished"): ("published", 1),
    ("name", "date"): ("published", 2),
    ("name", "pubdate"): ("published", 2),
    ("name", "publishdate"): ("published", 2),
    ("property", "og:site_name"): ("site", 0),
    ("name", "application-name"): ("site", 1),
}
_AUTHOR_META = (("name", "author"), ("property", "article:author"), ("name", "byl"))


@dataclass
class PageMetadata:
    """What the page says about itself (None / empty when it says nothing)."""

    canonical: str | None = None
    title: str | None = None
    published: str | None = None
    site: str | None = None
    authors: list[str] = field(default_factory=list)


def _direct_texts(element: Any) -> list[str]:
    """The element's own text nodes (XPath ``text()``): its text and its children's tails."""
    return [t for t in [element.text, *(child.tail for child in element)] if t is not None]


class _Picker:
    """Keeps, per field and rank, the first non-empty value seen."""

    def __init__(self) -> None:
        self.best: dict[str, dict[int, str]] = {}

    def offer(self, name: str, rank: int, value: str | None) -> None:
        if value is None:
            return
        text = value.strip()
        if text:
            self.best.setdefault(name, {}).setdefault(rank, text)

    def get(self, name: str) -> str | None:
        ranks = self.best.get(name)
        return ranks[min(ranks)] if ranks else None


def _add_authors(names: list[str], value: str) -> None:
    for part in value.replace(" and ", ";").split(";"):
        name = part.strip().removeprefix("By ").removeprefix("by ").strip()
        if name and not name.startswith("http") and name not in names and len(name) < 100:
            names.append(name)


def page_metadata(tree: Any) -> PageMetadata:
    """Read the metadata of a parsed page (an lxml HTML tree)."""
    picker, authors = _Picker(), list[str]()
    for element in tree.iter(_CANDIDATE_TAGS):
        tag, get = element.tag, element.get
        if tag == "meta":
            content = get("content")
            for attr in ("property", "name", "itemprop"):
                target = _META.get((attr, get(attr, "")))
                if target is not None:
                    picker.offer(*target, content)
            if content is not None and any(get(a) == v for a, v in _AUTHOR_META):
                _add_authors(authors, content)
        elif tag == "h1":
            for text in element.itertext():
                picker.offer("title", 2, text)
        elif tag == "title":
            for text in _direct_texts(element):
                picker.offer("title", 3, text)
        elif tag == "time":
            if next(element.iterancestors("article"), None) is not None:
                picker.offer("published", 3, get("datetime"))
            picker.offer("published", 4, get("datetime"))
        elif tag == "link" and get("rel") == "canonical":
            picker.offer("canonical", 0, get("href"))
        if get("rel") == "author":
            for text in _direct_texts(element):
                _add_authors(authors, text)
    return PageMetadata(
        canonical=picker.get("canonical"),
        title=picker.get("title"),
        published=picker.get("published"),
        site=picker.get("site"),
        authors=authors[:10],
    )
