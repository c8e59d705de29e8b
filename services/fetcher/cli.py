"""`wirewatch` subcommands of the fetcher service:

- ``wirewatch feeds validate [--file F]``   check config/feeds.yaml (exit 1 with the error)
- ``wirewatch feeds list [--file F]``       the feeds, one per line
- ``wirewatch feeds import-opml FILE [--file F] [--write]``  merge an OPML export into the feeds
- ``wirewatch replay [FILE.jsonl] --port P [--rate N/s] [--host H] [--html-dir DIR]``
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

from shared.errors import ConfigError


def _default_feeds_file() -> Path:
    from services.fetcher.settings import FetcherSettings

    return FetcherSettings().fetcher.feeds_file


def _feeds_file(args: argparse.Namespace) -> Path:
    return Path(args.file) if args.file else _default_feeds_file()


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate the feeds file."""
    from services.fetcher.feeds_config import load_feeds

    path = _feeds_file(args)
    try:
        config = load_feeds(path)
    except ConfigError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 1
    enabled = len(config.enabled())
    print(f"{path}: ok, {len(config.feeds)} feeds ({enabled} enabled)")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """Print the feeds."""
    from services.fetcher.feeds_config import load_feeds

    try:
        config = load_feeds(_feeds_file(args))
    except ConfigError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 1
    for feed in config.feeds:
        state = "on " if feed.enabled else "off"
        lang = feed.language or "-"
        print(f"{state} {feed.id:<32} {feed.kind:<10} {lang:<3} {feed.poll_interval:>7.0f}s  {feed.url}")
    return 0


def cmd_import_opml(args: argparse.Namespace) -> int:
    """Merge an OPML file into the feeds file (printed, or written with --write)."""
    from services.fetcher.feeds_config import FeedsConfig, dump_feeds, load_feeds
    from services.fetcher.opml import feeds_from_opml

    path = _feeds_file(args)
    try:
        existing = load_feeds(path) if path.exists() else FeedsConfig()
        merged = feeds_from_opml(Path(args.opml).read_bytes(), args.opml, existing)
    except (ConfigError, OSError) as exc:
        print(f"import failed: {exc}", file=sys.stderr)
        return 1
    added = len(merged.feeds) - len(existing.feeds)
    text = dump_feeds(merged)
    if args.write:
        path.write_text(text, encoding="utf-8")
        print(f"{path}: {added} feeds added, {len(merged.feeds)} in total", file=sys.stderr)
    else:
        sys.stdout.write(text)
        print(f"# {added} feeds added (use --write to save to {path})", file=sys.stderr)
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    """Serve a replay file (or saved pages) until interrupted."""
    from services.fetcher.replay import ReplayServer, load_html_dir, load_replay_file, parse_rate

    if not args.file and not args.html_dir:
        print("replay: give a FILE.jsonl or --html-dir DIR", file=sys.stderr)
        return 2
    try:
        rate = parse_rate(args.rate) if args.rate else None
        items = load_replay_file(Path(args.file)) if args.file else []
        if args.html_dir:
            items += load_html_dir(Path(args.html_dir))
    except (ConfigError, OSError, ValueError) as exc:
        print(f"replay: {exc}", file=sys.stderr)
        return 1
    server = ReplayServer(items, host=args.host, port=args.port, rate=rate)
    pace = f", releasing {rate:g}/s" if rate else ""
    print(
        f"replaying {len(items)} items on {server.rss_url} and {server.json_feed_url}{pace}",
        file=sys.stderr,
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add this service's subcommands to the `wirewatch` parser."""
    feeds = sub.add_parser("feeds", help="validate, list or import the feeds of config/feeds.yaml")
    feeds_sub = feeds.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")
    for name, func, text in (
        ("validate", cmd_validate, "check the feeds file; exit 1 with a message naming file, feed, field"),
        ("list", cmd_list, "list the configured feeds"),
    ):
        p = feeds_sub.add_parser(name, help=text)
        p.add_argument("--file", help="feeds file (default: settings fetcher.feeds_file)")
        p.set_defaults(func=func)
    imp = feeds_sub.add_parser("import-opml", help="add the feeds of an OPML export")
    imp.add_argument("opml", metavar="FILE", help="OPML file")
    imp.add_argument("--file", help="feeds file to merge into (default: settings fetcher.feeds_file)")
    imp.add_argument("--write", action="store_true", help="write the merged file instead of printing it")
    imp.set_defaults(func=cmd_import_opml)

    replay = sub.add_parser("replay", help="serve a JSONL file of articles as RSS/JSON Feed + article pages")
    replay.add_argument(
        "file", nargs="?", metavar="FILE.jsonl", help="one {title, text, url?, published_at?, ...} per line"
    )
    replay.add_argument("--port", type=int, default=8765)
    replay.add_argument("--host", default="127.0.0.1")
    replay.add_argument("--rate", help="release items over time, e.g. 2/s or 30/m (default: all at once)")
    replay.add_argument("--html-dir", help="also serve the saved pages (*.html, *.html.gz) of this folder")
    replay.set_defaults(func=cmd_replay)
