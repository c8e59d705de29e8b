"""wirewatch extractor service."""
