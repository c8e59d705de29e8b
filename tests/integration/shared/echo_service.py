"""A minimal service on the shared runtime, for runtime tests: raw article in, tagged article out.

Environment: ECHO_SLEEP (seconds per message). A title starting with "POISON" raises PermanentError;
"FLAKY" fails transiently twice before succeeding.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from typing import ClassVar

from shared.errors import PermanentError
from shared.messages import ArticleRaw, ArticleTagged
from shared.producer import Output
from shared.runtime import ConsumerSpec, MessageHandler, Record, run_consumer
from shared.settings import ServiceSettings


class EchoSettings(ServiceSettings):
    default_metrics_port: ClassVar[int] = 0


class EchoHandler(MessageHandler[ArticleRaw]):
    model = ArticleRaw

    def __init__(self, out_topic: str) -> None:
        self.out_topic = out_topic
        self.sleep = float(os.environ.get("ECHO_SLEEP", "0"))
        self.flaky: dict[str, int] = {}

    async def handle(self, message: ArticleRaw, record: Record) -> Sequence[Output]:
        if message.title.startswith("POISON"):
            raise PermanentError(f"poison article {message.article_id}")
        if message.title.startswith("FLAKY") and self.flaky.get(message.article_id, 0) < 2:
            self.flaky[message.article_id] = self.flaky.get(message.article_id, 0) + 1
            raise ConnectionError("transient failure for the test")
        if self.sleep:
            await asyncio.sleep(self.sleep)
        data = message.model_dump(exclude={"schema_", "event_id", "produced_at"})
        tagged = ArticleTagged.model_validate(data)
        return [Output(self.out_topic, message.article_id, tagged)]


def main() -> None:
    settings = EchoSettings()
    spec = ConsumerSpec(
        service="echo",
        source_topic=settings.topics.raw,
        group_id=os.environ["ECHO_GROUP"],
        max_batch=int(os.environ.get("ECHO_BATCH", "50")),
    )
    run_consumer(spec, EchoHandler(settings.topics.tagged), settings)


if __name__ == "__main__":
    main()
