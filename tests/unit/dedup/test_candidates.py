"""Story candidates through the feature -> stories index: which postings are read, and that the
index never hides a story ``best_story`` would pick from the whole window."""

from __future__ import annotations

import random
from datetime import timedelta

from services.dedup.engine import DedupEngine, WatchlistRules
from services.dedup.matching import EntityStats, MatchRules, best_story, candidate_features
from services.dedup.settings import DedupConfig
from services.dedup.store import MAX_STORIES_PER_FEATURE, MemoryStore
from services.dedup.story import features
from shared.watchlists import DevelopmentRules, StoryRules
from tests.unit.dedup.texts import NOW, article, fact

WATCHLIST = "nk-russia-military"


def rules(min_shared: int = 2, ubiquitous: frozenset[str] = frozenset()) -> MatchRules:
    return MatchRules(
        window_seconds=72 * 3600,
        min_shared_entities=min_shared,
        join_threshold=0.25,
        ubiquity_ratio=1.0,
        ubiquitous=ubiquitous,
    )


def test_countries_that_cannot_reach_the_minimum_are_not_read() -> None:
    mine = {"country:KP", "country:RU", "org:nis", "place:kursk"}
    stats = EntityStats({"country:KP": 40, "country:RU": 38, "org:nis": 3}, 40)
    # Two countries add up to 1 < 2: a passing story shares org:nis or place:kursk.
    assert sorted(candidate_features(mine, stats, rules(2))) == ["org:nis", "place:kursk"]
    # With min 3, one entity more can be left out: the most common one (its postings are longest).
    assert candidate_features(mine, stats, rules(3)) == ["place:kursk"]
    # With min 1 one country alone (0.5) cannot pass, but two can: only the commoner one is skipped.
    assert candidate_features(mine, stats, rules(1)) == ["country:RU", "org:nis", "place:kursk"]


def test_weightless_features_are_never_read() -> None:
    mine = {"country:KP", "org:nis", "place:kursk"}
    stats = EntityStats({}, 0)
    assert candidate_features(mine, stats, rules(1, frozenset({"org:nis"}))) == ["place:kursk"]
    # An article with nothing that can reach the minimum reads nothing.
    assert candidate_features({"country:KP", "country:RU"}, stats, rules(2)) == []


WORDS = [f"{a}{b}{c}" for a in "kastinorup" for b in "aeiou" for c in "lmnrst"]
POOL = [f"place:p{n}" for n in range(12)] + [f"org:o{n}" for n in range(8)] + ["country:KP", "country:RU"]


def random_article(rng: random.Random, n: int) -> tuple[str, tuple[str, ...], timedelta]:
    ents = tuple(rng.sample(POOL, rng.randint(1, 5)))
    return f"r{n}", ents, timedelta(hours=rng.uniform(0, 200))


async def test_candidates_find_the_same_best_story_as_the_whole_window() -> None:
    rng = random.Random(5)
    store = MemoryStore()
    engine = DedupEngine(store, DedupConfig(), lambda _: WatchlistRules(StoryRules(), DevelopmentRules()))
    match_rules = rules(2)
    window = match_rules.window_seconds
    items = sorted((random_article(rng, n) for n in range(300)), key=lambda item: item[2])
    checked = matched = 0
    for key, ents, offset in items:
        facts = (fact("troop_count", 500 * rng.randint(1, 4), "x"),) if rng.random() < 0.4 else ()
        text = " ".join(rng.choice(WORDS) for _ in range(60))  # no near-duplicates: matching decides
        probe = article(key, text, when=NOW + offset, entities=ents, facts=facts)
        at = (NOW + offset).timestamp()
        mine = features(probe.entities, probe.facts)
        view = await store.story_view(WATCHLIST, probe.article_id, probe.article_id, sorted(mine))
        stats = EntityStats(view.df, view.df_total)
        everything = [
            s.digest()
            for s in store.states.values()
            if s.watchlist == WATCHLIST and s.last_seen.timestamp() >= at - window
        ]
        full = EntityStats(store.df.get(WATCHLIST, {}), view.df_total)
        expected = best_story(at=at, features=mine, stories=everything, stats=full, rules=match_rules)
        wanted = candidate_features(mine, stats, match_rules)
        found = await store.story_candidates(WATCHLIST, wanted, at - window, MAX_STORIES_PER_FEATURE)
        df = {f: c for f, c in found.df.items() if f not in mine}
        got = best_story(
            at=at,
            features=mine,
            stories=found.stories,
            stats=EntityStats({**df, **view.df}, view.df_total),
            rules=match_rules,
        )
        assert (got and (got.story.story_id, got.score)) == (
            expected and (expected.story.story_id, expected.score)
        ), key
        assert len(found.stories) <= len(everything)
        checked += 1
        matched += expected is not None
        result = await engine.process(probe)
        assert result.near_duplicate_of is None
    assert checked == 300 and matched > 50  # the corpus does join stories
