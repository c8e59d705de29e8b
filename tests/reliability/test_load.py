"""A reduced load run (5k synthetic articles; WIREWATCH_LOAD_ARTICLES overrides) through the real
extractor and dedup processes on the shared stack: everything drains, nothing is lost.
The full 200k run is scripts/load_test.py (numbers in docs/reliability.md)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.kafka_helpers import BOOTSTRAP, REDIS_URL
from tests.reliability.load_run import run_load

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.redis, pytest.mark.timeout(900)]

ARTICLES = int(os.environ.get("WIREWATCH_LOAD_ARTICLES", "5000"))


async def test_load_drains_without_loss(tmp_path: Path) -> None:
    result = await run_load(
        ARTICLES, bootstrap=BOOTSTRAP, redis_url=REDIS_URL, log_dir=tmp_path / "logs", timeout=600
    )
    print("\n[load] " + json.dumps(result.as_dict()))
    assert result.raw_in == ARTICLES
    assert not result.lost(), result.lost()
    assert result.relevant > 0.05 * ARTICLES, "the synthetic corpus should have a realistic relevant share"
    assert all(rss < 1024 for rss in result.peak_rss_mb.values()), result.peak_rss_mb
