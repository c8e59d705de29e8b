"""Feed config validation: errors name the file, the feed and the field; OPML import."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.fetcher.feeds_config import dump_feeds, load_feeds, parse_feeds
from services.fetcher.opml import feeds_from_opml, slugify
from shared.errors import ConfigError

DATA = Path(__file__).resolve().parents[2] / "data" / "fetcher"
REPO = Path(__file__).resolve().parents[3]


def test_shipped_feed_files_are_valid() -> None:
    assert len(load_feeds(REPO / "config" / "feeds.yaml").feeds) >= 1
    demo = load_feeds(REPO / "config" / "demo" / "feeds.yaml")
    assert all(f.allow_private for f in demo.feeds)


def test_defaults_apply_and_feed_overrides() -> None:
    config = parse_feeds(
        {
            "defaults": {"poll_interval": 60, "language": "en"},
            "feeds": [
                {"id": "a", "url": "https://a.example/rss"},
                {"id": "b", "url": "https://b.example/rss", "poll_interval": 600, "kind": "json"},
            ],
        },
        "feeds.yaml",
    )
    a, b = config.feeds
    assert (a.poll_interval, a.language, b.poll_interval, b.kind) == (60, "en", 600, "json")


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"id": "x", "url": "ftp://x"}, "feeds.yaml: feed 'x' (#1): url: Value error, must be an absolute"),
        ({"id": "x", "url": "https://x", "kind": "xml"}, "feed 'x' (#1): kind: Input should be"),
        ({"id": "Bad Id", "url": "https://x"}, "feed 'Bad Id' (#1): id: Value error"),
        ({"id": "x", "url": "https://x", "poll_interval": 0}, "feed 'x' (#1): poll_interval:"),
        ({"id": "x", "url": "https://x", "colour": "red"}, "feed 'x' (#1): colour: Extra inputs"),
        ({"url": "https://x"}, "feeds.yaml: feed #1: id: Field required"),
        ({"id": "x", "url": "https://x", "link_pattern": "("}, "link_pattern: Value error, not a valid"),
    ],
)
def test_errors_name_file_feed_and_field(entry: dict[str, object], expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_feeds({"feeds": [entry]}, "feeds.yaml")
    assert expected in str(err.value)


def test_duplicate_ids_rejected() -> None:
    feeds = [{"id": "a", "url": "https://a"}, {"id": "a", "url": "https://b"}]
    with pytest.raises(ConfigError, match=r"feed 'a' \(#2\): id: duplicate of feed #1"):
        parse_feeds({"feeds": feeds}, "feeds.yaml")


def test_bad_yaml_and_missing_file_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "feeds.yaml"
    bad.write_text("feeds: [ {id: a, url: \n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"feeds.yaml: invalid YAML"):
        load_feeds(bad)
    with pytest.raises(ConfigError, match=r"nope.yaml: file not found"):
        load_feeds(tmp_path / "nope.yaml")


def test_empty_file_is_no_feeds(tmp_path: Path) -> None:
    empty = tmp_path / "feeds.yaml"
    empty.write_text("# nothing yet\n", encoding="utf-8")
    assert load_feeds(empty).feeds == ()


def test_opml_import_merges_and_slugifies() -> None:
    existing = parse_feeds({"feeds": [{"id": "harbour-desk-wire", "url": "https://other/rss"}]}, "f")
    merged = feeds_from_opml((DATA / "subscriptions.opml").read_bytes(), "subs.opml", existing)
    ids = [f.id for f in merged.feeds]
    assert ids == ["harbour-desk-wire", "harbour-desk-wire-2", "observatoire-des-ports", "hafen-nachrichten"]
    assert merged.feeds[2].kind == "atom" and merged.feeds[2].language == "fr"
    # The dump round-trips through the loader.
    assert parse_feeds(__import__("yaml").safe_load(dump_feeds(merged)), "x") == merged


def test_opml_garbage_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"subs\.opml: not valid OPML"):
        feeds_from_opml(b"<opml><body>", "subs.opml")


def test_slugify() -> None:
    assert slugify("Häfen  Nachrichten!") == "hafen-nachrichten"
    assert slugify("北朝鮮", fallback="feed-3") == "feed-3"
