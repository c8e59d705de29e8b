"""Topic definitions from ``deploy/kafka/topics.yaml``, and ``python -m shared.topics create``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import yaml
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError
from pydantic import BaseModel, Field


class TopicDef(BaseModel):
    """One topic as the contract defines it."""

    name: str
    partitions: int = Field(ge=1)
    retention_hours: int = Field(ge=1)
    producers: list[str] = Field(default_factory=list)
    consumers: list[str] = Field(default_factory=list)
    schema_: str | None = Field(default=None, alias="schema")
    dlq: bool = False
    max_message_bytes: int = 4 * 1024 * 1024


def load_topics(path: Path, namespace: str = "wirewatch") -> list[TopicDef]:
    """Every topic (and its ``.dlq`` twin when ``dlq: true``), renamed into ``namespace``."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: list[TopicDef] = []
    for entry in raw["topics"]:
        topic = TopicDef.model_validate(entry)
        if namespace != "wirewatch":
            topic.name = namespace + topic.name.removeprefix("wirewatch")
        out.append(topic)
        if topic.dlq:
            out.append(
                TopicDef(
                    name=f"{topic.name}.dlq",
                    partitions=1,
                    retention_hours=raw.get("dlq_retention_hours", 24 * 30),
                    producers=topic.consumers,
                    max_message_bytes=topic.max_message_bytes,
                )
            )
    return out


async def create_topics(bootstrap: str, topics: list[TopicDef], timeout: float = 60) -> list[str]:
    """Create missing topics (existing ones are left alone). Returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            await admin.start()
            break
        except KafkaConnectionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(1)
    created: list[str] = []
    try:
        existing = set(await admin.list_topics())
        for t in topics:
            if t.name in existing:
                continue
            new = NewTopic(
                t.name,
                t.partitions,
                1,
                topic_configs={
                    "retention.ms": str(t.retention_hours * 3600 * 1000),
                    "max.message.bytes": str(t.max_message_bytes),
                },
            )
            try:
                await admin.create_topics([new])
                created.append(t.name)
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()
    return created


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m shared.topics create --bootstrap HOST:PORT --file topics.yaml``."""
    parser = argparse.ArgumentParser(prog="python -m shared.topics")
    parser.add_argument("action", choices=["create", "list"])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--file", type=Path, default=Path("deploy/kafka/topics.yaml"))
    parser.add_argument("--namespace", default="wirewatch")
    args = parser.parse_args(argv)
    topics = load_topics(args.file, args.namespace)
    if args.action == "list":
        for t in topics:
            print(f"{t.name}\tpartitions={t.partitions}\tretention_hours={t.retention_hours}")
        return 0
    created = asyncio.run(create_topics(args.bootstrap, topics))
    print(
        f"topics: {len(topics)} defined, {len(created)} created"
        + (f": {', '.join(created)}" if created else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
