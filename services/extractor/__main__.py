"""``python -m services.extractor``: consume raw articles, emit tagged articles."""

from __future__ import annotations

from shared.runtime import ConsumerSpec, run_consumer

from .handler import SERVICE, ExtractorHandler
from .settings import ExtractorSettings


def main() -> None:
    """Build settings and handler, hand them to the shared runtime."""
    settings = ExtractorSettings()
    spec = ConsumerSpec(service=SERVICE, source_topic=settings.topics.raw, group_id=settings.consumer_group)
    run_consumer(spec, ExtractorHandler(settings), settings)


if __name__ == "__main__":
    main()
