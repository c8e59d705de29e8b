"""Merging an article into a story and saying, in plain words, what it adds.

A development is a fact value beyond what the story had (``troop estimate 1,500 -> 10,000``),
the first fact of a watched type (``first report of casualties: 100 killed``), the first mention
of a key entity (``NATO now named``, ``units now in Kursk``) or a burst of independent outlets.
Near-duplicate copies are merged as members (source, language, count) but never add facts or
entities, so they can never be a development.
"""

from __future__ import annotations

from datetime import timedelta

from shared.messages import ArticleTagged, Change, Entity, Fact, SourceRef
from shared.watchlists import DevelopmentRules

from .story import Arrival, StoryState, event_time, fact_features

MAX_FACTS = 40
MAX_ARRIVALS = 60

# Plain-word names of the contract's fact types: (what an estimate is called, unit word).
FACT_LABELS: dict[str, tuple[str, str]] = {
    "troop_count": ("troop estimate", "troops"),
    "worker_count": ("worker estimate", "workers"),
    "killed": ("casualties", "killed"),
    "wounded": ("casualties", "wounded"),
    "captured": ("captured soldiers", "captured"),
    "casualties": ("casualties", "casualties"),
    "shells": ("shell deliveries", "shells"),
    "missiles": ("missile deliveries", "missiles"),
    "containers": ("container shipments", "containers"),
}

_UPPER_ORGS = 6


def format_number(value: float) -> str:
    """1500.0 -> '1,500'; 2.5 -> '2.5'."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.1f}"


def entity_name(entity_id: str) -> str:
    """A readable name from a canonical id: org:nato -> NATO, place:kursk -> Kursk."""
    kind, _, slug = entity_id.partition(":")
    if kind == "country":
        return slug.upper()
    if kind in ("org", "weapon") and len(slug) <= _UPPER_ORGS:
        return slug.upper()
    return " ".join(part.capitalize() for part in slug.split("-"))


def _clip(span: str, limit: int = 200) -> str:
    span = " ".join(span.split())
    return span if len(span) <= limit else span[: limit - 1] + "…"


def _largest(facts: list[Fact]) -> dict[str, Fact]:
    best: dict[str, Fact] = {}
    for fact in facts:
        if fact.type not in best or fact.value > best[fact.type].value:
            best[fact.type] = fact
    return best


def find_changes(state: StoryState, article: ArticleTagged, rules: DevelopmentRules) -> list[Change]:
    """What the (independent, non-copy) article adds to the story under the watchlist's rules."""
    changes: list[Change] = []
    largest = _largest(article.facts)
    for rule in rules.fact_increase:
        fact = largest.get(rule.type)
        before = state.fact_max.get(rule.type)
        if fact is not None and before is not None and before > 0 and fact.value >= before * rule.min_ratio:
            label = FACT_LABELS.get(rule.type, (rule.type.replace("_", " "), ""))[0]
            summary = f"{label} {format_number(before)} -> {format_number(fact.value)}"
            changes.append(Change(kind="fact", summary=summary, evidence=_clip(fact.span)))
    for fact_type in rules.first_fact_types:
        fact = largest.get(fact_type)
        if fact is not None and fact_type not in state.fact_max:
            label, unit = FACT_LABELS.get(fact_type, (fact_type.replace("_", " "), fact.unit))
            summary = f"first report of {label}: {format_number(fact.value)} {unit}".rstrip()
            changes.append(Change(kind="fact", summary=summary, evidence=_clip(fact.span)))
    present = {e.id: e for e in article.entities}
    for entity_id in rules.key_entities:
        if entity_id in present and entity_id not in state.entity_counts:
            name = entity_name(entity_id)
            summary = f"units now in {name}" if entity_id.startswith("place:") else f"{name} now named"
            forms = ", ".join(present[entity_id].surface_forms[:3])
            changes.append(Change(kind="entity", summary=summary, evidence=forms))
    return changes


def burst_change(state: StoryState, rules: DevelopmentRules) -> Change | None:
    """The burst development, once per story: N distinct outlets among independent members in M minutes."""
    if rules.burst is None or state.burst_reported:
        return None
    window = rules.burst.minutes * 60
    arrivals = sorted(state.arrivals, key=lambda a: a.at)
    for i, first in enumerate(arrivals):
        outlets = {a.source for a in arrivals[i:] if a.at - first.at <= window}
        if len(outlets) >= rules.burst.sources:
            summary = f"{len(outlets)} outlets reported it within {rules.burst.minutes} minutes"
            return Change(kind="burst", summary=summary, evidence=", ".join(sorted(outlets)))
    return None


def _merge_entities(state: StoryState, entities: list[Entity]) -> None:
    known = {e.id: e for e in state.entities}
    for entity in entities:
        state.entity_counts[entity.id] = state.entity_counts.get(entity.id, 0) + 1
        if entity.id in known:
            mine = known[entity.id]
            mine.count += entity.count
            for form in entity.surface_forms:
                if form not in mine.surface_forms and len(mine.surface_forms) < 8:
                    mine.surface_forms.append(form)
        else:
            copy = entity.model_copy(deep=True)
            known[entity.id] = copy
            state.entities.append(copy)


def _merge_facts(state: StoryState, facts: list[Fact]) -> None:
    for feature in fact_features(facts):
        state.fact_counts[feature] = state.fact_counts.get(feature, 0) + 1
    seen = {(f.type, f.value, f.actor, f.place) for f in state.facts}
    for fact in facts:
        key = (fact.type, fact.value, fact.actor, fact.place)
        if key not in seen and len(state.facts) < MAX_FACTS:
            state.facts.append(fact)
            seen.add(key)
        state.fact_max[fact.type] = max(state.fact_max.get(fact.type, fact.value), fact.value)


def source_ref(article: ArticleTagged) -> SourceRef:
    """The article as one source line of a story."""
    return SourceRef(
        source=article.source,
        url=article.url,
        lang=article.lang,
        title=article.title,
        article_id=article.article_id,
        published_at=article.published_at,
    )


def new_story(story_id: str, watchlist: str, article: ArticleTagged) -> StoryState:
    """A story started by its first article."""
    when = event_time(article.published_at, article.fetched_at)
    state = StoryState(
        story_id=story_id,
        watchlist=watchlist,
        title=article.title,
        first_seen=when,
        last_seen=when,
        member_count=1,
        sources=[source_ref(article)],
        languages=[article.lang],
        arrivals=[Arrival(source=article.source, at=when.timestamp())],
    )
    _merge_entities(state, article.entities)
    _merge_facts(state, article.facts)
    return state


def _copy_state(state: StoryState) -> StoryState:
    """A copy that ``add_member`` can change without touching ``state``: new containers, new entity
    objects (their count and surface forms change); sources, facts and arrivals are only ever
    appended, never changed, so they are shared (a deep copy of a big story costs a millisecond)."""
    entities = [e.model_copy(update={"surface_forms": list(e.surface_forms)}) for e in state.entities]
    return state.model_copy(
        update={
            "sources": list(state.sources),
            "languages": list(state.languages),
            "entities": entities,
            "entity_counts": dict(state.entity_counts),
            "fact_counts": dict(state.fact_counts),
            "facts": list(state.facts),
            "fact_max": dict(state.fact_max),
            "arrivals": list(state.arrivals),
        }
    )


def add_member(state: StoryState, article: ArticleTagged, *, copy: bool, max_sources: int) -> StoryState:
    """The story after one more member (``state`` is left as it was); a near-duplicate ``copy`` adds no
    facts or entities."""
    new = _copy_state(state)
    when = event_time(article.published_at, article.fetched_at)
    new.first_seen = min(new.first_seen, when)
    new.last_seen = max(new.last_seen, when)
    new.member_count += 1
    if len(new.sources) < max_sources:
        new.sources.append(source_ref(article))
    if article.lang not in new.languages:
        new.languages.append(article.lang)
    if not copy:
        new.independent_members += 1
        _merge_entities(new, article.entities)
        _merge_facts(new, article.facts)
        cutoff = (new.last_seen - timedelta(days=2)).timestamp()
        arrivals = [a for a in new.arrivals if a.at >= cutoff]
        arrivals.append(Arrival(source=article.source, at=when.timestamp()))
        new.arrivals = arrivals[-MAX_ARRIVALS:]
    return new
