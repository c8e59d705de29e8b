"""Build information exported as ``wirewatch_build_info``."""

from __future__ import annotations

import os
import platform
from importlib.metadata import PackageNotFoundError, version

from shared import metrics


def wirewatch_version() -> str:
    """The installed package version (``0+unknown`` when running from a bare checkout)."""
    try:
        return version("wirewatch")
    except PackageNotFoundError:
        return "0+unknown"


def publish_build_info(service: str) -> None:
    """Set the build info metric once at start-up."""
    metrics.BUILD_INFO.info(
        {
            "service": service,
            "version": wirewatch_version(),
            "revision": os.environ.get("WIREWATCH_REVISION", "dev"),
            "python": platform.python_version(),
        }
    )
