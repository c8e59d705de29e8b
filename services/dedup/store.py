"""The storage interface of the dedup engine and its in-memory backend (used by ``wirewatch cluster``).

The engine holds all the logic; a backend only stores and answers reads, and commits a story
update atomically with optimistic concurrency: a commit names the version it read and fails with
``conflict`` when another replica changed that story since (or, for a new story, created another
story in the watchlist since), so the engine re-reads and decides again.
``redis_backend.RedisStore`` is the service's backend.

Stories are found through an inverted index: every story is posted under each of its features
(entity ids, fact features) with its last_seen, so an article reads only the stories that share a
feature with it (``story_candidates``), not every story of the watchlist's window. The engine reads
``story_view`` (replay guard, group story, watchlist version, DF of the article's features) first
and ``story_candidates`` second; the two reads need not be one snapshot: a story created after the
view was read bumps the watchlist version, so a new-story commit decided without it conflicts and
is decided again, and a join commit checks the version of the story it joins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from .fingerprint import Fingerprint
from .story import StoryDigest, StoryState


@dataclass(frozen=True)
class IndexHit:
    """An indexed article that shares an LSH band (or the content key) with the new one."""

    article_id: str
    signature: bytes
    group: str


@dataclass(frozen=True)
class IndexLookup:
    """Result of indexing an article: the exact copy it repeats (if any) and band candidates."""

    exact_of: IndexHit | None
    candidates: list[IndexHit]


MAX_STORIES_PER_FEATURE = 500
"""Candidate stories read per feature (the newest by last_seen): bounds the work for a feature that
hundreds of stories in the window name (a feature that common weighs almost nothing anyway)."""


@dataclass(frozen=True)
class StoryView:
    """What the engine reads first when it assigns an article to a story."""

    replay: bytes | None  # the event already committed for (watchlist, article); b"" once it expired
    group_story: str | None  # the story of the article's near-duplicate group, if any
    watchlist_version: int
    df: dict[str, int]  # stories of the watchlist naming each of the article's features (absent: 0)
    df_total: int  # stories of the watchlist


@dataclass(frozen=True)
class StoryCandidates:
    """Stories sharing a feature with the article, within the window, ordered by story id."""

    stories: list[StoryDigest]
    df: dict[str, int]  # stories of the watchlist naming each feature of these stories (absent: 0)


@dataclass(frozen=True)
class StoryCommit:
    """One atomic story update: new state, article map + event, group map, entity counts."""

    watchlist: str
    article_id: str
    group: str
    state: StoryState  # already carries version = expected + 1
    expected_version: int | None  # None: a new story (then ``expected_watchlist_version`` is checked)
    expected_watchlist_version: int
    event: bytes
    new_entities: list[str] = field(default_factory=list)  # ids new to the story: story-level DF + 1
    new_story: bool = False  # counts one more story in the watchlist's DF total
    postings: list[str] = field(default_factory=list)  # features to post the story under (at last_seen)


@dataclass(frozen=True)
class CommitResult:
    """``ok``; ``conflict`` (re-read and retry); ``replay`` (already committed: ``event`` is the old one)."""

    status: Literal["ok", "conflict", "replay"]
    event: bytes | None = None


class DedupStore(Protocol):
    """What the engine needs from a backend."""

    async def index(self, article_id: str, fp: Fingerprint, at: float) -> IndexLookup:
        """Atomically: look up content-key/band candidates (with their signatures and groups),
        claim this article's free band slots and store its signature (its group: itself)."""
        ...

    async def set_group(self, article_id: str, fp: Fingerprint, group: str) -> None:
        """Record that the article belongs to another near-duplicate group."""
        ...

    async def story_view(
        self, watchlist: str, article_id: str, group: str, features: Sequence[str]
    ) -> StoryView:
        """Replay check, group story, watchlist version, DF of the given features and the total."""
        ...

    async def story_candidates(
        self, watchlist: str, features: Sequence[str], since: float, limit: int
    ) -> StoryCandidates:
        """Stories posted under any of ``features`` with last_seen >= since (the newest ``limit`` per
        feature), and the DF of every feature they name."""
        ...

    async def load_story(self, story_id: str) -> StoryState | None:
        """The full state of one story."""
        ...

    async def commit(self, commit: StoryCommit) -> CommitResult:
        """Apply a story update if nothing changed since it was read (see module docstring)."""
        ...


class MemoryStore:
    """A process-local backend with the same semantics (no TTLs: the CLI runs over a finite file)."""

    def __init__(self, band_cap: int = 4, max_candidates: int = 16) -> None:
        self.band_cap, self.max_candidates = band_cap, max_candidates
        self.bands: dict[bytes, list[str]] = {}
        self.content: dict[bytes, str] = {}
        self.signatures: dict[str, tuple[bytes, str]] = {}
        self.article_events: dict[tuple[str, str], bytes] = {}
        self.group_stories: dict[tuple[str, str], str] = {}
        self.states: dict[str, StoryState] = {}
        self.watchlist_stories: dict[str, set[str]] = {}
        self.watchlist_versions: dict[str, int] = {}
        self.df: dict[str, dict[str, int]] = {}
        self.df_total: dict[str, int] = {}
        # (watchlist, feature) -> story -> last_seen: the inverted index of ``story_candidates``
        self.postings: dict[tuple[str, str], dict[str, float]] = {}

    def _hit(self, article_id: str) -> IndexHit | None:
        stored = self.signatures.get(article_id)
        return IndexHit(article_id, stored[0], stored[1]) if stored else None

    async def index(self, article_id: str, fp: Fingerprint, at: float) -> IndexLookup:
        """See ``DedupStore.index``."""
        exact_id = self.content.setdefault(fp.content_key, article_id)
        exact = self._hit(exact_id) if exact_id != article_id else None
        shared: dict[str, int] = {}
        for band in fp.bands:
            members = self.bands.setdefault(band, [])
            for other in members:
                if other != article_id:
                    shared[other] = shared.get(other, 0) + 1
            if article_id not in members:
                members.append(article_id)
                del members[: -self.band_cap]
        found = sorted(shared, key=lambda a: -shared[a])
        if exact is not None and exact.article_id not in shared:
            found.insert(0, exact.article_id)
        hits = [h for h in (self._hit(a) for a in found[: self.max_candidates]) if h is not None]
        hits = [h for h in hits if exact is None or h.article_id != exact.article_id]
        self.signatures.setdefault(article_id, (fp.signature, article_id))
        return IndexLookup(exact, hits)

    async def set_group(self, article_id: str, fp: Fingerprint, group: str) -> None:
        """See ``DedupStore.set_group``."""
        self.signatures[article_id] = (fp.signature, group)

    async def story_view(
        self, watchlist: str, article_id: str, group: str, features: Sequence[str]
    ) -> StoryView:
        """See ``DedupStore.story_view``."""
        replay = self.article_events.get((watchlist, article_id))
        if replay is not None:
            return StoryView(replay, None, 0, {}, 0)
        counts = self.df.get(watchlist, {})
        return StoryView(
            replay=None,
            group_story=self.group_stories.get((watchlist, group)),
            watchlist_version=self.watchlist_versions.get(watchlist, 0),
            df={f: counts[f] for f in features if f in counts},
            df_total=self.df_total.get(watchlist, 0),
        )

    async def story_candidates(
        self, watchlist: str, features: Sequence[str], since: float, limit: int
    ) -> StoryCandidates:
        """See ``DedupStore.story_candidates`` (the same selection as the Redis zsets)."""
        ids: set[str] = set()
        for feature in features:
            posted = self.postings.get((watchlist, feature), {})
            newest = sorted(((t, s) for s, t in posted.items() if t >= since), reverse=True)
            ids.update(s for _, s in newest[:limit])
        digests = [self.states[s].digest() for s in sorted(ids)]
        counts = self.df.get(watchlist, {})
        named = {f for d in digests for f in d.features}
        return StoryCandidates(digests, {f: counts[f] for f in named if f in counts})

    async def load_story(self, story_id: str) -> StoryState | None:
        """See ``DedupStore.load_story``."""
        state = self.states.get(story_id)
        return state.model_copy(deep=True) if state else None

    async def commit(self, commit: StoryCommit) -> CommitResult:
        """See ``DedupStore.commit``."""
        key = (commit.watchlist, commit.article_id)
        if key in self.article_events:
            return CommitResult("replay", self.article_events[key])
        current = self.states.get(commit.state.story_id)
        if commit.expected_version is None:
            if self.watchlist_versions.get(commit.watchlist, 0) != commit.expected_watchlist_version:
                return CommitResult("conflict")
        elif current is None or current.version != commit.expected_version:
            return CommitResult("conflict")
        self.states[commit.state.story_id] = commit.state.model_copy(deep=True)
        self.watchlist_stories.setdefault(commit.watchlist, set()).add(commit.state.story_id)
        if commit.expected_version is None:
            self.watchlist_versions[commit.watchlist] = self.watchlist_versions.get(commit.watchlist, 0) + 1
        self.article_events[key] = commit.event
        self.group_stories.setdefault((commit.watchlist, commit.group), commit.state.story_id)
        counts = self.df.setdefault(commit.watchlist, {})
        for entity_id in commit.new_entities:
            counts[entity_id] = counts.get(entity_id, 0) + 1
        if commit.new_story:
            self.df_total[commit.watchlist] = self.df_total.get(commit.watchlist, 0) + 1
        last_seen = commit.state.last_seen.timestamp()
        for feature in commit.postings:
            self.postings.setdefault((commit.watchlist, feature), {})[commit.state.story_id] = last_seen
        return CommitResult("ok", commit.event)
