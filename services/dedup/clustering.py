"""``wirewatch cluster``'s engine run: JSONL records in, one decision per article out, all in memory.

Records are ``{id, text, title?, url?, lang?, published_at?, source?}`` (the ``wirewatch tag``
format) with optional precomputed ``matches``/``entities``/``facts``; without them the articles are
tagged by the extractor's engine. The same ``DedupEngine`` as the service runs on a ``MemoryStore``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from pydantic import TypeAdapter

from shared.ids import short_hash
from shared.messages import ArticleTagged, Entity, Fact, WatchlistMatch, utc_now
from shared.textnorm import content_sha256

from .engine import DedupEngine, RulesFor, WatchlistRules, default_rules
from .settings import DedupConfig
from .store import MemoryStore

_MATCHES = TypeAdapter(list[WatchlistMatch])
_ENTITIES = TypeAdapter(list[Entity])
_FACTS = TypeAdapter(list[Fact])


@dataclass(frozen=True)
class Tags:
    """What the tagger says about one article."""

    lang: str
    matches: list[WatchlistMatch]
    entities: list[Entity]
    facts: list[Fact]


class TagFunction(Protocol):
    """Tags one article (the extractor's ``Tagger.tag`` has this shape)."""

    def __call__(self, *, title: str, text: str, lang: str | None = None) -> Any: ...


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def sort_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Order by published_at when every record has one (stable: file order breaks ties)."""
    if records and all(r.get("published_at") for r in records):
        return sorted(
            records, key=lambda r: _parse_time(r["published_at"]) or datetime.min.replace(tzinfo=UTC)
        )
    return records


def to_article(record: dict[str, Any], tag: TagFunction | None) -> ArticleTagged:
    """A cluster input record as the ArticleTagged message the service would receive."""
    rid = str(record["id"])
    title, text = str(record.get("title") or ""), str(record.get("text") or "")
    if "matches" in record:
        tags = Tags(
            lang=str(record.get("lang") or "und"),
            matches=_MATCHES.validate_python(record["matches"]),
            entities=_ENTITIES.validate_python(record.get("entities", [])),
            facts=_FACTS.validate_python(record.get("facts", [])),
        )
    elif tag is not None:
        result = tag(title=title, text=text, lang=record.get("lang"))
        tags = Tags(result.lang, list(result.matches), list(result.entities), list(result.facts))
    else:
        tags = Tags(str(record.get("lang") or "und"), [], [], [])
    published = _parse_time(record.get("published_at"))
    url = str(record.get("url") or f"urn:wirewatch:article:{rid}")
    return ArticleTagged(
        trace=short_hash(rid, length=32),
        article_id=short_hash(rid, length=32),
        url=url,
        canonical_url=url,
        feed_id="cli",
        source=str(record.get("source") or "unknown"),
        title=title,
        text=text,
        lang=str(record.get("lang") or tags.lang or "und"),
        published_at=published,
        fetched_at=published or utc_now(),
        content_sha256=content_sha256(text),
        matches=tags.matches,
        entities=tags.entities,
        facts=tags.facts,
    )


def load_tag_function(watchlist_dir: Path) -> TagFunction:
    """The extractor's tagger (imported lazily: the CLI must work without the service running)."""
    from services.extractor.tagging import load_tagger

    tagger = load_tagger(watchlist_dir)
    tag: TagFunction = tagger.tag
    return tag


def load_rules(watchlist_dir: Path) -> RulesFor:
    """Story and development rules per watchlist from ``config/watchlists`` (defaults when absent)."""
    from shared.watchlists import load_watchlists

    if not watchlist_dir.is_dir():
        return default_rules
    watchlists = load_watchlists(watchlist_dir)
    rules = {name: WatchlistRules(w.story, w.developments) for name, w in watchlists.items()}
    return lambda name: rules.get(name) or default_rules(name)


async def cluster(
    records: Iterable[dict[str, Any]],
    *,
    config: DedupConfig,
    rules_for: RulesFor = default_rules,
    tag: TagFunction | None = None,
    on_article: Callable[[ArticleTagged], None] | None = None,
) -> list[dict[str, Any]]:
    """Run the engine over the records; one output line per article, in processing order."""
    engine = DedupEngine(MemoryStore(config.band_cap), config, rules_for)
    ids: dict[str, str] = {}
    out: list[dict[str, Any]] = []
    for record in sort_records(list(records)):
        article = to_article(record, tag)
        if on_article is not None:
            on_article(article)
        ids[article.article_id] = str(record["id"])
        result = await engine.process(article)
        line: dict[str, Any] = {
            "id": str(record["id"]),
            "near_dup_group": ids.get(result.group, result.group),
            "story_id": None,
            "event_kind": None,
        }
        if result.events:
            first = result.events[0]
            payload = json.loads(first.payload)
            line.update(story_id=first.story_id, event_kind=first.kind, watchlist=first.watchlist)
            if first.kind == "development":
                line["what_changed"] = [c["summary"] for c in payload["story"]["what_changed"]]
        out.append(line)
    return out
