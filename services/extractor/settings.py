"""Settings of the extractor service (env ``WIREWATCH_*`` over ``config/wirewatch.yaml``)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from shared.settings import ServiceSettings


class ExtractorSettings(ServiceSettings):
    """Settings of ``python -m services.extractor``."""

    default_metrics_port: ClassVar[int] = 9102

    consumer_group: str = "wirewatch-extractor"
    watchlist_dir: Path | None = Field(
        default=None, description="directory of watchlist YAML files (default: <config_dir>/watchlists)"
    )
    config_check_seconds: float = Field(default=2.0, gt=0, description="how often watchlists are re-read")
    max_text_bytes: int = Field(
        default=200_000, ge=1_000, description="text beyond this is not tagged (the message keeps it)"
    )

    max_tagged_text_chars: int = Field(
        default=500_000,
        ge=1_000,
        description="text kept in the tagged message; keeps it under the topic's 4 MB message limit",
    )

    @property
    def watchlists_path(self) -> Path:
        """Where the watchlists live."""
        return self.watchlist_dir if self.watchlist_dir is not None else self.config_dir / "watchlists"
