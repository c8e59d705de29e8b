"""Alerter state in Redis. Every key is under ``<prefix>alert:`` and has a TTL, except the
schedule (a sorted set whose members are removed when done) and the silences hash (entries carry
their own expiry and are pruned on read).

    alert:ev:<alert_id>            what happened to one event on one route (SET NX = idempotency)
    alert:once:<route>:<story>     the story's new_story alert was taken on this route
    alert:last:<route>:<story>     when the story's last message went out on this route
    alert:pend:<route>:<story>     events waiting for the throttle window / group_wait (list)
    alert:dig:<route>              alert stories waiting for a digest (list)
    alert:job:<alert_id>:<chan>    a delivery in progress: alert, attempts, first attempt time
    alert:dlv:<alert_id>:<chan>    delivery state: sending -> sent (the send-side idempotency key)
    alert:rate:<route>:<window>    alerts sent in one rate-limit window
    alert:lock:<member>            lease of a replica working on a schedule member
    alert:sched                    due time of every pending piece of work (sorted set)
    alert:silences                 silences by id (hash)

Schedule members: ``d|<alert_id>|<channel>`` delivery attempt, ``p|<route>|<story>`` window
flush, ``g|<route>`` digest flush.
"""

from __future__ import annotations

import uuid
from typing import Any

from shared.redis_store import Keys


class AlertState:
    """Thin, typed access to the alerter's Redis keys."""

    def __init__(self, redis: Any, prefix: str, *, ttl_seconds: float, lease_seconds: float) -> None:
        self.redis = redis
        self.keys = Keys(prefix + "alert:")
        self.ttl = int(ttl_seconds)
        self.lease_ms = int(lease_seconds * 1000)
        self.sched = self.keys.of("sched")
        self.silences = self.keys.of("silences")

    # -- idempotency ---------------------------------------------------------------------------
    async def event_state(self, alert_id: str) -> str | None:
        """What was decided for one event on one route (None: not handled yet)."""
        raw = await self.redis.get(self.keys.of("ev", alert_id))
        return raw.decode() if raw is not None else None

    async def set_event_state(self, alert_id: str, state: str) -> None:
        """Record the decision; written last, after every step it implies."""
        await self.redis.set(self.keys.of("ev", alert_id), state, ex=self.ttl)

    async def claim_once(self, route: str, story_id: str, owner: str) -> bool:
        """SET NX the story's new_story slot on a route. True for the first claimer, and again
        for the same ``owner`` (a redelivered event redoing its steps after a crash)."""
        key = self.keys.of("once", route, story_id)
        if await self.redis.set(key, owner, nx=True, ex=self.ttl):
            return True
        current = await self.redis.get(key)
        return current is not None and current.decode() == owner

    async def delivery_state(self, delivery_id: str) -> str | None:
        """``queued`` | ``sending:<attempt>`` | ``sent`` | ``failed`` or None."""
        raw = await self.redis.get(self.keys.of("dlv", delivery_id))
        return raw.decode() if raw is not None else None

    async def set_delivery_state(self, delivery_id: str, state: str) -> None:
        """Move a delivery to ``sending:<n>``, ``sent`` or ``failed``."""
        await self.redis.set(self.keys.of("dlv", delivery_id), state, ex=self.ttl)

    # -- throttle windows ----------------------------------------------------------------------
    async def last_sent(self, route: str, story_id: str) -> float | None:
        """When the story's last message went out on the route (or is due to, for group_wait)."""
        raw = await self.redis.get(self.keys.of("last", route, story_id))
        return float(raw) if raw is not None else None

    async def set_last_sent(self, route: str, story_id: str, when: float, ttl: float) -> None:
        """Start a throttle window at ``when``."""
        await self.redis.set(self.keys.of("last", route, story_id), repr(when), ex=max(60, int(ttl)))

    def pending_key(self, route: str, story_id: str) -> str:
        """The list of events waiting for a route/story window."""
        return self.keys.of("pend", route, story_id)

    def digest_key(self, route: str) -> str:
        """The list of stories waiting for a route's digest."""
        return self.keys.of("dig", route)

    async def push(self, list_key: str, item: bytes) -> None:
        """Append to a waiting list (with a TTL so a forgotten list cannot grow forever)."""
        await self.redis.rpush(list_key, item)
        await self.redis.expire(list_key, self.ttl)

    async def exists(self, key: str) -> bool:
        """True when the key exists."""
        return bool(await self.redis.exists(key))

    async def take(self, list_key: str) -> list[bytes]:
        """Move a waiting list aside (``<key>:flushing``) and return it.

        A flushing list left by a crash is returned again (the caller's work is idempotent);
        events appended meanwhile stay in the live list for the next window.
        """
        flushing = list_key + ":flushing"
        if not await self.redis.exists(flushing):
            if not await self.redis.exists(list_key):
                return []
            await self.redis.rename(list_key, flushing)
        items: list[bytes] = await self.redis.lrange(flushing, 0, -1)
        return items

    async def drop_taken(self, list_key: str) -> None:
        """Forget a flushed list."""
        await self.redis.delete(list_key + ":flushing")

    # -- schedule ------------------------------------------------------------------------------
    async def schedule(self, member: str, due: float, *, earliest: bool = False) -> None:
        """Set the due time of ``member``; with ``earliest`` keep an earlier existing time."""
        if earliest:
            current = await self.redis.zscore(self.sched, member)
            if current is not None and float(current) <= due:
                return
        await self.redis.zadd(self.sched, {member: due})

    async def unschedule(self, member: str) -> None:
        """Remove ``member`` from the schedule."""
        await self.redis.zrem(self.sched, member)

    async def due(self, now: float, limit: int) -> list[str]:
        """Members due at ``now``, earliest first."""
        raw = await self.redis.zrangebyscore(self.sched, "-inf", now, start=0, num=limit)
        return [m.decode() for m in raw]

    async def scheduled_count(self) -> int:
        """Pieces of work in the schedule."""
        return int(await self.redis.zcard(self.sched))

    async def unlock(self, member: str, token: str) -> None:
        """Release a lease we still hold."""
        key = self.keys.of("lock", member)
        current = await self.redis.get(key)
        if current is not None and current.decode() == token:
            await self.redis.delete(key)

    # -- jobs ----------------------------------------------------------------------------------
    async def put_job(self, delivery_id: str, body: bytes) -> None:
        """Store a delivery job."""
        await self.redis.set(self.keys.of("job", delivery_id), body, ex=self.ttl)

    # -- batched hot paths (one round trip each) ---------------------------------------------
    async def enqueue(
        self,
        jobs: list[tuple[str, bytes, str]],
        due: float,
        *,
        window: tuple[str, str, float, float] | None = None,
        event: tuple[str, str] | None = None,
    ) -> None:
        """Queue delivery jobs ``(delivery_id, body, member)`` in one MULTI/EXEC, optionally
        starting a throttle window ``(route, story, when, ttl)`` and recording an event's state
        (last, so it is only there when everything before it is).

        Everything is NX: redoing it after a crash never resets a job or moves it in the schedule.
        """
        async with self.redis.pipeline(transaction=True) as pipe:
            if window is not None:
                route, story_id, when, ttl = window
                pipe.set(self.keys.of("last", route, story_id), repr(when), ex=max(60, int(ttl)))
            for delivery_id, body, member in jobs:
                pipe.set(self.keys.of("dlv", delivery_id), "queued", nx=True, ex=self.ttl)
                pipe.set(self.keys.of("job", delivery_id), body, nx=True, ex=self.ttl)
                pipe.zadd(self.sched, {member: due}, nx=True)
            if event is not None:
                pipe.set(self.keys.of("ev", event[0]), event[1], ex=self.ttl)
            await pipe.execute()

    async def claim(self, member: str) -> tuple[str | None, float | None]:
        """Take the lease on ``member`` and read its due time in one round trip."""
        token = uuid.uuid4().hex
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(self.keys.of("lock", member), token, nx=True, px=self.lease_ms)
            pipe.zscore(self.sched, member)
            locked, score = await pipe.execute()
        return (token if locked else None), (float(score) if score is not None else None)

    async def load_delivery(self, delivery_id: str) -> tuple[bytes | None, str | None]:
        """A job and its delivery state."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(self.keys.of("job", delivery_id))
            pipe.get(self.keys.of("dlv", delivery_id))
            job, state = await pipe.execute()
        return job, (state.decode() if state is not None else None)

    async def finish(self, delivery_id: str, member: str, state: str) -> None:
        """Record the final delivery state, forget the job, unschedule it and drop the lease."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.keys.of("dlv", delivery_id), state, ex=self.ttl)
            pipe.delete(self.keys.of("job", delivery_id))
            pipe.zrem(self.sched, member)
            pipe.delete(self.keys.of("lock", member))
            await pipe.execute()

    # -- rate limit ----------------------------------------------------------------------------
    async def rate_hit(self, route: str, window: int, ttl: int) -> int:
        """Count one alert in a route's rate window; returns the count including this one."""
        key = self.keys.of("rate", route, str(window))
        count = int(await self.redis.incr(key))
        if count == 1:
            await self.redis.expire(key, ttl)
        return count
