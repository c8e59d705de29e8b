"""wirewatch dedup service."""
