"""`wirewatch` subcommands of the alerter service."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add this service's subcommands to the `wirewatch` parser."""
