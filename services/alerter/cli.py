"""`wirewatch` subcommands of the alerter:

wirewatch alert check                      validate config/alerting.yaml (secrets masked)
wirewatch alert test --route R             send a test message through every channel of R
wirewatch silence add --entity place:kursk --duration 2h --author ana --comment "drill"
wirewatch silence list [--all]
wirewatch silence rm ID
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from services.alerter.alert import Alert, AlertStory
from services.alerter.channels import DeliveryError
from services.alerter.clock import SystemClock
from services.alerter.delivery import SinkFactory
from services.alerter.routes import AlertingConfig, load_alerting
from services.alerter.settings import AlerterSettings
from services.alerter.silences import Silence, SilenceStore
from services.alerter.state import AlertState
from shared.errors import ConfigError
from shared.messages import Change, StorySnapshot, TriggerArticle
from shared.redis_store import connect

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """``90m``, ``2h``, ``1d12h``, ``45s`` -> timedelta."""
    parts = re.findall(r"(\d+(?:\.\d+)?)([smhdw])", text.strip().lower())
    if not parts or "".join(n + u for n, u in parts) != text.strip().lower():
        raise argparse.ArgumentTypeError(f"invalid duration {text!r} (use e.g. 30m, 2h, 1d)")
    return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in parts))


def _load(args: argparse.Namespace) -> AlertingConfig:
    settings = AlerterSettings()
    path = args.file or settings.alerter.alerting_file
    return load_alerting(path, secrets_file=settings.alerter.secrets_file)


def cmd_check(args: argparse.Namespace) -> int:
    """Validate the alerting config and summarise it."""
    try:
        cfg = _load(args)
    except ConfigError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 1
    for c in cfg.channels.values():
        state = f"disabled ({c.disabled})" if c.disabled else "ready"
        print(f"channel {c.name}: {c.type}, {state}")
    for r in cfg.routes:
        m = r.match
        print(
            f"route {r.name}: watchlists={','.join(m.watchlists)} kinds={','.join(m.kinds)}"
            f" -> {','.join(r.channels)}"
        )
    return 0


def test_alert(route: str, now: datetime) -> Alert:
    """A harmless alert that exercises formatting and the channel."""
    article = TriggerArticle(
        article_id="0" * 32,
        url="https://example.invalid/wirewatch-test",
        source="wirewatch",
        title="wirewatch test alert",
        lang="en",
        fetched_at=now,
    )
    story = AlertStory(
        story_id="test",
        watchlist="test",
        kind="new_story",
        story=StorySnapshot(
            title=f"wirewatch test alert for route {route}", first_seen=now, last_seen=now, member_count=1
        ),
        article=article,
        changes=[Change(kind="fact", summary="this is a test; no action needed")],
        event_alert_ids=[f"test-{int(now.timestamp())}"],
        oldest_fetched_at=now,
    )
    return Alert(
        alert_id=f"test-{route}-{int(now.timestamp())}",
        route=route,
        kind="test",
        created_at=now,
        stories=[story],
    )


async def _send_test(cfg: AlertingConfig, route_name: str) -> int:
    route = cfg.route(route_name)
    if route is None:
        print(
            f"no route named {route_name!r} (routes: {', '.join(r.name for r in cfg.routes)})",
            file=sys.stderr,
        )
        return 2
    sinks = SinkFactory(SystemClock())
    alert = test_alert(route_name, datetime.now(UTC))
    failures = 0
    try:
        for name in route.channels:
            channel = cfg.channels[name]
            if channel.disabled:
                print(f"{name}: skipped, {channel.disabled}")
                continue
            try:
                await sinks.sink(channel).send(alert)
                print(f"{name}: sent")
            except DeliveryError as exc:
                failures += 1
                print(f"{name}: FAILED {exc.reason}", file=sys.stderr)
    finally:
        await sinks.close()
    return 1 if failures else 0


def cmd_test(args: argparse.Namespace) -> int:
    """Send a test message through every channel of a route."""
    try:
        cfg = _load(args)
    except ConfigError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 1
    return asyncio.run(_send_test(cfg, args.route))


async def _with_store(func: Any) -> int:
    settings = AlerterSettings()
    redis = connect(settings.redis_url)
    clock = SystemClock()
    state = AlertState(redis, settings.redis_prefix, ttl_seconds=86400, lease_seconds=60)
    try:
        result: int = await func(SilenceStore(redis, state.silences, clock))
        return result
    finally:
        await redis.aclose()


def cmd_silence_add(args: argparse.Namespace) -> int:
    """Create a silence."""
    now = datetime.now(UTC)
    try:
        silence = Silence(
            watchlist=args.watchlist,
            story_id=args.story,
            entity=args.entity,
            term=args.term,
            route=args.route,
            author=args.author,
            comment=args.comment,
            created_at=now,
            expires_at=now + args.duration,
        )
    except ValueError as exc:
        print(f"invalid silence: {exc}", file=sys.stderr)
        return 2

    async def add(store: SilenceStore) -> int:
        await store.add(silence)
        print(f"{silence.id}  {silence.describe()}  until {silence.expires_at:%Y-%m-%d %H:%M UTC}")
        return 0

    return asyncio.run(_with_store(add))


def cmd_silence_list(args: argparse.Namespace) -> int:
    """List active (or all) silences."""

    async def show(store: SilenceStore) -> int:
        now = datetime.now(UTC)
        for s in await store.list(include_expired=args.all):
            state = "active" if s.active(now) else "expired"
            print(
                f"{s.id}  {s.describe()}  {state} until {s.expires_at:%Y-%m-%d %H:%M UTC}  "
                f"by {s.author}" + (f": {s.comment}" if s.comment else "")
            )
        return 0

    return asyncio.run(_with_store(show))


def cmd_silence_rm(args: argparse.Namespace) -> int:
    """Remove a silence by id."""

    async def rm(store: SilenceStore) -> int:
        if await store.remove(args.id):
            print(f"removed {args.id}")
            return 0
        print(f"no silence {args.id}", file=sys.stderr)
        return 1

    return asyncio.run(_with_store(rm))


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add this service's subcommands to the `wirewatch` parser."""
    alert = sub.add_parser("alert", help="alert routes: check config, send a test message")
    alert_sub = alert.add_subparsers(dest="alert_command", required=True)
    check = alert_sub.add_parser("check", help="validate config/alerting.yaml")
    check.add_argument("--file", type=Path, default=None)
    check.set_defaults(func=cmd_check)
    test = alert_sub.add_parser("test", help="send a test message through a route's channels")
    test.add_argument("--route", required=True)
    test.add_argument("--file", type=Path, default=None)
    test.set_defaults(func=cmd_test)

    silence = sub.add_parser("silence", help="mute alerts matching a watchlist, story, entity or term")
    silence_sub = silence.add_subparsers(dest="silence_command", required=True)
    add = silence_sub.add_parser("add", help="create a silence")
    add.add_argument("--watchlist")
    add.add_argument("--story", help="story id")
    add.add_argument("--entity", help="canonical entity id, e.g. place:kursk")
    add.add_argument("--term", help="text in the title or the changes (case-insensitive)")
    add.add_argument("--route", help="only on this route")
    add.add_argument("--duration", type=parse_duration, default=timedelta(hours=2), help="e.g. 30m, 2h, 1d")
    add.add_argument("--author", default=getpass.getuser())
    add.add_argument("--comment", default="")
    add.set_defaults(func=cmd_silence_add)
    lst = silence_sub.add_parser("list", help="list silences")
    lst.add_argument("--all", action="store_true", help="include expired ones")
    lst.set_defaults(func=cmd_silence_list)
    rm = silence_sub.add_parser("rm", help="remove a silence")
    rm.add_argument("id")
    rm.set_defaults(func=cmd_silence_rm)
