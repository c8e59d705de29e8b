"""`wirewatch` subcommands of the extractor service.

wirewatch tag FILE.jsonl [--watchlist W] [--config-dir DIR]   # dry-run watchlists, no Kafka
wirewatch watchlists validate [--config-dir DIR]               # exit 1 with file:line: field: error
wirewatch watchlists list [--config-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from shared.errors import ConfigError


def _watchlist_dir(args: argparse.Namespace) -> Path:
    return Path(args.config_dir) / "watchlists"


def _records(stream: TextIO) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"invalid JSON: {exc}"
            continue
        if not isinstance(record, dict):
            yield number, None, "a line must be a JSON object"
            continue
        yield number, record, None


def tag_command(args: argparse.Namespace) -> int:
    """Tag every article of a JSONL file and print one JSON line per article."""
    from services.extractor.tagging import load_tagger

    try:
        tagger = load_tagger(_watchlist_dir(args))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.watchlist:
        unknown = sorted(set(args.watchlist) - set(tagger.names))
        if unknown:
            print(f"error: unknown watchlist(s) {unknown}; known: {tagger.names}", file=sys.stderr)
            return 2
        tagger = tagger.only(args.watchlist)
    source: TextIO = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8", errors="replace")  # noqa: SIM115
    bad = 0
    try:
        for number, record, error in _records(source):
            if record is None:
                bad += 1
                print(f"{args.file}:{number}: skipped: {error}", file=sys.stderr)
                continue
            result = tagger.tag(
                title=str(record.get("title") or ""),
                text=str(record.get("text") or ""),
                lang=str(record["lang"]) if record.get("lang") else None,
            )
            out = {
                "id": record.get("id", number),
                "lang": result.lang,
                "matches": [m.model_dump(mode="json") for m in result.matches],
                "entities": [e.model_dump(mode="json") for e in result.entities],
                "facts": [f.model_dump(mode="json") for f in result.facts],
            }
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    finally:
        if source is not sys.stdin:
            source.close()
    return 1 if bad else 0


def watchlists_command(args: argparse.Namespace) -> int:
    """Validate or list the watchlists."""
    from shared.watchlists import load_watchlists

    try:
        watchlists = load_watchlists(_watchlist_dir(args))
    except ConfigError as exc:
        for problem in str(exc).split("; "):
            print(f"error: {problem}", file=sys.stderr)
        return 1
    if args.action == "validate":
        print(f"ok: {len(watchlists)} watchlist(s) valid in {_watchlist_dir(args)}")
        return 0
    for name, w in sorted(watchlists.items()):
        terms = sum(len(t) for c in w.concepts.values() for t in c.terms.values())
        print(
            f"{name}\tconcepts={len(w.concepts)}\tconcept_terms={terms}\tentities={len(w.entities)}"
            f"\tfacts={len(w.facts)}\tlanguages={','.join(w.languages)}\t{w.description}"
        )
    return 0


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add this service's subcommands to the `wirewatch` parser."""
    tag = sub.add_parser("tag", help="tag a JSONL file of articles against the watchlists (dry run)")
    tag.add_argument(
        "file", help="JSONL: {id, text, title?, url?, lang?, published_at?} per line; - for stdin"
    )
    tag.add_argument("--watchlist", action="append", help="only this watchlist (repeatable)")
    tag.add_argument("--config-dir", default="config", help="config directory holding watchlists/")
    tag.set_defaults(func=tag_command)

    wl = sub.add_parser("watchlists", help="validate or list watchlists")
    wl.add_argument("action", choices=["validate", "list"])
    wl.add_argument("--config-dir", default="config", help="config directory holding watchlists/")
    wl.set_defaults(func=watchlists_command)
