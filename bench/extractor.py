"""Extractor benchmark: ``python -m bench.extractor``.

1. Tagging throughput of one process: the tagging engine (``load_tagger`` + ``Tagger.tag``) with the
   shipped watchlists over 3 KB articles built from the labelled corpus (tests/data/tagging_eval.jsonl,
   each article's text repeated to 3 KB), all languages mixed, relevant and not (~40% relevant).
2. Kafka-in/Kafka-out throughput of the service: the raw topic of a uuid namespace is pre-filled,
   then the real service process (``python -m services.extractor``, WIREWATCH_TOPIC_NAMESPACE) drains
   it; the rate is measured between the first and the last tagged message (broker timestamps), so
   process start-up and the group join are reported apart (``kafka_wall_s``). The service's own CPU
   time (its whole life) is ``kafka_service_cpu_s``: far below the wall time, the drain waits on
   Kafka round trips rather than on tagging.

Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "tagging_eval.jsonl"
BOOTSTRAP = os.environ.get("WIREWATCH_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
ARTICLE_BYTES = 3 * 1024


def build_articles(count: int) -> list[tuple[str, str, str]]:
    """(lang, title, text) with 3 KB of text each, from the corpus articles (every language)."""
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    articles: list[tuple[str, str, str]] = []
    for row in rows:
        # one labelled article repeated to 3 KB keeps its label (and the corpus' relevant share)
        one = row["text"].strip() + "\n"
        text = one * (ARTICLE_BYTES // max(1, len(one.encode("utf-8"))) + 1)
        text = text.encode("utf-8")[:ARTICLE_BYTES].decode("utf-8", errors="ignore")
        articles.append((row["lang"], row["title"], text))
        if len(articles) >= count:
            break
    while len(articles) < count:
        articles.extend(articles[: count - len(articles)])
    return articles


def bench_tagging(count: int) -> dict[str, float]:
    """Articles per second of the tagging engine in this process."""
    from services.extractor.tagging import load_tagger

    started = time.perf_counter()
    tagger = load_tagger(ROOT / "config" / "watchlists")
    load_s = time.perf_counter() - started
    articles = build_articles(min(count, 2000))
    for lang, title, text in articles[:50]:  # warm-up
        tagger.tag(title=title, text=text, lang=lang)
    relevant = 0
    started = time.perf_counter()
    cpu_started = time.process_time()
    done = 0
    while done < count:
        for lang, title, text in articles:
            relevant += tagger.tag(title=title, text=text, lang=lang).relevant_to("nk-russia-military")
            done += 1
            if done >= count:
                break
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    # lang=None: the tagger detects the language too (what `wirewatch tag` does without lang)
    sample = articles[:500]
    started = time.perf_counter()
    for _, title, text in sample:
        tagger.tag(title=title, text=text)
    detect_rate = len(sample) / (time.perf_counter() - started)
    return {
        # CPU time of this process: what one process sustains; wall time depends on what else runs
        "articles_per_s": round(count / cpu, 1),
        "articles_per_s_wall": round(count / elapsed, 1),
        "articles_per_s_with_langid": round(detect_rate, 1),
        "cpu_ms_per_article": round(cpu / count * 1000, 3),
        "relevant_share": round(relevant / count, 3),
        "watchlist_load_s": round(load_s, 3),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _start_service(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """``python -m services.extractor`` as its own process, output to ``log_path``."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "services.extractor"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


async def bench_kafka(count: int) -> dict[str, float]:
    """Pre-fill the raw topic, run the real service, time the drain to the tagged topic."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    from shared.ids import article_id
    from shared.messages import ArticleRaw, encode
    from shared.settings import Topics
    from shared.topics import create_topics, load_topics

    namespace = f"bench-ext-{uuid.uuid4().hex[:8]}"
    await create_topics(BOOTSTRAP, load_topics(ROOT / "deploy" / "kafka" / "topics.yaml", namespace))
    topics = Topics(namespace)
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", linger_ms=20, max_batch_size=1 << 20)
    await producer.start()
    try:
        futures = []
        now = datetime.now(UTC)
        for i, (lang, title, text) in enumerate(build_articles(count)):
            url = f"https://bench.example/{namespace}/{i}"
            aid = article_id(url)
            message = ArticleRaw(
                trace=aid, article_id=aid, url=url, canonical_url=url, feed_id="bench", source="Bench",
                title=title, text=text, lang=lang, fetched_at=now, content_sha256="0" * 64,
            )  # fmt: skip
            futures.append(await producer.send(topics.raw, encode(message), key=aid.encode()))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()

    log_dir = Path(tempfile.mkdtemp(prefix="bench-extractor-"))
    env = {
        **os.environ,
        "WIREWATCH_TOPIC_NAMESPACE": namespace,
        "WIREWATCH_CONSUMER_GROUP": f"{namespace}-group",
        "WIREWATCH_METRICS_PORT": "0",
        "WIREWATCH_METRICS_HOST": "127.0.0.1",
        "WIREWATCH_LOG_LEVEL": "WARNING",
    }
    started = time.perf_counter()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = _start_service(env, log_dir / "extractor.log")
    consumer = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP, group_id=None, enable_auto_commit=False)
    await consumer.start()
    first_ts: int | None = None
    last_ts = 0
    seen = 0
    try:
        partitions = [TopicPartition(topics.tagged, p) for p in range(6)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        deadline = time.monotonic() + 600
        while seen < count and time.monotonic() < deadline and proc.poll() is None:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for records in batch.values():
                for r in records:
                    seen += 1
                    first_ts = r.timestamp if first_ts is None else min(first_ts, r.timestamp)
                    last_ts = max(last_ts, r.timestamp)
        wall = time.perf_counter() - started
    finally:
        await consumer.stop()
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    # CPU time of the service process over its whole life (start-up and group join included):
    # compared with kafka_wall_s it shows how much of the drain the process was busy
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    service_cpu = after.ru_utime + after.ru_stime - children_before.ru_utime - children_before.ru_stime
    drain_s = max((last_ts - (first_ts or last_ts)) / 1000, 1e-3)
    return {
        "kafka_articles": seen,
        "kafka_articles_per_s": round((seen - 1) / drain_s, 1) if seen > 1 else 0.0,
        "kafka_drain_s": round(drain_s, 2),
        "kafka_wall_s": round(wall, 2),
        "kafka_service_cpu_s": round(service_cpu, 2),
        "kafka_service_cpu_ms_per_article": round(service_cpu / seen * 1000, 3) if seen else 0.0,
    }


def main() -> int:
    """Run both measurements and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000, help="articles for the in-process tagging run")
    parser.add_argument(
        "--kafka-articles", type=int, default=5000, help="articles pre-filled for the service"
    )
    parser.add_argument("--no-kafka", action="store_true", help="only the in-process tagging run")
    args = parser.parse_args()
    result: dict[str, object] = {"stage": "extractor", **bench_tagging(args.articles)}
    if not args.no_kafka:
        result.update(asyncio.run(bench_kafka(args.kafka_articles)))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
