"""New entries of one poll are published oldest first, so a story's first report leads its follow-ups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.fetcher.feed_parse import FeedEntry
from services.fetcher.feed_poller import publication_order

T0 = datetime(2024, 10, 26, 16, 0, tzinfo=UTC)


def entry(n: int, published: datetime | None) -> FeedEntry:
    return FeedEntry(entry_id=f"e{n}", link=f"https://x.test/{n}", published_at=published)


def test_dated_entries_are_sorted_oldest_first() -> None:
    newest_first = [entry(3, T0 + timedelta(hours=2)), entry(1, T0), entry(2, T0 + timedelta(hours=1))]
    assert [e.entry_id for e in publication_order(newest_first)] == ["e1", "e2", "e3"]


def test_undated_entries_reverse_the_newest_first_feed_order() -> None:
    feed_order = [entry(3, None), entry(2, T0), entry(1, None)]
    assert [e.entry_id for e in publication_order(feed_order)] == ["e1", "e2", "e3"]
