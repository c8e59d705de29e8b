"""The relevance rule: signals (concepts near each other) in the title and the body, summed."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

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


def _near(hits: list[Hit], starts: list[int], lo: int, hi: int) -> Hit | None:
    """A hit starting in [lo, hi] (hits sorted by start)."""
    i = bisect_left(starts, lo)
    if i < len(hits) and hits[i].start <= hi:
        return hits[i]
    return None


def _satisfied(
    signal: Signal,
    concepts: HitsByName,
    anchors_in: tuple[int, int],
    partners_in: tuple[int, int],
    within: int,
) -> list[list[Hit]]:
    """For each anchor hit in ``anchors_in`` that has every other concept near it (partners found
    in ``partners_in``): the hits involved, in the order of ``signal.all``."""
    per_concept = []
    for i, name in enumerate(signal.all):
        lo, hi = anchors_in if i == 0 else partners_in
        hits = [h for h in concepts.get(name, []) if lo <= h.start < hi]
        if not hits:
            return []
        per_concept.append(hits)
    anchors, others = per_concept[0], per_concept[1:]
    other_starts = [[h.start for h in hits] for hits in others]
    out = []
    for anchor in anchors:
        found = [anchor]
        for hits, starts in zip(others, other_starts, strict=True):
            partner = _near(hits, starts, anchor.start - within, anchor.end + within)
            if partner is None:
                break
            found.append(partner)
        else:
            out.append(found)
    return out


def _span(doc: Document, hit: Hit) -> str:
    lo, hi = max(0, hit.start - _CONTEXT), min(len(doc.text), hit.end + _CONTEXT)
    return " ".join(doc.text[lo:hi].split())


def judge(rule: RelevanceRule, concepts: HitsByName, doc: Document, title_end: int) -> Judgement:
    """Score the article: title signals x ``title_weight`` plus body signals, vs ``threshold``."""
    evidence_hits: list[tuple[str, Hit]] = []

    title_weight = 0.0
    if title_end > 0:
        for signal in rule.signals:
            found = _satisfied(signal, concepts, (0, title_end), (0, title_end), title_end)
            if found:
                title_weight = max(title_weight, signal.weight)
                evidence_hits += list(zip(signal.all, found[0], strict=True))

    body_anchors: list[tuple[int, float, int]] = []  # (position, weight, gap)
    for signal in rule.signals:
        # body anchors may find partners in the title: the title sits right before the lead
        body = (title_end, len(doc.text))
        for group in _satisfied(signal, concepts, body, (0, len(doc.text)), signal.within):
            body_anchors.append((group[0].start, signal.weight, max(1, signal.within // 2)))
            if len(evidence_hits) < MAX_EVIDENCE * 3:
                evidence_hits += list(zip(signal.all, group, strict=True))
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
        if (concept, hit.start) in seen:
            continue
        seen.add((concept, hit.start))
        evidence.append(Evidence(concept=concept, term=doc.text[hit.start : hit.end], span=_span(doc, hit)))
        if len(evidence) >= MAX_EVIDENCE:
            break
    return Judgement(score=round(score, 4), relevant=raw >= threshold, evidence=evidence)
