"""`wirewatch` subcommands of the dedup service: ``cluster`` (dry run in memory)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add this service's subcommands to the `wirewatch` parser."""
    parser = sub.add_parser(
        "cluster",
        help="cluster a JSONL file into near-duplicate groups and stories (in memory, no Kafka/Redis)",
        description=(
            "Reads {id, text, title?, url?, lang?, published_at?, source?} lines (optionally with "
            "matches/entities/facts; otherwise they are tagged with the configured watchlists) and writes "
            "{id, near_dup_group, story_id, event_kind} per article, using the dedup service's engine."
        ),
    )
    parser.add_argument("file", type=Path, help="JSONL input ('-' for stdin)")
    parser.add_argument("--config-dir", type=Path, default=None, help="config directory (default: settings)")
    parser.add_argument("--output", "-o", type=Path, default=None, help="write JSONL here instead of stdout")
    parser.set_defaults(func=run_cluster)


def run_cluster(args: argparse.Namespace) -> int:
    """Run the in-memory clustering and print one JSON line per article."""
    from .clustering import cluster, load_rules, load_tag_function
    from .settings import DedupSettings

    settings = DedupSettings()
    config_dir: Path = args.config_dir or settings.config_dir
    text = sys.stdin.read() if str(args.file) == "-" else args.file.read_text(encoding="utf-8")
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    needs_tags = any("matches" not in r for r in records)
    tag = load_tag_function(config_dir / "watchlists") if needs_tags else None
    rules = load_rules(config_dir / "watchlists")
    lines = asyncio.run(cluster(records, config=settings.dedup, rules_for=rules, tag=tag))
    rendered = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    if args.output:
        args.output.write_text(rendered, encoding="utf-8")
    else:
        sys.stdout.write(rendered)
    return 0
