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
from collections.abc import Callable
from operator import itemgetter

from services.extractor.compiled import CompiledWatchlist, DocumentHits
from services.extractor.matcher import Document, Hit, trie_regex
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
_TO_WORD_LIST = [
    *["to", "into", "in", "inside", "ke", "di", "dari", "в", "во", "на", "до", "у", "à", "au", "en"],
    *["vers", "a", "hacia", "nach", "in", "im", "para", "per", "the"],
]
_TO_CHARS = "向到赴在往抵"
# The words as a trie ("(?:i(?:n(?:side|to)?|m)|...)"): the same words as a plain alternation
# without trying each of them at every position of the window.
_TO_WORDS = re.compile(rf"(?:\b(?:{trie_regex(_TO_WORD_LIST)})\s+|[{_TO_CHARS}])$", re.IGNORECASE)
_TO_PARTICLES = re.compile(r"^(?:에|으로|로|に|へ|で|\s?파병|\s?파견|\s?극동|極東|远东|遠東|의 극동|の極東)")
_TO_PARTICLE_FIRST = frozenset("에으로にへで파극極远遠의の")  # or a space: "\s?파병"


HitMap = dict[str, list[Hit]]
_Found = tuple[list[Hit], list[int]]  # hits sorted by start, and their starts
# A fact pattern with nouns or verbs in the document: index, priority, min and max value, window,
# its after nouns, verbs and objects, before nouns and counter words (None when absent)
_Active = tuple[
    int,
    int,
    float,
    float,
    int,
    _Found | None,
    tuple[_Found, _Found] | None,
    tuple[_Found, tuple[str, ...]] | None,
]


def _sentence_bounds(text: str, ends: list[int], pos: int) -> tuple[int, int]:
    i = bisect_right(ends, pos)
    start = ends[i - 1] if i > 0 else 0
    end = ends[i] if i < len(ends) else len(text)
    return start, end


def _hits_between(hits: list[Hit], starts: list[int], lo: int, hi: int) -> list[Hit]:
    return hits[bisect_left(starts, lo) : bisect_left(starts, hi)]


_Located = dict[str, _Found]  # entity id -> its hits sorted by start, and their starts


def _nearest(
    hits: _Located,
    ids: list[str] | None,
    lo: int,
    hi: int,
    center: tuple[int, int],
    *,
    role: Callable[[Hit], bool] | None = None,
    skip: str | None = None,
) -> str | None:
    """The entity with the hit inside [lo, hi] nearest to ``center`` (the first one on a tie),
    among ``ids`` (all when None) but ``skip``, counting only hits for which ``role`` holds."""
    best: tuple[int, str] | None = None
    for entity_id, (found, starts) in hits.items():
        if (ids is not None and entity_id not in ids) or entity_id == skip:
            continue
        # hits starting in [lo, hi], in order: a hit starting after ``hi`` ends after it too
        for h in found[bisect_left(starts, lo) : bisect_right(starts, hi)]:
            start, end, _ = h
            if end > hi or (role is not None and not role(h)):
                continue
            distance = max(center[0] - end, start - center[1], 0)
            if best is None or distance < best[0]:
                best = (distance, entity_id)
    return best[1] if best else None


def _is_destination(low: str, hit: Hit) -> bool:
    # _TO_WORDS ends in a space or one of _TO_CHARS ("$": or a final newline, a space too), and
    # _TO_PARTICLES starts with a space or one of _TO_PARTICLE_FIRST: most mentions fail both
    # one-character tests and need no regex
    start, end, _ = hit
    before = low[max(0, start - 10) : start]
    if before and (before[-1].isspace() or before[-1] in _TO_CHARS) and _TO_WORDS.search(before):
        return True
    after = low[end : end + 5]
    return (
        bool(after)
        and (after[0].isspace() or after[0] in _TO_PARTICLE_FIRST)
        and bool(_TO_PARTICLES.match(after))
    )


class _Roles:
    """Country mentions that can send (actors) and those marked as destinations ("to Russia").

    Decided per mention when a fact first asks about it: most mentions are never near a fact.
    Iterating the countries in order and skipping mentions of the other role visits the same
    mentions in the same order as a pre-split senders/targets map would (ties go to the first).
    """

    def __init__(self, low: str, countries: _Located) -> None:
        self.low = low
        self.countries = countries
        self._destination: dict[Hit, bool] = {}

    def is_destination(self, hit: Hit) -> bool:
        known = self._destination.get(hit)
        if known is None:
            known = self._destination[hit] = _is_destination(self.low, hit)
        return known

    def is_sender(self, hit: Hit) -> bool:
        return not self.is_destination(hit)

    def sends_in(self, entity_id: str, lo: int, hi: int) -> bool:
        """Whether ``entity_id`` has a sending mention starting in [lo, hi)."""
        located = self.countries.get(entity_id)
        if located is None:
            return False
        found, starts = located
        return any(map(self.is_sender, found[bisect_left(starts, lo) : bisect_left(starts, hi)]))


def _actor(roles: _Roles, actors: list[str], sentence: tuple[int, int], number: NumberMatch) -> str | None:
    """The country right next to the number ("1,500 North Korean troops"), else the watchlist's
    first listed actor in the sentence, else in the article."""
    close = _nearest(
        roles.countries,
        actors or None,
        max(sentence[0], number.start - _ACTOR_REACH),
        min(sentence[1], number.end + _ACTOR_REACH),
        (number.start, number.end),
        role=roles.is_sender,
    )
    if close is not None:
        return close
    for entity_id in actors:
        if roles.sends_in(entity_id, sentence[0], sentence[1]):
            return entity_id
    for entity_id in actors:
        if entity_id in roles.countries:
            return entity_id
    return _nearest(roles.countries, None, sentence[0], sentence[1], (number.start, number.end))


def _span(text: str, lo: int, hi: int, number: NumberMatch) -> str:
    if hi - lo > _SPAN_CHARS:
        lo = max(lo, number.start - _SPAN_CHARS // 2)
        hi = min(hi, lo + _SPAN_CHARS)
    return " ".join(text[lo:hi].split())


def _verb_distance(
    text: str,
    verbs: _Found,
    objects: _Found,
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
    near = [h for h in _hits_between(found, starts, lo, number.start) if h[1] <= number.start]
    if not near or _VERB_GAP_BREAK.search(text, near[-1][1], number.start):
        return None
    if not _hits_between(objects[0], objects[1], number.end, bounds[1] + 1):
        return None
    return number.start - near[-1][1]


def _indexed(hits: HitMap) -> dict[int, _Found]:
    return {int(k): (v, list(map(_start, v))) for k, v in hits.items()}


_start = itemgetter(0)  # a hit's start


def extract_facts(compiled: CompiledWatchlist, doc: Document, hits: DocumentHits, lang: str) -> list[Fact]:
    """Every fact the watchlist's patterns find in the document, without duplicates."""
    patterns = compiled.watchlist.facts
    if not patterns or not (hits.fact_after or hits.fact_before or hits.fact_verbs):
        return []
    text, low = doc.text, doc.low
    numbers = [n for n in find_numbers(text, lang) if not n.year_like]
    if not numbers:
        return []
    dense = lang in _DENSE_SCRIPTS
    after, before = _indexed(hits.fact_after), _indexed(hits.fact_before)
    verbs, objects = _indexed(hits.fact_verbs), _indexed(hits.fact_objects)
    # the patterns with any of their nouns or verbs in the document, in order:
    # (index, priority, min, max, window, after nouns, verbs and objects, before nouns and counters)
    active: list[_Active] = []
    for idx, pattern in enumerate(patterns):
        verb_found = (verbs[idx], objects[idx]) if idx in verbs and idx in objects else None
        counters = compiled.counters[idx]
        before_found = (before[idx], counters) if idx in before and counters else None
        if idx in after or verb_found is not None or before_found is not None:
            window = pattern.window // 2 if dense else pattern.window
            limits = (pattern.priority, pattern.min_value, pattern.max_value, window)
            active.append((idx, *limits, after.get(idx), verb_found, before_found))
    if not active:
        return []
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    by_type: dict[str, _Located] = {"country": {}, "place": {}}
    for entity_id, entity_hits in hits.entities.items():
        by_type_hits = by_type.get(compiled.entity_types.get(entity_id, ""))
        if by_type_hits is not None:
            by_type_hits[entity_id] = (entity_hits, list(map(_start, entity_hits)))
    facts: list[Fact] = []
    seen: set[tuple[str, float, str | None, str | None]] = set()
    roles: _Roles | None = None  # made on the first fact: most numbers are none
    anaphoric_reach = _ANAPHORIC_REACH // 2 if dense else _ANAPHORIC_REACH
    for i, number in enumerate(numbers):
        if number.vague:  # no value: only where the previous count's window ends
            continue
        value, start, end = number.value, number.start, number.end
        s_start = _sentence_bounds(text, ends, start)[0]
        s_end = _sentence_bounds(text, ends, end)[1]  # "10 тис." ends in a dot, not a sentence
        next_start = numbers[i + 1].start if i + 1 < len(numbers) else len(text)
        prev_end = numbers[i - 1].end if i > 0 else 0
        # candidates as (-priority, distance, pattern index): the smallest wins, i.e. the highest
        # priority, then the nearest noun, then the pattern listed first
        best: tuple[int, int, int] | None = None
        for idx, priority, min_value, max_value, window, after_found, verb_found, before_found in active:
            if not min_value <= value <= max_value:
                continue
            hi = min(end + window, next_start, s_end)
            distances: list[int] = []
            if after_found is not None:
                found, starts = after_found
                reach = anaphoric_reach if number.anaphoric else window
                near = _hits_between(found, starts, end, min(hi, end + reach) + 1)
                if near:
                    distances.append(near[0][0] - end)
            if verb_found is not None and not number.anaphoric:
                bounds = (max(prev_end, s_start), hi)
                distance = _verb_distance(text, *verb_found, number, bounds=bounds, dense=dense)
                if distance is not None:
                    distances.append(distance)
            if before_found is not None and not number.anaphoric:
                (found, starts), counters = before_found
                tail = _APPROX.sub("", low[end : end + 4].lstrip(), count=1)
                if any(tail.startswith(c) for c in counters):
                    lo = max(start - window, prev_end, s_start)
                    near = [h for h in _hits_between(found, starts, lo, start) if h[1] <= start]
                    if near:
                        distances.append(start - near[-1][1])
            for distance in distances:
                if best is None or (-priority, distance, idx) < best:
                    best = (-priority, distance, idx)
        if best is None:
            continue
        pattern = patterns[best[2]]
        if roles is None:
            roles = _Roles(low, by_type["country"])
        actor = _actor(roles, pattern.actors, (s_start, s_end), number)
        center = (number.start, number.end)
        # the place is where the counted people or things are: after the number in the sentence
        place = _nearest(by_type["place"], None, number.end, s_end, center)
        if place is None:
            # else a country the sentence marks as destination ("to Russia", "러시아에", "向俄罗斯")
            place = _nearest(
                roles.countries, None, s_start, s_end, center, role=roles.is_destination, skip=actor
            )
        key = (pattern.type, value, actor, place)
        if key in seen:
            continue
        seen.add(key)
        facts.append(
            Fact(
                type=pattern.type,
                value=value,
                unit=pattern.unit,
                actor=actor,
                place=place,
                span=_span(text, s_start, s_end, number),
            )
        )
    return facts
