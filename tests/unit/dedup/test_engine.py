"""The dedup engine on the in-memory backend: near-dup groups, story joining, developments, replay."""

from __future__ import annotations

import json
from datetime import timedelta

from services.dedup.engine import DedupEngine, WatchlistRules
from services.dedup.settings import DedupConfig
from services.dedup.store import MemoryStore
from shared.watchlists import BurstRule, DevelopmentRules, FactIncrease, StoryRules
from tests.unit.dedup import texts
from tests.unit.dedup.texts import NOW, article, fact

RULES = WatchlistRules(
    StoryRules(window_hours=72, min_shared_entities=2),
    DevelopmentRules(
        fact_increase=[FactIncrease(type="troop_count", min_ratio=1.5)],
        first_fact_types=["killed", "casualties"],
        key_entities=["org:nato", "place:kursk"],
        burst=BurstRule(sources=3, minutes=60),
    ),
)
NIS_ENTITIES = ("country:KP", "country:RU", "org:nis", "place:vladivostok", "place:chongjin")
NIS_FACT = texts.fact("troop_count", 1500, "about 1,500 special forces soldiers")


def engine() -> DedupEngine:
    return DedupEngine(MemoryStore(), DedupConfig(), lambda _: RULES)


def changes(payload: bytes) -> list[str]:
    return [c["summary"] for c in json.loads(payload)["story"]["what_changed"]]


async def test_first_article_starts_a_story_and_copies_join_as_members() -> None:
    e = engine()
    first = await e.process(article("a", texts.EN_NIS, entities=NIS_ENTITIES, facts=(NIS_FACT,)))
    assert first.events[0].kind == "new_story"
    copy_text = texts.retitle_and_tail(texts.EN_NIS, "SEOUL (Pacific Newswire)")
    copy = await e.process(article("b", copy_text, source="Pacific", entities=(*NIS_ENTITIES, "org:nato")))
    assert copy.near_duplicate_of == first.article_id and copy.group == first.group
    assert copy.events[0].story_id == first.events[0].story_id
    # A copy never counts as a development, even when it names a key entity for the first time.
    assert copy.events[0].kind == "member"


async def test_exact_copy_is_detected() -> None:
    e = engine()
    first = await e.process(article("a", texts.EN_NIS, relevant=False))
    again = await e.process(article("b", texts.EN_NIS.upper(), relevant=False))
    assert again.exact_copy and again.near_duplicate_of == first.article_id
    assert again.events == []  # irrelevant articles are indexed but produce no story event


async def test_same_event_in_another_language_joins_the_story() -> None:
    e = engine()
    en = await e.process(article("en", texts.EN_NIS, entities=NIS_ENTITIES, facts=(NIS_FACT,)))
    ko = await e.process(
        article(
            "ko",
            texts.KO_NIS,
            lang="ko",
            when=NOW + timedelta(hours=3),
            entities=NIS_ENTITIES,
            facts=(NIS_FACT,),
        )
    )
    assert ko.near_duplicate_of is None
    assert ko.events[0].story_id == en.events[0].story_id
    assert ko.events[0].kind == "member"
    snapshot = json.loads(ko.events[0].payload)["story"]
    assert snapshot["languages"] == ["en", "ko"] and snapshot["member_count"] == 2


async def test_a_different_event_starts_its_own_story() -> None:
    e = engine()
    nis = await e.process(article("nis", texts.EN_NIS, entities=NIS_ENTITIES, facts=(NIS_FACT,)))
    nato = await e.process(
        article(
            "nato",
            texts.EN_NATO,
            when=NOW + timedelta(days=10),
            entities=("country:KP", "country:RU", "org:nato", "place:kursk", "person:rutte"),
        )
    )
    assert nato.events[0].kind == "new_story"
    assert nato.events[0].story_id != nis.events[0].story_id


async def test_outside_the_window_is_a_new_story_even_with_the_same_entities() -> None:
    e = engine()
    first = await e.process(article("a", texts.EN_NIS, entities=NIS_ENTITIES, facts=(NIS_FACT,)))
    later = await e.process(
        article("b", texts.ID_NIS, when=NOW + timedelta(hours=80), entities=NIS_ENTITIES, facts=(NIS_FACT,))
    )
    assert later.events[0].story_id != first.events[0].story_id


async def test_developments_say_what_changed_with_evidence() -> None:
    e = engine()
    await e.process(article("a", texts.EN_NIS, entities=NIS_ENTITIES, facts=(NIS_FACT,)))
    bigger = fact("troop_count", 10000, "some 10,000 North Korean troops", place="place:kursk")
    killed = fact("killed", 100, "at least 100 North Korean soldiers were killed")
    dev = await e.process(
        article(
            "b",
            texts.ID_NIS,
            when=NOW + timedelta(hours=5),
            entities=(*NIS_ENTITIES, "org:nato", "place:kursk"),
            facts=(NIS_FACT, bigger, killed),
        )
    )
    event = dev.events[0]
    assert event.kind == "development"
    assert changes(event.payload) == [
        "troop estimate 1,500 -> 10,000",
        "first report of casualties: 100 killed",
        "NATO now named",
        "units now in Kursk",
    ]
    what = json.loads(event.payload)["story"]["what_changed"]
    assert what[0]["evidence"] == "some 10,000 North Korean troops"
    # The same facts again are not new.
    again = await e.process(
        article(
            "c",
            texts.KO_NIS,
            when=NOW + timedelta(hours=6),
            entities=(*NIS_ENTITIES, "org:nato"),
            facts=(bigger,),
        )
    )
    assert again.events[0].kind == "member"


async def test_a_smaller_estimate_is_not_a_development() -> None:
    e = engine()
    await e.process(
        article("a", texts.EN_NIS, entities=NIS_ENTITIES, facts=(fact("troop_count", 3000, "3,000"),))
    )
    less = await e.process(
        article("b", texts.ID_NIS, when=NOW + timedelta(hours=1), entities=NIS_ENTITIES, facts=(NIS_FACT,))
    )
    assert less.events[0].kind == "member"


async def test_burst_of_independent_outlets_is_a_development_once() -> None:
    e = engine()
    stories = [texts.EN_NIS, texts.ID_NIS, texts.KO_NIS, texts.ZH_NIS, texts.JA_NIS]
    kinds = []
    for n, text in enumerate(stories):
        result = await e.process(
            article(
                f"s{n}",
                text,
                source=f"Outlet {n}",
                when=NOW + timedelta(minutes=10 * n),
                entities=NIS_ENTITIES,
            )
        )
        kinds.append(result.events[0].kind)
    assert kinds == ["new_story", "member", "development", "member", "member"]


async def test_redelivery_replays_the_same_event() -> None:
    e = engine()
    a = article("a", texts.EN_NIS, entities=NIS_ENTITIES, facts=(NIS_FACT,))
    first = await e.process(a)
    again = await e.process(a)
    assert again.events[0].payload == first.events[0].payload
    assert again.events[0].replayed
    assert again.group == first.group and again.near_duplicate_of is None
    event = json.loads(first.events[0].payload)
    assert event["schema"] == "story.event/1" and event["trace"] == a.article_id


async def test_ubiquitous_entities_alone_do_not_join() -> None:
    e = engine()
    base = ("country:KP", "country:RU")
    await e.process(article("a", texts.EN_NIS, entities=base))
    other = await e.process(article("b", texts.EN_NATO, when=NOW + timedelta(hours=2), entities=base))
    assert other.events[0].kind == "new_story"


async def test_configured_ubiquitous_entities_are_ignored() -> None:
    config = DedupConfig(ubiquitous_entities=["place:vladivostok", "org:nis"])
    e = DedupEngine(MemoryStore(), config, lambda _: RULES)
    ents = ("country:KP", "org:nis", "place:vladivostok")
    await e.process(article("a", texts.EN_NIS, entities=ents))
    other = await e.process(article("b", texts.EN_NATO, when=NOW + timedelta(hours=2), entities=ents))
    assert other.events[0].kind == "new_story"


def test_add_member_leaves_the_old_state_as_it_was() -> None:
    from services.dedup.developments import add_member, new_story

    first = article("a", texts.EN_NIS, entities=NIS_ENTITIES, facts=(NIS_FACT,))
    state = new_story("st-1", "nk-russia-military", first)
    before = state.model_dump_json()
    more = article(
        "b",
        texts.ID_NIS,
        source="Other",
        lang="id",
        when=NOW + timedelta(hours=2),
        entities=(*NIS_ENTITIES, "org:nato"),
        facts=(fact("troop_count", 10000, "10.000 tentara"),),
    )
    more.entities[0].surface_forms.append("Korea Utara")
    after = add_member(state, more, copy=False, max_sources=50)
    assert state.model_dump_json() == before
    assert after.member_count == 2 and after.entity_counts["org:nato"] == 1
    assert after.entities[0].count == 2 and "Korea Utara" in after.entities[0].surface_forms
    assert after.languages == ["en", "id"] and len(after.sources) == 2 and len(after.facts) == 2
