"""The Redis backend of the dedup engine (the service's store). Layout, all under the prefix:

    dd:x:{epoch}:{bucket}   hash  content key (8 B) -> epoch byte + article handle (exact copies)
    dd:b:{epoch}:{bucket}   hash  band key (6 B)    -> (epoch byte + article handle) x band_cap, newest last
    dd:s:{epoch}:{bucket}   hash  article handle    -> article id + group id + signature
    dd:n:{epoch}            str   articles indexed in the epoch (for the index-size metric)
    st:a:{wl}:{article}     str   story id   (article -> story map; the redelivery guard)
    st:e:{wl}:{article}     str   the story event emitted for the article (replayed on redelivery)
    st:g:{wl}:{group}       str   story id of a near-duplicate group (SET NX)
    st:s:{story}            str   story state JSON (carries its version)
    st:d:{wl} / st:t:{wl}   hash / zset  story digests / last_seen of the watchlist's stories
    st:f:{wl}:{feature}     zset  stories naming the feature, scored by their last_seen (inverted index)
    st:v:{wl}               str   watchlist version (bumped by every story creation)
    st:df:{wl}              hash  entity document frequencies (+ "#total")

Index hashes are bucketed per epoch (``horizon / 2``) so many small entries share one key and stay
in Redis's compact listpack encoding (a lookup scans its bucket: band buckets are sized to hold
about 64 fields, see ``DedupConfig.band_buckets``); a bucket expires a horizon after its epoch
ends, so an entry lives between one and 1.5 horizons. A content or band bucket carries an empty
field, written with its TTL when the index script creates it, so the script sets each key's TTL
once rather than on every write. Every other key has TTL = horizon (events: ``event_ttl``);
postings and digests older than a horizon before the committed story's last_seen are pruned.
An article handle is 8 bytes of blake2b(article id); full ids are stored once, in the signature
value, as a length byte + hex-decoded bytes (17 B for the usual 32 hex chars).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from shared.redis_pipe import RedisPipe

from . import redis_scripts
from .fingerprint import Fingerprint
from .settings import DedupConfig
from .store import CommitResult, IndexHit, IndexLookup, StoryCandidates, StoryCommit, StoryView
from .story import StoryDigest, StoryState

EPOCHS_PER_HORIZON = 2
MAX_CANDIDATES = 16
DIGEST_CACHE = 20000


def encode_id(article_id: str) -> bytes:
    """Hex article id -> its length byte + the hex-decoded bytes (odd lengths padded)."""
    padded = article_id if len(article_id) % 2 == 0 else article_id + "0"
    return bytes((len(article_id),)) + bytes.fromhex(padded)


def decode_id(raw: bytes) -> str:
    """Inverse of ``encode_id``."""
    return raw[1:].hex()[: raw[0]]


def handle(article_id: str) -> bytes:
    """The 8-byte name of an article inside the index (band and content slots, signature field)."""
    return hashlib.blake2b(article_id.encode(), digest_size=8).digest()


def _signature_value(article_id: str, group: str, fp: Fingerprint) -> bytes:
    aid, gid = encode_id(article_id), encode_id(group)
    return bytes((len(aid),)) + aid + bytes((len(gid),)) + gid + fp.signature


def _parse_signature_value(value: bytes) -> IndexHit:
    alen = value[0]
    glen = value[1 + alen]
    start = 2 + alen + glen
    return IndexHit(decode_id(value[1 : 1 + alen]), value[start:], decode_id(value[2 + alen : start]))


def _bucket(data: bytes, buckets: int) -> int:
    return int.from_bytes(data[:4].ljust(4, b"\0"), "big") % buckets


def _band_buckets(blob: bytes, buckets: int) -> str:
    """The bucket of every 6-byte band field of ``blob`` (first 4 bytes, big-endian, mod ``buckets``)
    as space-separated decimals: formatting numbers is cheap here and slow in Lua."""
    fields = np.frombuffer(blob, dtype=np.uint8).reshape(-1, 6)
    heads = np.ascontiguousarray(fields[:, :4]).view(">u4").ravel()
    return " ".join(map(str, (heads % buckets).tolist()))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisStore:
    """``DedupStore`` on Redis: Lua scripts for index claims, story reads and story commits."""

    def __init__(self, redis: aioredis.Redis, prefix: str, config: DedupConfig) -> None:
        self.redis, self.prefix, self.config = redis, prefix, config
        self.horizon = int(config.horizon_days * 86400)
        self.epoch_seconds = max(1, self.horizon // EPOCHS_PER_HORIZON)
        self.event_ttl = int(config.event_ttl_hours * 3600)
        self._pipe = RedisPipe.for_client(redis)
        self._index = redis.register_script(redis_scripts.INDEX)
        self._view = redis.register_script(redis_scripts.STORY_VIEW)
        self._candidates = redis.register_script(redis_scripts.STORY_CANDIDATES)
        self._commit = redis.register_script(redis_scripts.COMMIT)
        self._digests: dict[bytes, StoryDigest] = {}

    async def _eval(self, script: AsyncScript, keys: list[Any], args: list[Any]) -> Any:
        if self._pipe is None:
            return await script(keys=keys, args=args)
        return await self._pipe.evalsha(script.sha, script.script, keys, args)

    async def close(self) -> None:
        """Close the store's own connection (the redis-py client is the caller's)."""
        if self._pipe is not None:
            await self._pipe.close()

    def key(self, *parts: str) -> str:
        """A key under the prefix."""
        return self.prefix + ":".join(parts)

    def _epochs(self, now: float) -> list[int]:
        current = int(now // self.epoch_seconds)
        return [current - i for i in range(EPOCHS_PER_HORIZON + 1)]

    async def index(self, article_id: str, fp: Fingerprint, at: float) -> IndexLookup:
        """See ``DedupStore.index`` (one script call; epochs follow the wall clock, not ``at``)."""
        epochs = self._epochs(time.time())
        own_handle = handle(article_id)
        own = bytes((epochs[0] % 256,)) + own_handle
        expire_at = (epochs[0] + 1) * self.epoch_seconds + self.horizon
        blob = fp.band_blob
        args: list[Any] = [
            self.prefix,
            len(epochs),
            *epochs,
            self.config.index_buckets,
            fp.content_key,
            _bucket(fp.content_key, self.config.index_buckets),
            own,
            expire_at,
            MAX_CANDIDATES,
            _signature_value(article_id, article_id, fp),
            self.config.band_cap,
            blob,
            _band_buckets(blob, self.config.band_buckets),
            _bucket(own_handle, self.config.index_buckets),
        ]
        reply = await self._eval(self._index, [], args)
        exact_raw: bytes = reply[0]
        hits: list[IndexHit] = []
        exact: IndexHit | None = None
        for owner, value in zip(reply[1::2], reply[2::2], strict=True):
            hit = _parse_signature_value(bytes(value))
            if exact_raw and owner == exact_raw:
                exact = hit
            else:
                hits.append(hit)
        return IndexLookup(exact, hits)

    async def set_group(self, article_id: str, fp: Fingerprint, group: str) -> None:
        """See ``DedupStore.set_group``."""
        epoch = self._epochs(time.time())[0]
        own = handle(article_id)
        key = self.key("dd", "s", str(epoch), str(_bucket(own, self.config.index_buckets)))
        value = _signature_value(article_id, group, fp)
        expire_at = (epoch + 1) * self.epoch_seconds + self.horizon
        if self._pipe is None:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.hset(key, own, value)
                pipe.expireat(key, expire_at)
                await pipe.execute()
        else:
            await self._pipe.execute_many(("HSET", key, own, value), ("EXPIREAT", key, expire_at))

    async def index_stats(self) -> tuple[int, int]:
        """(articles indexed in the live epochs, Redis used_memory bytes) for the metrics."""
        counts = await self.redis.mget([self.key("dd", "n", str(e)) for e in self._epochs(time.time())])
        info = await self.redis.info("memory")
        return sum(int(c) for c in counts if c), int(info["used_memory"])

    def _story_keys(self, watchlist: str, article_id: str, group: str) -> list[str]:
        return [
            self.key("st", "a", watchlist, article_id),
            self.key("st", "e", watchlist, article_id),
            self.key("st", "g", watchlist, group),
        ]

    def _watchlist_keys(self, watchlist: str) -> list[str]:
        return [
            self.key("st", "d", watchlist),
            self.key("st", "t", watchlist),
            self.key("st", "v", watchlist),
            self.key("st", "df", watchlist),
        ]

    def _posting_key(self, watchlist: str, feature: str) -> str:
        return self.key("st", "f", watchlist, feature)

    async def story_view(
        self, watchlist: str, article_id: str, group: str, features: Sequence[str]
    ) -> StoryView:
        """See ``DedupStore.story_view``."""
        keys = [
            *self._story_keys(watchlist, article_id, group),
            self.key("st", "v", watchlist),
            self.key("st", "df", watchlist),
        ]
        reply = await self._eval(self._view, keys, list(features))
        if reply[0] == 1:
            return StoryView(bytes(reply[1]), None, 0, {}, 0)
        _, group_story, version, total, df = reply
        return StoryView(
            replay=None,
            group_story=_text(group_story) or None,
            watchlist_version=int(version),
            df={f: int(n) for f, n in zip(features, df, strict=True) if n},
            df_total=int(total),
        )

    async def story_candidates(
        self, watchlist: str, features: Sequence[str], since: float, limit: int
    ) -> StoryCandidates:
        """See ``DedupStore.story_candidates``."""
        keys = [
            self.key("st", "d", watchlist),
            self.key("st", "df", watchlist),
            *(self._posting_key(watchlist, f) for f in features),
        ]
        ids, digests, named, df = await self._eval(self._candidates, keys, [since, limit])
        found = sorted((_text(i), bytes(d)) for i, d in zip(ids, digests, strict=True) if d)
        return StoryCandidates(
            stories=[self._digest(d) for _, d in found],
            df={_text(f): int(n) for f, n in zip(named, df, strict=True) if n},
        )

    def _digest(self, raw: bytes) -> StoryDigest:
        # The same digests come back for every article of a busy watchlist: parse each version once.
        digest = self._digests.get(raw)
        if digest is None:
            if len(self._digests) >= DIGEST_CACHE:
                self._digests.clear()
            digest = self._digests[raw] = StoryDigest.model_validate_json(raw)
        return digest

    async def load_story(self, story_id: str) -> StoryState | None:
        """See ``DedupStore.load_story``."""
        key = self.key("st", "s", story_id)
        raw = await (self.redis.get(key) if self._pipe is None else self._pipe.execute("GET", key))
        return StoryState.model_validate_json(raw) if raw else None

    async def commit(self, commit: StoryCommit) -> CommitResult:
        """See ``DedupStore.commit``."""
        state = commit.state
        keys = [
            *self._story_keys(commit.watchlist, commit.article_id, commit.group),
            self.key("st", "s", state.story_id),
            *self._watchlist_keys(commit.watchlist),
            *(self._posting_key(commit.watchlist, f) for f in commit.postings),
        ]
        last_seen = state.last_seen.timestamp()
        args: list[Any] = [
            "" if commit.expected_version is None else str(commit.expected_version),
            str(commit.expected_watchlist_version),
            state.story_id,
            state.model_dump_json(),
            state.digest().model_dump_json(),
            last_seen,
            commit.event,
            self.horizon,
            self.event_ttl,
            last_seen - self.horizon,
            "1" if commit.new_story else "0",
            *commit.new_entities,
        ]
        reply = await self._eval(self._commit, keys, args)
        status = _text(reply[0])
        if status == "replay":
            return CommitResult("replay", bytes(reply[1]))
        if status == "conflict":
            return CommitResult("conflict")
        return CommitResult("ok", commit.event)
