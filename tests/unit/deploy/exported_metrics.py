"""The metric names wirewatch really exports, read from prometheus_client's registry."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from prometheus_client import REGISTRY, CollectorRegistry

SERVICES = ("fetcher", "extractor", "dedup", "alerter")
METRIC_MODULES = ("shared.metrics", *(f"services.{name}.metrics" for name in SERVICES))

# Series every Prometheus target has without the service exporting them.
SCRAPE_SERIES = frozenset({"up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_series_added"})

_SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "gaugehistogram": ("_bucket", "_gsum", "_gcount"),
    "summary": ("", "_sum", "_count", "_created"),
    "info": ("_info",),
    "stateset": ("",),
    "unknown": ("",),
}


def import_metric_modules(modules: Iterable[str] = METRIC_MODULES) -> dict[str, str]:
    """Import every metrics module that exists; returns ``{module: error}`` for those that fail."""
    missing: dict[str, str] = {}
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            missing[module] = f"{type(exc).__name__}: {exc}"
    return missing


def sample_names(registry: CollectorRegistry = REGISTRY) -> set[str]:
    """Every series name the registry exposes, including metrics that have no samples yet.

    Counters are exposed as ``name_total``, histograms as ``_bucket``/``_sum``/``_count``, infos as
    ``name_info``. Labelled metrics without children still report their family and type.
    """
    names: set[str] = set()
    for family in registry.collect():
        names.update(family.name + suffix for suffix in _SUFFIXES.get(family.type, ("",)))
        names.update(sample.name for sample in family.samples)
    return names
