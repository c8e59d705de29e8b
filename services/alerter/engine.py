"""The alerter's decisions and its scheduler, over the Redis state in ``state.py``.

``on_event`` decides what one story event means on every matching route:

    silenced?                   -> suppressed (silenced)
    new_story seen on route?    -> suppressed (duplicate_new_story); else immediate or group_wait
    development inside window?  -> appended to the window (suppressed: throttled, merged later)
    otherwise                   -> dispatch: quiet hours / rate limit -> digest, else delivery jobs

``run_due`` does the work whose time has come, driven by the Redis schedule and not by incoming
messages: it closes throttle windows (one merged message), sends digests when quiet hours end or
the rate window rolls over, and makes delivery attempts with retries. A restart or another replica
continues from Redis; leases keep two replicas off the same item.

Idempotency: every step is keyed by stable ids (event alert id, ``once`` key, delivery id), and
the event's final state is written last, so a crash anywhere in ``on_event`` is repaired by the
redelivery without a second send. See docs/webhooks.md for the one window that can duplicate.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from typing import Protocol

from services.alerter import metrics
from services.alerter.alert import (
    Alert,
    AlertStory,
    digest_alert,
    event_alert_id,
    merge_stories,
    single_alert,
    story_from_event,
)
from services.alerter.channels import DeliveryError
from services.alerter.clock import Clock, now_utc
from services.alerter.delivery import (
    DeliveryJob,
    SinkFactory,
    dead_letter,
    delivery_log,
    next_attempt_at,
)
from services.alerter.hygiene import quiet_until, rate_window
from services.alerter.routes import AlertingConfig, RetryConfig, RouteConfig
from services.alerter.silences import SilenceStore
from services.alerter.state import AlertState
from shared.logs import get_logger
from shared.messages import AlertDelivery, StoryEvent
from shared.producer import Output

log = get_logger(__name__)

SERVICE = "alerter"
DISPATCHED = ("queued", "digest:")  # outcomes that ``dispatch`` records itself
LOGGED = ("suppressed:", "digest:")  # outcomes logged as ``suppressed`` with the reason after ":"


class Publisher(Protocol):
    """Where the scheduler writes delivery logs and DLQ copies (``shared.producer.Producer``)."""

    async def send_all(self, outputs: Sequence[Output]) -> None:
        """Write and wait for acknowledgement."""
        ...


class AlertEngine:
    """Decisions (``on_event``) and scheduled work (``run_due``) of the alerter."""

    def __init__(
        self,
        *,
        state: AlertState,
        config: Callable[[], AlertingConfig],
        sinks: SinkFactory,
        publisher: Publisher,
        silences: SilenceStore,
        clock: Clock,
        alerts_topic: str,
        dlq_topic: str,
        max_concurrency: int = 32,
    ) -> None:
        self.state, self.config, self.sinks, self.publisher = state, config, sinks, publisher
        self.silences, self.clock = silences, clock
        self.alerts_topic, self.dlq_topic = alerts_topic, dlq_topic
        self.wake = asyncio.Event()
        self.max_concurrency = max_concurrency
        self.channel_cap = max(1, max_concurrency // 2)
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._inflight: set[str] = set()
        self._released: set[str] = set()

    # -- decisions -----------------------------------------------------------------------------
    async def on_event(self, event: StoryEvent) -> list[Output]:
        """Decide what a story event means on each matching route. Returns delivery-log records of
        suppressions (written by the consumer runtime with the batch)."""
        outputs: list[Output] = []
        now = self.clock.time()
        for route in self.config().matching(event):
            aid = event_alert_id(event, route.name)
            prior = await self.state.event_state(aid)
            story = story_from_event(event, route.name)
            if prior is not None:
                # A redelivered event (or the same change reported twice): nothing is sent again.
                # A suppression is logged again (the log is at-least-once; readers key on alert_id).
                metrics.SUPPRESSED.labels("duplicate").inc()
                if prior.startswith(LOGGED):
                    alert = single_alert(story, route.name, now_utc(self.clock))
                    outputs += self._suppressed(alert, route, prior.split(":", 1)[1], count=False)
                continue
            outcome = await self._decide(event, story, route, now)
            if outcome.startswith(LOGGED):
                # held for a digest: logged now under this alert's id (reason quiet_hours or
                # rate_limit); the digest's own delivery is logged when it goes out
                alert = single_alert(story, route.name, now_utc(self.clock))
                digest = outcome.startswith("digest:")
                outputs += self._suppressed(alert, route, outcome.split(":", 1)[1], count_reason=not digest)
            if not outcome.startswith(DISPATCHED):
                # written last: a crash before this line replays the (idempotent) steps above
                await self.state.set_event_state(aid, outcome)
        return outputs

    async def _decide(self, event: StoryEvent, story: AlertStory, route: RouteConfig, now: float) -> str:
        if await self.silences.matching(story, route.name) is not None:
            return "suppressed:silenced"
        interval = route.throttle.min_interval_seconds if route.throttle else 0.0
        member = f"p|{route.name}|{event.story_id}"
        pending = self.state.pending_key(route.name, event.story_id)
        if event.kind == "new_story":
            owner = await self.state.claim_once(route.name, event.story_id, story.event_alert_ids[0])
            if not owner:
                return "suppressed:duplicate_new_story"
            if route.group_wait_seconds > 0:
                due = now + route.group_wait_seconds
                await self.state.push(pending, story.model_dump_json().encode())
                await self.state.schedule(member, due, earliest=True)
                # developments arriving before the first message join it
                await self.state.set_last_sent(route.name, event.story_id, due, self._window_ttl(route))
                return "pending:group_wait"
        else:
            last = await self.state.last_sent(route.name, event.story_id)
            if await self.state.exists(pending) or (last is not None and now < last + interval):
                await self.state.push(pending, story.model_dump_json().encode())
                due = max(now, (last or now) + interval)
                await self.state.schedule(member, due, earliest=True)
                return "suppressed:throttled"
        alert = single_alert(story, route.name, now_utc(self.clock))
        window = (event.story_id, self._window_ttl(route))
        return await self.dispatch(alert, route, now, event_id=story.event_alert_ids[0], window=window)

    @staticmethod
    def _window_ttl(route: RouteConfig) -> float:
        interval = route.throttle.min_interval_seconds if route.throttle else 0.0
        return max(2 * interval, 7 * 86400)

    async def dispatch(
        self,
        alert: Alert,
        route: RouteConfig,
        now: float,
        *,
        digest: bool = False,
        event_id: str | None = None,
        window: tuple[str, float] | None = None,
    ) -> str:
        """Quiet hours and the rate limit turn an alert into a digest entry; otherwise queue one
        delivery job per channel. Digests themselves skip both checks.

        ``window`` (story id, ttl) starts the story's throttle window; ``event_id`` gets the
        outcome recorded as the last write (the caller must not write it again).
        """
        outcome = "queued"
        if not digest:
            if route.quiet_hours is not None:
                end = quiet_until(route.quiet_hours, now)
                if end is not None:
                    await self._to_digest(alert, route, "quiet_hours", end)
                    outcome = "digest:quiet_hours"
            if outcome == "queued" and route.rate_limit is not None:
                index, end = rate_window(now, route.rate_limit.per_seconds)
                count = await self.state.rate_hit(route.name, index, route.rate_limit.per_seconds * 2)
                if count > route.rate_limit.max_alerts:
                    await self._to_digest(alert, route, "rate_limit", end)
                    outcome = "digest:rate_limit"
        if outcome != "queued":
            if window is not None:
                await self.state.set_last_sent(route.name, window[0], now, window[1])
            if event_id is not None:
                await self.state.set_event_state(event_id, outcome)
            return outcome
        channels = self.config().channels
        jobs: list[tuple[str, bytes, str]] = []
        for name in route.channels:
            channel = channels.get(name)
            if channel is None or channel.disabled:
                metrics.SUPPRESSED.labels("channel_disabled").inc()
                continue
            job = DeliveryJob(alert=alert, channel=name)
            jobs.append((job.delivery_id, job.model_dump_json().encode(), job.member))
        await self.state.enqueue(
            jobs,
            now,
            window=(route.name, window[0], now, window[1]) if window is not None else None,
            event=(event_id, outcome) if event_id is not None else None,
        )
        self.wake.set()
        return outcome

    async def _to_digest(self, alert: Alert, route: RouteConfig, reason: str, due: float) -> None:
        for story in alert.stories:
            item = json.dumps({"reason": reason, "story": json.loads(story.model_dump_json())})
            await self.state.push(self.state.digest_key(route.name), item.encode())
        await self.state.schedule(f"g|{route.name}", due, earliest=True)
        metrics.SUPPRESSED.labels(reason).inc()

    def _suppressed(
        self, alert: Alert, route: RouteConfig, reason: str, *, count: bool = True, count_reason: bool = True
    ) -> list[Output]:
        outs = []
        for channel in route.channels:
            if count:
                metrics.ALERTS.labels(route.name, channel, "suppressed").inc()
            record = delivery_log(alert, channel, "suppressed", attempts=0, reason=reason)
            outs.append(Output(self.alerts_topic, record.story_id, record))
        if count and count_reason:
            metrics.SUPPRESSED.labels(reason).inc()
        return outs

    # -- scheduled work ------------------------------------------------------------------------
    async def run_due(self, limit: int = 200) -> int:
        """Do the work that is due now and wait for it (tests, one-shot use); returns the count."""
        members = await self._pick(limit)
        await asyncio.gather(*(self._run_member(m) for m in members))
        return len(members)

    async def _pick(self, limit: int) -> list[str]:
        """Due members not in flight, at most ``channel_cap`` per channel so one hanging endpoint
        cannot take every delivery slot; marks them in flight."""
        # look further than ``limit``: the head of the schedule may be a capped (dead) channel's retries
        due = await self.state.due(self.clock.time(), max(200, 4 * limit) + len(self._inflight))
        per_channel: dict[str, int] = {}
        for m in self._inflight:
            if m.startswith("d|"):
                per_channel[m.rsplit("|", 1)[1]] = per_channel.get(m.rsplit("|", 1)[1], 0) + 1
        picked: list[str] = []
        for m in due:
            if m in self._inflight or len(picked) >= limit:
                continue
            if m.startswith("d|"):
                channel = m.rsplit("|", 1)[1]
                if per_channel.get(channel, 0) >= self.channel_cap:
                    continue
                per_channel[channel] = per_channel.get(channel, 0) + 1
            self._inflight.add(m)
            picked.append(m)
        return picked

    async def run(self, stop: asyncio.Event, interval: float) -> None:
        """Scheduler loop until ``stop``: keeps up to ``max_concurrency`` items in flight, starting
        new ones as soon as slots free up (a slow endpoint never holds back a whole round); sleeps
        until woken by new work, a finished item, or ``interval``."""
        failures = 0
        tasks: set[asyncio.Task[None]] = set()
        while not stop.is_set():
            try:
                free = self.max_concurrency - len(tasks)
                for member in await self._pick(free) if free > 0 else []:
                    tasks.add(asyncio.create_task(self._run_member(member)))
                metrics.SCHEDULED.set(await self.state.scheduled_count())
                failures = 0
            except Exception as exc:  # Redis down: keep trying, the work is all in Redis
                failures += 1
                log.warning("scheduler error (%s: %s); retrying", type(exc).__name__, exc)
                await asyncio.sleep(min(10.0, 0.2 * 2**failures))
                continue
            self.wake.clear()
            waker = asyncio.ensure_future(self.wake.wait())
            done, _ = await asyncio.wait(
                {waker, *tasks}, timeout=interval, return_when=asyncio.FIRST_COMPLETED
            )
            waker.cancel()
            for task in done - {waker}:
                tasks.discard(task)
                if not task.cancelled() and (error := task.exception()) is not None:
                    log.warning(
                        "scheduled item failed (%s: %s); its lease expires and it is retried",
                        type(error).__name__,
                        error,
                    )
        if tasks:  # let items in flight finish (their leases would otherwise delay a successor)
            await asyncio.wait(tasks, timeout=30)

    async def _run_member(self, member: str) -> None:
        """Work on one schedule member (already marked in flight by ``_pick``)."""
        try:
            token, due = await self.state.claim(member)
        except Exception:
            self._inflight.discard(member)
            raise
        if token is None:
            self._inflight.discard(member)
            return
        async with self._semaphore:
            kind, _, rest = member.partition("|")
            try:
                if due is None or due > self.clock.time():
                    return  # done or rescheduled by someone else meanwhile
                if kind == "d":
                    await self._deliver(member, rest)
                elif kind == "p":
                    route_name, _, story_id = rest.partition("|")
                    await self._flush_window(member, route_name, story_id)
                elif kind == "g":
                    await self._flush_digest(member, rest)
                else:
                    log.error("unknown schedule member %r dropped", member)
                    await self.state.unschedule(member)
            except Exception as exc:
                log.exception("scheduled work %s failed (%s); retrying in 5s", kind, exc)
                await self.state.schedule(member, self.clock.time() + 5)
            finally:
                self._inflight.discard(member)
                if member in self._released:  # ``finish`` dropped the lease with the job
                    self._released.discard(member)
                else:
                    await self.state.unlock(member, token)

    async def _finish(self, member: str, list_key: str, again_at: float) -> None:
        """Unschedule, then re-check for arrivals: remove-then-check never loses an append."""
        await self.state.unschedule(member)
        if await self.state.exists(list_key):
            await self.state.schedule(member, again_at, earliest=True)

    async def _flush_window(self, member: str, route_name: str, story_id: str) -> None:
        route = self.config().route(route_name)
        key = self.state.pending_key(route_name, story_id)
        items = [AlertStory.model_validate_json(raw) for raw in await self.state.take(key)]
        now = self.clock.time()
        interval = route.throttle.min_interval_seconds if route and route.throttle else 0.0
        if items:
            merged = merge_stories(items)
            alert = single_alert(merged, route_name, now_utc(self.clock))
            if route is None:
                metrics.SUPPRESSED.labels("route_removed").inc()
                log.warning("route %s removed: window of story %s dropped", route_name, story_id)
            elif (silence := await self.silences.matching(merged, route_name)) is not None:
                await self.publisher.send_all(self._suppressed(alert, route, "silenced"))
                log.info("window silenced", extra={"silence": silence.id, "route": route_name})
            else:
                await self.state.set_last_sent(route_name, story_id, now, self._window_ttl(route))
                outcome = await self.dispatch(alert, route, now)
                if outcome.startswith("digest:"):
                    log.info("window went to digest", extra={"route": route_name, "reason": outcome})
        await self.state.drop_taken(key)
        await self._finish(member, key, now + interval)

    async def _flush_digest(self, member: str, route_name: str) -> None:
        route = self.config().route(route_name)
        now = self.clock.time()
        if route is not None and route.quiet_hours is not None:
            end = quiet_until(route.quiet_hours, now)
            if end is not None:  # still quiet (config changed, or clock skew): wait for the end
                await self.state.schedule(member, end)
                return
        key = self.state.digest_key(route_name)
        stories: dict[str, AlertStory] = {}
        reasons: set[str] = set()
        for raw in await self.state.take(key):
            item = json.loads(raw)
            story = AlertStory.model_validate(item["story"])
            reasons.add(item["reason"])
            # the latest entry of a story wins, with every change it collected
            previous = stories.get(story.story_id)
            stories[story.story_id] = merge_stories([previous, story]) if previous else story
        if stories and route is not None:
            reason = "quiet_hours" if "quiet_hours" in reasons else "rate_limit"
            ordered = sorted(stories.values(), key=lambda s: s.story.last_seen, reverse=True)
            alert = digest_alert(ordered, route_name, reason, now_utc(self.clock))
            await self.dispatch(alert, route, now, digest=True)
        elif stories:
            metrics.SUPPRESSED.labels("route_removed").inc()
        await self.state.drop_taken(key)
        await self._finish(member, key, now + 1)

    async def _deliver(self, member: str, rest: str) -> None:
        alert_id, _, channel_name = rest.partition("|")
        delivery_id = f"{alert_id}:{channel_name}"
        raw, recorded = await self.state.load_delivery(delivery_id)
        if raw is None:
            await self.state.unschedule(member)
            return
        job = DeliveryJob.model_validate_json(raw)
        cfg = self.config()
        route = cfg.route(job.alert.route)
        if recorded in ("sent", "failed"):
            # crashed after the outcome was recorded: only the log and clean-up are left
            await self._complete(job, member, recorded, job.last_error)
            return
        channel = cfg.channels.get(channel_name)
        if channel is None or channel.disabled:
            await self._complete(job, member, "failed", f"channel {channel_name} removed or disabled")
            return
        retry = route.retry if route and route.retry else RetryConfig()
        now = self.clock.time()
        job.attempts += 1
        if job.first_attempt_at is None:
            job.first_attempt_at = now
        # Reserve before sending. The one window that can duplicate: a crash after the endpoint
        # accepted the request and before "sent" is recorded makes the next owner send again.
        await self.state.set_delivery_state(delivery_id, f"sending:{job.attempts}")
        started = asyncio.get_running_loop().time()
        try:
            await self.sinks.sink(channel).send(job.alert)
        except DeliveryError as exc:
            at = next_attempt_at(job, self.clock.time(), exc, retry)
            job.last_error = exc.reason
            if at is None:
                await self._complete(job, member, "failed", exc.reason)
                return
            metrics.RETRIES.labels(channel_name).inc()
            log.warning(
                "delivery attempt %d failed (%s); retrying in %.1fs",
                job.attempts,
                exc.reason,
                at - self.clock.time(),
                extra={"route": job.alert.route, "channel": channel_name, "alert_id": alert_id},
            )
            await self.state.put_job(delivery_id, job.model_dump_json().encode())
            await self.state.set_delivery_state(delivery_id, "retrying")
            await self.state.schedule(member, at)
            return
        metrics.DELIVERY_SECONDS.labels(channel_name).observe(asyncio.get_running_loop().time() - started)
        await self.state.set_delivery_state(delivery_id, "sent")  # as soon as possible: see above
        await self._complete(job, member, "sent", None)

    async def _complete(self, job: DeliveryJob, member: str, status: str, reason: str | None) -> None:
        """Write the outcome (delivery log, DLQ copy for failures), then forget the job."""
        alert, channel = job.alert, job.channel
        outputs: list[Output] = []
        if status == "sent":
            latency = max(0.0, self.clock.time() - alert.oldest_fetched_at.timestamp())
            metrics.PIPELINE_LATENCY.observe(latency)
            record: AlertDelivery = delivery_log(
                alert, channel, "sent", attempts=job.attempts, latency=latency
            )
        else:
            await self.state.set_delivery_state(job.delivery_id, "failed")  # before the DLQ write
            metrics.DEAD_LETTERS.labels(channel).inc()
            log.error(
                "alert delivery failed after %d attempts: %s; written to %s",
                job.attempts,
                reason,
                self.dlq_topic,
                extra={"route": alert.route, "channel": channel, "alert_id": alert.alert_id},
            )
            record = delivery_log(alert, channel, "failed", attempts=job.attempts, reason=reason)
            outputs.append(dead_letter(job, reason or "failed", self.dlq_topic, self.clock, SERVICE))
        metrics.ALERTS.labels(alert.route, channel, record.status).inc()
        outputs.append(Output(self.alerts_topic, record.story_id, record))
        # outputs first (acks=all), then forget the job: a crash in between repeats the log, not the send
        await self.publisher.send_all(outputs)
        await self.state.finish(job.delivery_id, member, status)
        self._released.add(member)
