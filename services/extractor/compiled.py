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
    start, end, _ = hit
    return any(b[0] < end and start < b[1] for b in blockers)


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


_start = itemgetter(0)  # a hit's start
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
        """Match the document and apply exclusions.

        A term's own hits are in order of position with distinct starts (one automaton head
        match, or one regex start, per hit), so only a list merged from several terms needs
        sorting and then one hit per start.
        """
        grouped: dict[str, HitsByName] = {k: {} for k in _KINDS}
        merged: set[Payload] = set()
        payloads = self._payloads
        for key, found in self.matcher.scan(doc).items():
            for kind, name in payloads[key]:
                by_name = grouped[kind]
                hits = by_name.get(name)
                if hits is None:
                    by_name[name] = found  # may be shared by the term's payloads: never mutated
                else:
                    by_name[name] = hits + found
                    merged.add((kind, name))
        for kind, name in merged:
            grouped[kind][name].sort()
        for kind, exclude_kind in (("concept", "concept_x"), ("entity", "entity_x")):
            kept = grouped[kind]
            for name, blockers in grouped[exclude_kind].items():
                hits = kept.get(name)
                if hits is not None:
                    good = [h for h in hits if not _overlaps(h, blockers)]
                    if good:
                        kept[name] = good
                    else:
                        del kept[name]
        for kind, name in merged:
            by_name = grouped[kind]
            if name in by_name:
                by_name[name] = _dedupe(by_name[name])
        return DocumentHits(
            concepts=grouped["concept"],
            entities=grouped["entity"],
            fact_after=grouped["after"],
            fact_before=grouped["before"],
            fact_verbs=grouped["verb"],
            fact_objects=grouped["object"],
        )
