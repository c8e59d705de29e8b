"""The whole fetcher service: config hot reload while running, and publishing to the real Kafka."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import REGISTRY

from services.fetcher.replay import ReplayItem, ReplayServer
from services.fetcher.service import FetcherService
from services.fetcher.settings import FetcherSettings
from shared.messages import ArticleRaw
from shared.topics import create_topics, load_topics

from .conftest import ARTICLE_HTML, LocalServer, RecordingPublisher, make_options, metric, rss

REPO = Path(__file__).resolve().parents[3]
BOOTSTRAP = "127.0.0.1:9092"


async def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


def feeds_yaml(server: LocalServer, *paths: str) -> str:
    lines = ["feeds:"]
    for path in paths:
        name = path.strip("/")
        lines += [
            f"  - id: {name}",
            f"    url: {server.url(path)}",
            "    poll_interval: 1",
            "    allow_private: true",
        ]
    return "\n".join(lines) + "\n"


@pytest.mark.redis
async def test_feeds_added_removed_and_bad_edit_rejected_while_running(
    server: LocalServer, redis_prefix: str, tmp_path: Path
) -> None:
    for name in ("alpha", "beta"):
        server.static(f"/{name}-page", ARTICLE_HTML.format(title=f"{name} story"))
        server.static(
            f"/{name}",
            rss([(f"{name}-1", server.url(f"/{name}-page"), f"{name} story")]),
            "application/rss+xml",
        )
    path = tmp_path / "feeds.yaml"
    path.write_text(feeds_yaml(server, "/alpha"), encoding="utf-8")
    settings = FetcherSettings(redis_prefix=redis_prefix, fetcher=make_options(feeds_file=path))
    publisher = RecordingPublisher()
    service = FetcherService(settings, publisher=publisher)
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    try:
        # the article is published before the poll ends, so wait for the poll's success too
        await wait_for(
            lambda: (
                len(publisher.articles) == 1
                and sample("wirewatch_feed_last_success_timestamp", feed="alpha") is not None
            )
        )
        assert set(service.pollers) == {"alpha"}
        assert sample("wirewatch_feed_poll_interval_seconds", feed="alpha") == 1.0

        path.write_text(feeds_yaml(server, "/beta"), encoding="utf-8")  # alpha removed, beta added
        await wait_for(lambda: set(service.pollers) == {"beta"} and len(publisher.articles) == 2)
        alpha_hits = server.hits["/alpha"]
        # the removed feed's series are gone (no stale-feed alert for it); beta's are there
        assert sample("wirewatch_feed_poll_interval_seconds", feed="alpha") is None
        assert sample("wirewatch_feed_last_success_timestamp", feed="alpha") is None
        assert sample("wirewatch_feed_poll_interval_seconds", feed="beta") == 1.0

        rejected_before = metric(
            "wirewatch_config_reloads_total", service="fetcher", config="feeds", result="rejected"
        )
        path.write_text("feeds:\n  - id: BAD ID\n    url: nope\n", encoding="utf-8")
        await wait_for(lambda: service.watcher is not None and service.watcher.last_error is not None)
        assert "feed 'BAD ID' (#1)" in str(service.watcher.last_error if service.watcher else "")
        assert set(service.pollers) == {"beta"}  # the last good config keeps running
        assert (
            metric("wirewatch_config_reloads_total", service="fetcher", config="feeds", result="rejected")
            == rejected_before + 1
        )
        beta_hits = server.hits["/beta"]
        await wait_for(lambda: server.hits["/beta"] > beta_hits, timeout=5)
        assert server.hits["/alpha"] == alpha_hits  # the removed feed is no longer polled
        assert service.health()["config_error"]
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)
    assert [a.title for a in publisher.articles] == ["alpha story", "beta story"]


def sample(name: str, **labels: str) -> float | None:
    """A sample's value, None when the series does not exist."""
    return REGISTRY.get_sample_value(name, labels)


@pytest.mark.kafka
@pytest.mark.redis
async def test_end_to_end_to_kafka_with_worker_processes(redis_prefix: str, tmp_path: Path) -> None:
    namespace = f"test-{uuid.uuid4().hex[:12]}"
    topics = load_topics(REPO / "deploy" / "kafka" / "topics.yaml", namespace)
    await create_topics(BOOTSTRAP, topics)
    # Inline fixture: three short articles in English, German and Korean (one with an original URL).
    items = [
        ReplayItem(
            title="Harbour cranes return to service after repairs",
            summary="Two cranes are back.",
            text="Two of the harbour's four gantry cranes returned to service on Monday after repairs.\n"
            "The port authority said the other two would follow before the end of the month.",
            source="Harbour Desk",
        ),
        ReplayItem(
            title="Neue Kräne im Hamburger Hafen in Betrieb",
            summary="Zwei neue Kräne.",
            text="Im Hamburger Hafen sind am Montag zwei neue Containerbrücken in Betrieb gegangen.\n"
            "Die Hafenverwaltung rechnet mit kürzeren Liegezeiten für große Schiffe.",
            lang="de",
            source="Hafenblatt",
            url="https://hafenblatt.example.de/kraene?utm_source=rss",
        ),
        ReplayItem(
            title="부산항 신규 크레인 가동",
            summary="크레인 두 대 가동.",
            text="부산항 신항에서 월요일 새 크레인 두 대가 가동을 시작했다.\n"
            "항만공사는 대형 선박의 대기 시간이 줄어들 것으로 기대한다고 밝혔다.",
            lang="ko",
            source="항만일보",
        ),
    ]
    replay = ReplayServer(items).start()
    path = tmp_path / "feeds.yaml"
    path.write_text(
        f"feeds:\n  - id: replay\n    url: {replay.json_feed_url}\n    kind: json\n"
        "    poll_interval: 1\n    allow_private: true\n",
        encoding="utf-8",
    )
    settings = FetcherSettings(
        topic_namespace=namespace,
        redis_prefix=redis_prefix,
        kafka_bootstrap=BOOTSTRAP,
        fetcher=make_options(feeds_file=path, extract_workers=1),
    )
    service = FetcherService(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    consumer = AIOKafkaConsumer(
        settings.topics.raw,
        bootstrap_servers=BOOTSTRAP,
        group_id=f"test-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    received: list[tuple[str, ArticleRaw]] = []
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while len(received) < 3 and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for rec in records:
                    received.append((rec.key.decode(), ArticleRaw.model_validate(json.loads(rec.value))))
        await asyncio.sleep(2.5)  # a few more polls: nothing may be republished
        batch = await consumer.getmany(timeout_ms=500)
        assert sum(len(r) for r in batch.values()) == 0
    finally:
        await consumer.stop()
        stop.set()
        await asyncio.wait_for(task, 30)
        replay.stop()
        admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
        await admin.start()
        try:
            await admin.delete_topics([t.name for t in topics])
        finally:
            await admin.close()
    assert len(received) == 3
    by_lang = {a.lang: a for _, a in received}
    assert set(by_lang) == {"en", "de", "ko"}
    assert all(key == a.article_id and a.text_source == "page" for key, a in received)
    assert by_lang["de"].canonical_url == "https://hafenblatt.example.de/kraene"
    assert by_lang["de"].source == "Hafenblatt" and by_lang["ko"].source == "항만일보"
    assert "Containerbrücken" in by_lang["de"].text
