"""The real extractor process (`python -m services.extractor`) against the real Kafka broker.

Raw articles in -> one tagged article out per raw article (relevant or not), poison -> raw DLQ,
metrics served, SIGTERM -> exit 0. Topics live in a uuid namespace; the consumer group is a uuid.
"""

from __future__ import annotations

import asyncio
import json
import signal
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from shared.ids import article_id
from shared.messages import ArticleRaw, ArticleTagged, encode
from tests.kafka_helpers import consume_all, free_port, make_namespace, produce, start_service

pytestmark = [pytest.mark.kafka]


def raw_article(title: str, text: str, lang: str = "en") -> tuple[str, bytes]:
    url = f"https://extractor-test.example/{uuid.uuid4().hex}"
    aid = article_id(url)
    message = ArticleRaw(
        trace=aid,
        article_id=aid,
        url=url,
        canonical_url=url,
        feed_id="extractor-test",
        source="Extractor Test",
        title=title,
        text=text,
        lang=lang,
        fetched_at=datetime.now(UTC),
        content_sha256="0" * 64,
    )
    return aid, encode(message)


async def test_raw_in_tagged_out_poison_to_dlq(tmp_path: Path) -> None:
    topics = await make_namespace("ext")
    relevant = raw_article(
        "North Korean troops arrive in Russia's Kursk region",
        "About 10,000 North Korean soldiers are now in the Kursk region, the Pentagon said.",
    )
    unrelated = raw_article("Weather", "Sunny tomorrow in Lisbon.")
    empty = raw_article("", "", lang="und")
    await produce(topics.raw, [relevant, unrelated, empty, ("poison", b"\xff not json")])

    port = free_port()
    proc = start_service(
        "services.extractor",
        {
            "WIREWATCH_TOPIC_NAMESPACE": topics.raw.split(".")[0],
            "WIREWATCH_CONSUMER_GROUP": f"ext-{uuid.uuid4().hex[:8]}",
            "WIREWATCH_METRICS_PORT": str(port),
            "WIREWATCH_METRICS_HOST": "127.0.0.1",
        },
        tmp_path / "extractor.log",
    )
    try:
        tagged = await consume_all(topics.tagged, expect=3, timeout=60)
        dlq = await consume_all(f"{topics.raw}.dlq", expect=1, timeout=30)
        by_key = {r.key.decode(): ArticleTagged.model_validate_json(r.value) for r in tagged.records}
        assert set(by_key) == {relevant[0], unrelated[0], empty[0]}
        assert by_key[relevant[0]].relevant_watchlists == ["nk-russia-military"]
        assert ("troop_count", 10000) in {(f.type, f.value) for f in by_key[relevant[0]].facts}
        assert by_key[unrelated[0]].relevant_watchlists == []
        assert by_key[empty[0]].matches[0].relevant is False
        assert len(dlq.records) == 1
        headers = dict(dlq.records[0].headers)
        assert headers["wirewatch-service"] == b"extractor"
        async with httpx.AsyncClient() as client:
            metrics = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
            health = (await client.get(f"http://127.0.0.1:{port}/healthz")).json()
        sample = 'wirewatch_articles_tagged_total{relevant="true",watchlist="nk-russia-military"} 1.0'
        assert sample in metrics
        assert health["watchlists"] == ["nk-russia-military"]
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 30)
        log = (tmp_path / "extractor.log").read_text(errors="replace")
    assert code == 0, log[-3000:]
    assert json.loads(log.splitlines()[-1])["msg"]  # JSON logs
