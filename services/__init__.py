"""wirewatch services: fetcher, extractor, dedup, alerter (one package each)."""
