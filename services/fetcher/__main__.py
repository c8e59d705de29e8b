"""``python -m services.fetcher``: poll the feeds of config/feeds.yaml and publish article.raw/1."""

from __future__ import annotations

import asyncio

from services.fetcher.extract_pool import single_threaded_math
from services.fetcher.service import SERVICE, FetcherService
from services.fetcher.settings import FetcherSettings
from shared.runtime import serve


def main() -> None:
    """Build settings and the service, run under the shared lifecycle until SIGTERM."""
    single_threaded_math()
    settings = FetcherSettings()
    service = FetcherService(settings)
    asyncio.run(serve(SERVICE, settings, service.run, service.health))


if __name__ == "__main__":
    main()
