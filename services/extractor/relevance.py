"""The relevance rule: signals (concepts near each other) in the title and the body, summed."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from operator import itemgetter

from services.extractor.compiled import HitsByName
from services.extractor.matcher import Document, Hit
from shared.messages import Evidence
from shared.watchlists import RelevanceRule, Signal

MAX_EVIDENCE = 12
_CONTEXT = 40


@dataclass(frozen=True)
class Judgement:
    """How one watchlist judged one article."""

    score: float
    relevant: bool
    evidence: list[Evidence]


_Indexed = dict[str, tuple[list[Hit], list[int]]]  # concept -> hits sorted by start, their starts
_start = itemgetter(0)  # a hit's start


def _in(indexed: _Indexed, name: str, lo: int, hi: int) -> tuple[list[Hit], list[int]]:
    """The hits of concept ``name`` starting in [lo, hi), and their starts."""
    hits, starts = indexed[name]
    a = bisect_left(starts, lo) if lo > starts[0] else 0
    b = bisect_left(starts, hi) if hi <= starts[-1] else len(starts)
    return (hits, starts) if a == 0 and b == len(starts) else (hits[a:b], starts[a:b])


def _satisfied(
    signal: Signal,
    indexed: _Indexed,
    anchors_in: tuple[int, int],
    partners_in: tuple[int, int],
    within: int,
) -> list[list[Hit]]:
    """For each anchor hit in ``anchors_in`` that has every other concept near it (partners found
    in ``partners_in``): the hits involved, in the order of ``signal.all``."""
    names = signal.all
    if any(name not in indexed for name in names):
        return []
    anchors = _in(indexed, names[0], *anchors_in)[0]
    if not anchors:
        return []
    others = []
    for name in names[1:]:
        hits, starts = _in(indexed, name, *partners_in)
        if not hits:
            return []
        others.append((hits, starts, len(hits)))
    out = []
    for anchor in anchors:
        lo, hi = anchor[0] - within, anchor[1] + within
        found = [anchor]
        for hits, starts, count in others:
            # the first partner starting in [lo, hi]
            i = bisect_left(starts, lo)
            if i == count or starts[i] > hi:
                break
            found.append(hits[i])
        else:
            out.append(found)
    return out


def _span(doc: Document, hit: Hit) -> str:
    lo, hi = max(0, hit[0] - _CONTEXT), min(len(doc.text), hit[1] + _CONTEXT)
    return " ".join(doc.text[lo:hi].split())


def judge(rule: RelevanceRule, concepts: HitsByName, doc: Document, title_end: int) -> Judgement:
    """Score the article: title signals x ``title_weight`` plus body signals, vs ``threshold``."""
    evidence_hits: list[tuple[str, Hit]] = []
    indexed: _Indexed = {name: (hits, list(map(_start, hits))) for name, hits in concepts.items() if hits}

    title_weight = 0.0
    if title_end > 0:
        for signal in rule.signals:
            found = _satisfied(signal, indexed, (0, title_end), (0, title_end), title_end)
            if found:
                title_weight = max(title_weight, signal.weight)
                evidence_hits += list(zip(signal.all, found[0], strict=True))

    body_anchors: list[tuple[int, float, int]] = []  # (position, weight, gap)
    for signal in rule.signals:
        # body anchors may find partners in the title: the title sits right before the lead
        body = (title_end, len(doc.text))
        groups = _satisfied(signal, indexed, body, (0, len(doc.text)), signal.within)
        if not groups:
            continue
        weight, gap = signal.weight, max(1, signal.within // 2)
        body_anchors += [(group[0][0], weight, gap) for group in groups]  # anchor starts
        for group in groups:
            if len(evidence_hits) >= MAX_EVIDENCE * 3:
                break
            evidence_hits += zip(signal.all, group, strict=True)
    body_anchors.sort()
    counted: list[tuple[int, float]] = []
    for pos, weight, gap in body_anchors:
        if counted and pos - counted[-1][0] < gap:
            counted[-1] = (counted[-1][0], max(counted[-1][1], weight))
        else:
            counted.append((pos, weight))
    body_weights = sorted((w for _, w in counted), reverse=True)[: rule.max_body_hits]
    raw = title_weight * rule.title_weight + sum(body_weights)
    threshold = rule.threshold
    if rule.short_text_chars and len(doc.text) - title_end < rule.short_text_chars:
        # a feed summary has room for one or two sentences: one full signal there is as strong
        # as two in a long article
        threshold = min(threshold, rule.short_text_threshold)
    score = min(1.0, raw / (2 * threshold))
    seen: set[tuple[str, int]] = set()
    evidence: list[Evidence] = []
    for concept, hit in evidence_hits:
        if (concept, hit[0]) in seen:
            continue
        seen.add((concept, hit[0]))
        evidence.append(Evidence(concept=concept, term=doc.text[hit[0] : hit[1]], span=_span(doc, hit)))
        if len(evidence) >= MAX_EVIDENCE:
            break
    return Judgement(score=round(score, 4), relevant=raw >= threshold, evidence=evidence)
