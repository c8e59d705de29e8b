"""Typed numeric facts: a number, a fact noun next to it, and the actor and place of its sentence.

For each number: nouns of a fact pattern that follow it (``after``: "1,500 troops", "1.500 tentara")
within the pattern's window, or nouns that precede it when a counter word follows the number
(``before``: "병력 1만 명", "士兵1万人"). The window stops at the next number and the sentence end,
so "10,000 troops, 300 killed" gives troop_count 10000 and killed 300. When one number fits several
patterns the highest ``priority`` wins ("300 North Korean soldiers killed" is killed, not troops),
then the nearest noun.

A third form is a verb right before the number and an object noun after it ("captured two North
Korean soldiers", "capturado a dos soldados", "взяли в плен двух военных"): the verb types the number,
the object noun (people, not villages) keeps "captured two towns" out. Numbers in words come from
``find_numbers`` too; "both" (``anaphoric``) only counts with the fact noun right after it ("Both
men were wounded"), not with one further on ("both sides ... casualties").
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from services.extractor.compiled import CompiledWatchlist, DocumentHits
from services.extractor.matcher import Document, Hit
from services.extractor.numbers import NumberMatch, find_numbers
from shared.messages import Fact

# "[.!?;](?=\s)|[。！？；\n]", written to start with one character class: the regex engine then
# skips to candidate characters at C speed instead of trying both branches at every position
_SENTENCE_END = re.compile(r"[.!?;。！？；\n](?:(?<=[。！？；\n])|(?=\s))")
_SPAN_CHARS = 220
_ACTOR_REACH = 40
_DENSE_SCRIPTS = frozenset({"ja", "zh"})  # no spaces: a window of N characters holds more words
_VERB_REACH = 24  # verb end to number start: "captured at least two", not a verb a clause before
_ANAPHORIC_REACH = 20  # "Both men were wounded"
_VERB_GAP_BREAK = re.compile(
    r"[,;:()\"«»“”]|(?<!\w)(?:and|or|und|oder|et|ou|y|o|e|dan|atau|и|или|і|й|та|або)(?!\w)|[和及与與、]",
    re.IGNORECASE,
)
_APPROX = re.compile(r"^(?:여|余|多|餘)\s?")  # "1만여 명", "1万余人": about/over, before the counter
# A country right after one of these words (or right before a Korean/Japanese destination
# particle) is where people or things went, not who sent them.
_TO_WORDS = re.compile(
    r"(?:\b(?:to|into|in|inside|ke|di|dari|в|во|на|до|у|à|au|en|vers|a|hacia|nach|in|im|para|per)\s+|"
    r"[向到赴在往抵]|(?:\bthe\s+))$",
    re.IGNORECASE,
)
_TO_PARTICLES = re.compile(r"^(?:에|으로|로|に|へ|で|\s?파병|\s?파견|\s?극동|極東|远东|遠東|의 극동|の極東)")


HitMap = dict[str, list[Hit]]


@dataclass(frozen=True)
class _Candidate:
    priority: int
    distance: int
    index: int


def _sentence_bounds(text: str, ends: list[int], pos: int) -> tuple[int, int]:
    i = bisect_right(ends, pos)
    start = ends[i - 1] if i > 0 else 0
    end = ends[i] if i < len(ends) else len(text)
    return start, end


def _hits_between(hits: list[Hit], starts: list[int], lo: int, hi: int) -> list[Hit]:
    return hits[bisect_left(starts, lo) : bisect_left(starts, hi)]


def _nearest(
    hits: dict[str, list[Hit]], ids: list[str] | None, lo: int, hi: int, center: tuple[int, int]
) -> str | None:
    best: tuple[int, str] | None = None
    for entity_id, found in hits.items():
        if ids is not None and entity_id not in ids:
            continue
        for h in found:
            if h.start < lo or h.end > hi:
                continue
            distance = max(center[0] - h.end, h.start - center[1], 0)
            if best is None or distance < best[0]:
                best = (distance, entity_id)
    return best[1] if best else None


def _is_destination(low: str, hit: Hit) -> bool:
    before = low[max(0, hit.start - 10) : hit.start]
    after = low[hit.end : hit.end + 5]
    return bool(_TO_WORDS.search(before) or _TO_PARTICLES.match(after))


def _split_by_role(low: str, countries: HitMap) -> tuple[HitMap, HitMap]:
    """Country mentions that can send (actors) and those marked as destinations."""
    senders: HitMap = {}
    targets: HitMap = {}
    for entity_id, hits in countries.items():
        for h in hits:
            (targets if _is_destination(low, h) else senders).setdefault(entity_id, []).append(h)
    return senders, targets


def _actor(
    countries: HitMap,
    senders: HitMap,
    actors: list[str],
    sentence: tuple[int, int],
    number: NumberMatch,
) -> str | None:
    """The country right next to the number ("1,500 North Korean troops"), else the watchlist's
    first listed actor in the sentence, else in the article."""
    allowed = actors or None
    close = _nearest(
        senders,
        allowed,
        max(sentence[0], number.start - _ACTOR_REACH),
        min(sentence[1], number.end + _ACTOR_REACH),
        (number.start, number.end),
    )
    if close is not None:
        return close
    for entity_id in actors:
        if any(sentence[0] <= h.start < sentence[1] for h in senders.get(entity_id, [])):
            return entity_id
    for entity_id in actors:
        if entity_id in countries:
            return entity_id
    return _nearest(countries, None, sentence[0], sentence[1], (number.start, number.end))


def _span(text: str, lo: int, hi: int, number: NumberMatch) -> str:
    if hi - lo > _SPAN_CHARS:
        lo = max(lo, number.start - _SPAN_CHARS // 2)
        hi = min(hi, lo + _SPAN_CHARS)
    return " ".join(text[lo:hi].split())


def _verb_distance(
    text: str,
    verbs: tuple[list[Hit], list[int]],
    objects: tuple[list[Hit], list[int]],
    number: NumberMatch,
    *,
    bounds: tuple[int, int],
    dense: bool,
) -> int | None:
    """Characters from a fact verb to the number ("captured two soldiers"), when the verb is close
    before it with no clause break between and an object noun follows within ``bounds``."""
    reach = _VERB_REACH // 3 if dense else _VERB_REACH
    found, starts = verbs
    lo = max(bounds[0], number.start - reach)
    near = [h for h in _hits_between(found, starts, lo, number.start) if h.end <= number.start]
    if not near or _VERB_GAP_BREAK.search(text, near[-1].end, number.start):
        return None
    if not _hits_between(objects[0], objects[1], number.end, bounds[1] + 1):
        return None
    return number.start - near[-1].end


def extract_facts(compiled: CompiledWatchlist, doc: Document, hits: DocumentHits, lang: str) -> list[Fact]:
    """Every fact the watchlist's patterns find in the document, without duplicates."""
    patterns = compiled.watchlist.facts
    if not patterns or not (hits.fact_after or hits.fact_before or hits.fact_verbs):
        return []
    text, low = doc.text, doc.low
    numbers = [n for n in find_numbers(text, lang) if not n.year_like]
    if not numbers:
        return []
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    after = {int(k): (v, [h.start for h in v]) for k, v in hits.fact_after.items()}
    before = {int(k): (v, [h.start for h in v]) for k, v in hits.fact_before.items()}
    verbs = {int(k): (v, [h.start for h in v]) for k, v in hits.fact_verbs.items()}
    objects = {int(k): (v, [h.start for h in v]) for k, v in hits.fact_objects.items()}
    by_type = {
        t: {e: hs for e, hs in hits.entities.items() if compiled.entity_types.get(e) == t}
        for t in ("country", "place")
    }
    facts: list[Fact] = []
    seen: set[tuple[str, float, str | None, str | None]] = set()
    dense = lang in _DENSE_SCRIPTS
    roles: tuple[HitMap, HitMap] | None = None  # computed on the first fact: most numbers are none
    for i, number in enumerate(numbers):
        if number.vague:  # no value: only where the previous count's window ends
            continue
        s_start = _sentence_bounds(text, ends, number.start)[0]
        s_end = _sentence_bounds(text, ends, number.end)[1]  # "10 тис." ends in a dot, not a sentence
        next_start = numbers[i + 1].start if i + 1 < len(numbers) else len(text)
        prev_end = numbers[i - 1].end if i > 0 else 0
        candidates: list[_Candidate] = []
        for idx, pattern in enumerate(patterns):
            if not pattern.min_value <= number.value <= pattern.max_value:
                continue
            window = pattern.window // 2 if dense else pattern.window
            hi = min(number.end + window, next_start, s_end)
            if idx in after:
                found, starts = after[idx]
                reach = (_ANAPHORIC_REACH // 2 if dense else _ANAPHORIC_REACH) if number.anaphoric else window
                near = _hits_between(found, starts, number.end, min(hi, number.end + reach) + 1)
                if near:
                    candidates.append(_Candidate(pattern.priority, near[0].start - number.end, idx))
            if number.anaphoric:
                continue
            if idx in verbs and idx in objects:
                distance = _verb_distance(
                    text, verbs[idx], objects[idx], number, bounds=(max(prev_end, s_start), hi), dense=dense
                )
                if distance is not None:
                    candidates.append(_Candidate(pattern.priority, distance, idx))
            if idx in before and compiled.counters[idx]:
                tail = _APPROX.sub("", low[number.end : number.end + 4].lstrip(), count=1)
                if not any(tail.startswith(c) for c in compiled.counters[idx]):
                    continue
                found, starts = before[idx]
                lo = max(number.start - window, prev_end, s_start)
                near = [h for h in _hits_between(found, starts, lo, number.start) if h.end <= number.start]
                if near:
                    candidates.append(_Candidate(pattern.priority, number.start - near[-1].end, idx))
        if not candidates:
            continue
        best = min(candidates, key=lambda c: (-c.priority, c.distance))
        pattern = patterns[best.index]
        if roles is None:
            roles = _split_by_role(low, by_type["country"])
        senders, targets = roles
        actor = _actor(by_type["country"], senders, pattern.actors, (s_start, s_end), number)
        # the place is where the counted people or things are: after the number in the sentence
        place = _nearest(by_type["place"], None, number.end, s_end, (number.start, number.end))
        if place is None:
            # else a country the sentence marks as destination ("to Russia", "러시아에", "向俄罗斯")
            others = {k: v for k, v in targets.items() if k != actor}
            place = _nearest(others, None, s_start, s_end, (number.start, number.end))
        key = (pattern.type, number.value, actor, place)
        if key in seen:
            continue
        seen.add(key)
        facts.append(
            Fact(
                type=pattern.type,
                value=number.value,
                unit=pattern.unit,
                actor=actor,
                place=place,
                span=_span(text, s_start, s_end, number),
            )
        )
    return facts
