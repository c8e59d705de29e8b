"""Fixtures of the extractor unit tests: the shipped watchlists, compiled once."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.extractor.tagging import Tagger, load_tagger

REPO = Path(__file__).resolve().parents[3]
WATCHLISTS = REPO / "config" / "watchlists"
NK = "nk-russia-military"


@pytest.fixture(scope="session")
def tagger() -> Tagger:
    """A tagger over the shipped watchlists."""
    return load_tagger(WATCHLISTS)
