"""`wirewatch` subcommands of the extractor service."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: "argparse._SubParsersAction[Any]") -> None:
    """Add this service's subcommands to the `wirewatch` parser."""
