"""``python -m services.dedup``: consume tagged articles, emit story events."""

from __future__ import annotations

from shared.runtime import ConsumerSpec, run_consumer

from .handler import SERVICE, DedupHandler
from .settings import DedupSettings


def main() -> None:
    """Build settings and handler, hand them to the shared runtime."""
    settings = DedupSettings()
    # ordered: which article opens a story and which one is its development depends on arrival
    # order, so a batch is handled in broker-timestamp order rather than partition-concurrently.
    spec = ConsumerSpec(
        service=SERVICE, source_topic=settings.topics.tagged, group_id=settings.consumer_group, ordered=True
    )
    run_consumer(spec, DedupHandler(settings), settings)


if __name__ == "__main__":
    main()
