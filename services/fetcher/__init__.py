"""wirewatch fetcher service."""
