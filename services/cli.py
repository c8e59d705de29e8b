"""The ``wirewatch`` command. Each service package registers its own subcommands in its ``cli.py``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from services.alerter import cli as alerter_cli
from services.dedup import cli as dedup_cli
from services.extractor import cli as extractor_cli
from services.fetcher import cli as fetcher_cli

Command = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """The full parser; every subcommand sets ``func`` to a function returning an exit code."""
    parser = argparse.ArgumentParser(
        prog="wirewatch", description="Streaming news monitoring: feeds -> watchlists -> stories -> alerts"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (fetcher_cli, extractor_cli, dedup_cli, alerter_cli):
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    func: Command = args.func
    return func(args)


if __name__ == "__main__":
    sys.exit(main())
