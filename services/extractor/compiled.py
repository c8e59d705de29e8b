"""A watchlist compiled for tagging: one term matcher for concepts, entities and fact nouns."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from operator import itemgetter

from services.extractor.matcher import Document, Hit, TermMatcher
from shared.watchlists import TermsByLanguage, Watchlist

# (kind, name): kind is concept | concept_x | entity | entity_x | after | before | verb | object;
# the ``_x`` kinds are exclusions, the fact kinds carry the fact pattern's index as name.
Payload = tuple[str, str]
HitsByName = dict[str, list[Hit]]


def _terms(by_lang: TermsByLanguage) -> Iterator[str]:
    for terms in by_lang.values():
        yield from terms


@dataclass(frozen=True)
class DocumentHits:
    """The hits of one watchlist in one document, exclusions applied, grouped by kind and name."""

    concepts: HitsByName
    entities: HitsByName
    fact_after: HitsByName
    fact_before: HitsByName
    fact_verbs: HitsByName
    fact_objects: HitsByName


def _overlaps(hit: Hit, blockers: list[Hit]) -> bool:
    return any(b.start < hit.end and hit.start < b.end for b in blockers)


def _dedupe(hits: list[Hit]) -> list[Hit]:
    """One hit per start position (the longest); ``hits`` is sorted by (start, end).

    A dict keyed by start keeps the first position of a key and the last value: the longest hit
    of each start, in order of position. Most lists have no shared start and are kept as they are.
    """
    if len(hits) < 2:
        return hits
    starts = list(map(_start, hits))
    if len(set(starts)) == len(starts):
        return hits
    return list(dict(zip(starts, hits, strict=False)).values())  # equal lengths; strict is slower


_start = itemgetter(0)  # Hit.start
_KINDS = ("concept", "concept_x", "entity", "entity_x", "after", "before", "verb", "object")


class CompiledWatchlist:
    """A ``Watchlist`` plus its matcher; ``hits(doc)`` runs every term of the watchlist once."""

    def __init__(self, watchlist: Watchlist) -> None:
        self.watchlist = watchlist
        self.entity_types = {e.id: e.type for e in watchlist.entities}
        entries: list[tuple[str, Payload]] = []
        entity_by_id = {e.id: e for e in watchlist.entities}
        for entity in watchlist.entities:
            entries += [(t, ("entity", entity.id)) for t in _terms(entity.terms)]
            entries += [(t, ("entity_x", entity.id)) for t in _terms(entity.exclude)]
        for name, concept in watchlist.concepts.items():
            entries += [(t, ("concept", name)) for t in _terms(concept.terms)]
            entries += [(t, ("concept_x", name)) for t in _terms(concept.exclude)]
            for entity_id in concept.entities:
                entity = entity_by_id[entity_id]
                entries += [(t, ("concept", name)) for t in _terms(entity.terms)]
                entries += [(t, ("concept_x", name)) for t in _terms(entity.exclude)]
        for i, fact in enumerate(watchlist.facts):
            entries += [(t, ("after", str(i))) for t in _terms(fact.after)]
            entries += [(t, ("before", str(i))) for t in _terms(fact.before)]
            entries += [(t, ("verb", str(i))) for t in _terms(fact.verbs)]
            entries += [(t, ("object", str(i))) for t in _terms(fact.objects)]
        self.entries = entries
        self.matcher: TermMatcher[Payload] = TermMatcher(entries)
        self._payloads = [tuple(term.payloads) for term in self.matcher.terms]  # by term key
        self.counters: list[tuple[str, ...]] = [
            tuple(sorted({c.lower() for c in _terms(f.counters)}, key=len, reverse=True))
            for f in watchlist.facts
        ]

    def hits(self, doc: Document) -> DocumentHits:
        """Match the document and apply exclusions."""
        grouped: dict[str, HitsByName] = {k: {} for k in _KINDS}
        payloads = self._payloads
        for key, found in self.matcher.scan(doc).items():
            for kind, name in payloads[key]:
                by_name = grouped[kind]
                hits = by_name.get(name)
                if hits is None:
                    by_name[name] = found.copy()
                else:
                    hits.extend(found)
        for by_name in grouped.values():
            for hits in by_name.values():
                hits.sort()

        def kept(kind: str, exclude_kind: str) -> HitsByName:
            out: HitsByName = {}
            blocked = grouped[exclude_kind]
            for name, hits in grouped[kind].items():
                blockers = blocked.get(name)
                good = [h for h in hits if not _overlaps(h, blockers)] if blockers else hits
                if good:
                    out[name] = _dedupe(good)
            return out

        return DocumentHits(
            concepts=kept("concept", "concept_x"),
            entities=kept("entity", "entity_x"),
            fact_after={k: _dedupe(v) for k, v in grouped["after"].items()},
            fact_before={k: _dedupe(v) for k, v in grouped["before"].items()},
            fact_verbs={k: _dedupe(v) for k, v in grouped["verb"].items()},
            fact_objects={k: _dedupe(v) for k, v in grouped["object"].items()},
        )
