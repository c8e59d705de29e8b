"""The dedup engine: near-duplicate detection, story assignment and developments.

One engine serves the Kafka service (``RedisStore``) and ``wirewatch cluster`` (``MemoryStore``).
Per article:

1. fingerprint the text; the store indexes it and returns the exact copy / LSH band candidates
   atomically; candidates are confirmed by estimated Jaccard >= ``near_dup_threshold``. The article's
   near-duplicate group is the group of its best match, else the article itself.
2. for every watchlist that found it relevant: replay the stored event if this (watchlist, article)
   was already committed (redelivery); else join the story of its near-duplicate group (a copy:
   ``member``, never a development), or the best same-event story in the window (read through the
   feature -> stories index: only stories sharing a feature that can make them pass), or start a
   story. The update is committed with optimistic concurrency; on conflict the engine re-reads and
   decides again, so two replicas never create two stories for one event or one article.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from shared.ids import short_hash
from shared.messages import (
    ArticleTagged,
    Change,
    StoryEvent,
    StoryKind,
    StorySnapshot,
    TriggerArticle,
    encode,
)
from shared.watchlists import DevelopmentRules, StoryRules

from .developments import add_member, burst_change, find_changes, new_story
from .fingerprint import Fingerprinter, similarity
from .matching import EntityStats, MatchRules, best_story, candidate_features
from .settings import DedupConfig
from .store import MAX_STORIES_PER_FEATURE, CommitResult, DedupStore, IndexHit, StoryCommit
from .story import StoryState, event_time, features

MIN_CUT_JACCARD = 0.3  # a cut copy must still share this much; containment alone is noisy for short texts
EVENT_NAMESPACE = uuid.UUID("6f1d3c2e-5b7a-4e0b-9a51-2d8c1e7f4a10")


@dataclass(frozen=True)
class WatchlistRules:
    """The parts of a watchlist dedup uses."""

    story: StoryRules
    developments: DevelopmentRules


RulesFor = Callable[[str], WatchlistRules]
"""Rules of a watchlist by name (a callable so hot-reloaded config is picked up)."""


def default_rules(_: str) -> WatchlistRules:
    """Rules for a watchlist dedup has no config for: default window, no development rules."""
    return WatchlistRules(StoryRules(), DevelopmentRules())


@dataclass(frozen=True)
class EmittedEvent:
    """A story event ready to produce (``payload`` is the encoded StoryEvent)."""

    watchlist: str
    story_id: str
    kind: str
    payload: bytes
    replayed: bool = False


@dataclass(frozen=True)
class DedupResult:
    """What the engine decided for one article."""

    article_id: str
    group: str
    near_duplicate_of: str | None
    similarity: float
    exact_copy: bool
    events: list[EmittedEvent]
    conflicts: int = 0


class StoryConflict(RuntimeError):
    """Other replicas kept changing the story: transient, the runtime retries the message."""


def event_id(story_id: str, article_id: str, kind: str) -> str:
    """Deterministic event id: the same (story, article, kind) always gives the same id."""
    return str(uuid.uuid5(EVENT_NAMESPACE, f"{story_id}|{article_id}|{kind}"))


def _emitted(watchlist: str, payload: bytes, replayed: bool) -> EmittedEvent:
    data = json.loads(payload)
    return EmittedEvent(watchlist, data["story_id"], data["kind"], payload, replayed)


class DedupEngine:
    """Storage-agnostic dedup logic (see module docstring)."""

    def __init__(self, store: DedupStore, config: DedupConfig, rules_for: RulesFor = default_rules) -> None:
        self.store, self.config, self.rules_for = store, config, rules_for
        self._conflicts = 0
        self.fingerprinter = Fingerprinter(
            config.num_perm, config.band_rows, config.shingle_size, config.cjk_shingle_size
        )

    async def process(self, article: ArticleTagged) -> DedupResult:
        """Index the article, then assign it to a story for each watchlist that found it relevant."""
        aid = article.article_id
        at = event_time(article.published_at, article.fetched_at).timestamp()
        fp = self.fingerprinter.fingerprint(article.text if article.text.strip() else article.title)
        best: IndexHit | None = None
        score, exact = 0.0, False
        if not fp.empty:
            lookup = await self.store.index(aid, fp, at)
            if lookup.exact_of is not None:
                best, score, exact = lookup.exact_of, 1.0, True
            else:
                for hit in lookup.candidates:
                    sim = similarity(fp.signature, hit.signature)
                    confirmed = sim.jaccard >= self.config.near_dup_threshold or (
                        sim.containment >= self.config.containment_threshold
                        and sim.jaccard >= MIN_CUT_JACCARD
                    )
                    if confirmed and sim.jaccard > score:
                        best, score = hit, sim.jaccard
            group = best.group if best else aid
            if group != aid:
                await self.store.set_group(aid, fp, group)
        else:
            group = aid
        near_of = best.article_id if best else None
        events: list[EmittedEvent] = []
        for name in article.relevant_watchlists:
            event = await self._assign(name, article, group, near_of, at)
            if event is not None:
                events.append(event)
        conflicts, self._conflicts = self._conflicts, 0
        return DedupResult(aid, group, near_of, score, exact, events, conflicts)

    async def _assign(
        self, watchlist: str, article: ArticleTagged, group: str, near_of: str | None, at: float
    ) -> EmittedEvent | None:
        rules = self.rules_for(watchlist)
        window = rules.story.window_hours * 3600
        match_rules = MatchRules(
            window_seconds=window,
            min_shared_entities=rules.story.min_shared_entities,
            join_threshold=self.config.join_threshold,
            ubiquity_ratio=self.config.ubiquity_ratio,
            ubiquitous=frozenset(self.config.ubiquitous_entities),
        )
        mine = features(article.entities, article.facts)
        mine_sorted = sorted(mine)
        for _ in range(self.config.commit_attempts):
            view = await self.store.story_view(watchlist, article.article_id, group, mine_sorted)
            if view.replay is not None:  # redelivered: re-send the same event (or nothing, if expired)
                return _emitted(watchlist, view.replay, True) if view.replay else None
            target: StoryState | None = None
            copy = False
            if view.group_story is not None:
                target = await self.store.load_story(view.group_story)
                copy = target is not None
            if target is None:
                stats = EntityStats(view.df, view.df_total)
                wanted = candidate_features(mine, stats, match_rules)
                if wanted:
                    found = await self.store.story_candidates(
                        watchlist, wanted, at - window, MAX_STORIES_PER_FEATURE
                    )
                    # The article's own DFs as read with the version: they decided ``wanted``.
                    df = {f: n for f, n in found.df.items() if f not in mine}
                    stats = EntityStats({**df, **view.df}, view.df_total)
                    match = best_story(
                        at=at, features=mine, stories=found.stories, stats=stats, rules=match_rules
                    )
                    if match is not None:
                        target = await self.store.load_story(match.story.story_id)
            commit = self._decide(
                watchlist, article, group, near_of, target, copy, rules, view.watchlist_version
            )
            result: CommitResult = await self.store.commit(commit)
            if result.status == "ok":
                return _emitted(watchlist, commit.event, False)
            if result.status == "replay":
                return _emitted(watchlist, result.event, True) if result.event else None
            self._conflicts += 1
        raise StoryConflict(
            f"story of {article.article_id} kept changing under {self.config.commit_attempts} tries"
        )

    def _decide(  # noqa: PLR0917
        self,
        watchlist: str,
        article: ArticleTagged,
        group: str,
        near_of: str | None,
        target: StoryState | None,
        copy: bool,
        rules: WatchlistRules,
        watchlist_version: int,
    ) -> StoryCommit:
        changes: list[Change]
        kind: StoryKind
        if target is None:
            story_id = "st-" + short_hash(watchlist, article.article_id, length=24)
            state = new_story(story_id, watchlist, article)
            kind = "new_story"
            changes = [Change(kind="first", summary=f"new story: {article.title}", evidence=article.source)]
        else:
            state = add_member(target, article, copy=copy, max_sources=self.config.max_story_sources)
            changes = [] if copy else find_changes(target, article, rules.developments)
            burst = None if copy else burst_change(state, rules.developments)
            if burst is not None:
                state.burst_reported = True
                changes.append(burst)
            kind = "development" if changes else "member"
        state.version = (target.version if target else 0) + 1
        event = StoryEvent(
            event_id=event_id(state.story_id, article.article_id, kind),
            trace=article.article_id,
            kind=kind,
            story_id=state.story_id,
            watchlist=watchlist,
            story=StorySnapshot(
                title=state.title,
                first_seen=state.first_seen,
                last_seen=state.last_seen,
                member_count=state.member_count,
                sources=state.sources,
                languages=state.languages,
                entities=state.entities,
                facts=state.facts,
                what_changed=changes,
            ),
            article=TriggerArticle(
                article_id=article.article_id,
                url=article.url,
                source=article.source,
                title=article.title,
                lang=article.lang,
                published_at=article.published_at,
                fetched_at=article.fetched_at,
                near_duplicate_of=near_of,
            ),
        )
        mine = features(article.entities, article.facts)
        if target is None:
            new_entities = sorted(mine)
        elif copy:
            new_entities = []
        else:
            new_entities = sorted(mine - set(target.entity_counts) - set(target.fact_counts))
        # Postings carry last_seen: all of the story's features when it moved, else only the new ones.
        if target is None or state.last_seen > target.last_seen:
            postings = sorted({*state.entity_counts, *state.fact_counts})
        else:
            postings = new_entities
        return StoryCommit(
            watchlist=watchlist,
            article_id=article.article_id,
            group=group,
            state=state,
            expected_version=target.version if target else None,
            expected_watchlist_version=watchlist_version,
            event=encode(event),
            new_entities=new_entities,
            new_story=target is None,
            postings=postings,
        )
