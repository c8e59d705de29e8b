"""Pure parts of the consumer runtime: decoding, DLQ records, backoff, config hot reload."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from aiokafka import TopicPartition

from shared.config_watch import ConfigWatcher
from shared.errors import ConfigError, PermanentError
from shared.messages import ArticleRaw
from shared.producer import Output, backoff_delay
from shared.runtime import ConsumerRuntime, ConsumerSpec, MessageHandler, Record, decode, dlq_output
from shared.settings import ServiceSettings

EXAMPLE = Path(__file__).parents[3] / "shared" / "schemas" / "examples" / "article.raw.v1.json"


def test_decode_valid_message() -> None:
    assert decode(ArticleRaw, EXAMPLE.read_bytes()).lang == "en"


@pytest.mark.parametrize(
    "value",
    [None, b"\xff\xfe not json", b'{"schema": "article.raw/1"}', b"[]", b"{truncated"],
)
def test_undecodable_or_invalid_is_permanent(value: bytes | None) -> None:
    with pytest.raises(PermanentError):
        decode(ArticleRaw, value)


def test_dlq_output_keeps_bytes_and_names_the_error() -> None:
    record = Record("wirewatch.articles.raw.v1", 3, 41, "abc", 0)
    out = dlq_output(record, b"\x00poison", PermanentError("schema-invalid ArticleRaw"), "extractor")
    headers = dict(out.headers)
    assert out.topic == "wirewatch.articles.raw.v1.dlq" and out.key == "abc" and out.value == b"\x00poison"
    assert headers["wirewatch-error-type"] == b"PermanentError"
    assert headers["wirewatch-source-partition"] == b"3" and headers["wirewatch-source-offset"] == b"41"
    assert headers["wirewatch-service"] == b"extractor"
    assert b"schema-invalid" in headers["wirewatch-error"]


def test_backoff_is_capped_and_jittered() -> None:
    delays = [backoff_delay(attempt, 0.2, 5.0) for attempt in range(50)]
    assert all(0 <= d <= 5.0 for d in delays)
    assert len({round(d, 6) for d in delays}) > 40  # jitter: no lockstep


async def test_config_watcher_keeps_last_good(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("value: 1\n", encoding="utf-8")

    def load() -> int:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("value"), int):
            raise ConfigError(f"{path}: field 'value' must be an integer")
        return int(data["value"])

    seen: list[int] = []
    watcher = ConfigWatcher("c", "test", lambda: [path], load, seen.append)
    assert watcher.current == 1
    path.write_text("value: [broken\n", encoding="utf-8")
    assert not await watcher.check()
    assert watcher.current == 1 and watcher.last_error and "value" in watcher.last_error
    path.write_text(json.dumps({"value": 22}), encoding="utf-8")
    assert await watcher.check()
    assert watcher.current == 22 and seen == [22] and watcher.last_error is None


def test_absurdly_nested_json_is_permanent_not_retried_forever() -> None:
    with pytest.raises(PermanentError, match="RecursionError"):
        decode(ArticleRaw, b"[" * 100_000 + b"]" * 100_000)


def test_an_output_over_the_message_limit_is_permanent() -> None:
    from shared.producer import MAX_MESSAGE_BYTES, Output
    from shared.runtime import check_output_sizes

    small = Output("t", "k", b"x" * 100)
    check_output_sizes([small])
    assert small.payload() is small.payload()  # serialised once, then reused for sending
    with pytest.raises(PermanentError, match="message limit"):
        check_output_sizes([small, Output("t", "k", b"x" * (MAX_MESSAGE_BYTES + 1))])


RAW_EXAMPLE = Path(__file__).resolve().parents[3] / "shared/schemas/examples/article.raw.v1.json"


class _Echo(MessageHandler[ArticleRaw]):
    model = ArticleRaw

    async def handle(self, message: ArticleRaw, record: Record) -> list[Output]:
        return [Output("out", message.article_id, message.model_dump_json().encode())]


async def test_outputs_of_a_batch_follow_the_source_records_time_order() -> None:
    """Two partitions processed concurrently: the outputs are written in the time order of their
    source records, not partition by partition (downstream sees the first arrival first)."""
    example = json.loads(RAW_EXAMPLE.read_text())
    settings = ServiceSettings(kafka_bootstrap="127.0.0.1:1")
    runtime = ConsumerRuntime(ConsumerSpec("t", "in", "g"), _Echo(), settings, asyncio.Event())
    sent: list[str] = []
    committed: list[dict[TopicPartition, int]] = []

    class _Producer:
        async def send_all(self, outputs: list[Output]) -> None:
            sent.extend(o.key for o in outputs)

    async def commit(offsets: dict[TopicPartition, int]) -> None:
        committed.append(offsets)

    runtime.producer = _Producer()  # type: ignore[assignment]
    runtime._commit = commit  # type: ignore[method-assign]

    def rec(partition: int, offset: int, ts: int, aid: str) -> SimpleNamespace:
        value = json.dumps({**example, "article_id": aid}).encode()
        return SimpleNamespace(
            topic="in", partition=partition, offset=offset, key=aid.encode(), value=value, timestamp=ts
        )

    a, b = TopicPartition("in", 0), TopicPartition("in", 1)
    batch = {
        a: [rec(0, 10, 1000, "a" * 32), rec(0, 11, 3000, "c" * 32)],
        b: [rec(1, 5, 2000, "b" * 32), rec(1, 6, 4000, "d" * 32)],
    }
    try:
        await runtime._process_batch(batch)
    finally:
        await runtime.consumer.stop()
    assert sent == ["a" * 32, "b" * 32, "c" * 32, "d" * 32]
    assert committed == [{a: 12, b: 7}]


@pytest.mark.parametrize(("wait_ms", "min_bytes"), [(50, 1024 * 1024), (0, 1)])
async def test_consumers_batch_fetches_for_the_configured_wait(wait_ms: int, min_bytes: int) -> None:
    settings = ServiceSettings(kafka_bootstrap="127.0.0.1:1", kafka_fetch_wait_ms=wait_ms)
    runtime = ConsumerRuntime(ConsumerSpec("t", "in", "g"), _Echo(), settings, asyncio.Event())
    consumer = runtime.consumer  # what aiokafka's fetcher will be built with
    assert (consumer._fetch_max_wait_ms, consumer._fetch_min_bytes) == (wait_ms, min_bytes)


def test_the_fetch_wait_is_bounded() -> None:
    with pytest.raises(ValueError, match="kafka_fetch_wait_ms"):
        ServiceSettings(kafka_fetch_wait_ms=5000)
