"""``python -m services.alerter``: consume story events, send alerts, log deliveries."""

from __future__ import annotations

from services.alerter.handler import AlerterHandler
from services.alerter.settings import AlerterSettings
from shared.runtime import ConsumerSpec, run_consumer


def main() -> None:
    """Build settings and handler; the shared runtime does the rest."""
    settings = AlerterSettings()
    spec = ConsumerSpec(
        service="alerter", source_topic=settings.topics.stories, group_id=settings.alerter.consumer_group
    )
    run_consumer(spec, AlerterHandler(settings), settings)


if __name__ == "__main__":
    main()
