"""Slack Block Kit content, escaping of hostile feed text, and Slack's limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from services.alerter.alert import digest_alert, single_alert, story_from_event
from services.alerter.mrkdwn import ELLIPSIS, escape, link, truncate, truncate_mrkdwn
from services.alerter.slack_format import (
    FALLBACK_MAX,
    HEADER_MAX,
    MAX_BLOCKS,
    SECTION_TEXT_MAX,
    console_text,
    slack_message,
)
from tests.unit.alerter.factories import event

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
INJECTIONS = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U024BE7LH>",
    "<https://evil.example|click me>",
    "<#C123>",
]


def _texts(message: dict[str, object]) -> list[str]:
    """Every text string in the message."""
    out: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "text" and isinstance(v, str):
                    out.append(v)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(message)
    return out


def _alert(**kw: object):  # type: ignore[no-untyped-def]
    ev = event(**kw)  # type: ignore[arg-type]
    return single_alert(story_from_event(ev, "ops"), "ops", NOW)


def test_development_message_names_story_changes_facts_sources_and_ids() -> None:
    alert = _alert(
        kind="development",
        changes=["troop estimate 1,500 -> 10,000", "NATO confirms units in Kursk"],
        sources=3,
    )
    msg = slack_message(alert)
    blocks = msg["blocks"]
    assert blocks[0]["type"] == "header"
    assert blocks[0]["text"]["text"] == "Update: North Korean troops deployed to Kursk"
    joined = "\n".join(_texts(msg))
    assert "troop estimate 1,500 -&gt; 10,000; NATO confirms units in Kursk" in joined
    assert "troop count: 10,000 troops (North Korea, Kursk)" in joined
    assert "3 outlets, 3 languages (en, ko, ru)" in joined
    assert "<https://outlet1.example/news/s1|outlet1: North Korean troops deployed to Kursk (1)>" in joined
    assert "First seen 2026-11-20 11:00 UTC" in joined and "Last seen 2026-11-20 12:00 UTC" in joined
    assert "Story `s1`" in joined and "Route `ops`" in joined
    assert msg["text"].startswith("Update: North Korean troops deployed to Kursk — troop estimate")


def test_feed_text_cannot_mention_or_link() -> None:
    hostile = " ".join(INJECTIONS) + " & more"
    alert = _alert(title=hostile, changes=[hostile])
    msg = slack_message(alert)
    for text in _texts(msg):
        for bad in INJECTIONS:
            assert bad not in text
    body = json.dumps(msg)
    assert "&lt;!channel&gt;" in body and "&lt;@U024BE7LH&gt;" in body and "&amp; more" in body


def test_links_with_hostile_urls_or_labels_stay_inert() -> None:
    assert link("javascript:alert(1)", "x") == "x"
    assert link("https://a.example/x|<!here>", "t") == "<https://a.example/x%7C%3C!here%3E|t>"
    assert link("https://a.example/", "a <!channel> b") == "<https://a.example/|a &lt;!channel&gt; b>"
    assert escape("<@U1> & <!here>") == "&lt;@U1&gt; &amp; &lt;!here&gt;"


def test_limits_respected_for_huge_stories() -> None:
    alert = _alert(title="T" * 400, changes=["c" * 900] * 6, sources=40)
    msg = slack_message(alert)
    assert len(msg["blocks"][0]["text"]["text"]) <= HEADER_MAX
    assert msg["blocks"][0]["text"]["text"].endswith(ELLIPSIS)
    for block in msg["blocks"]:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= SECTION_TEXT_MAX
        for f in block.get("fields", []):
            assert len(f["text"]) <= 2000
    assert len(msg["text"]) <= FALLBACK_MAX
    assert "…and 32 more" in json.dumps(msg, ensure_ascii=False)


def test_digest_stays_within_50_blocks() -> None:
    stories = [story_from_event(event(story_id=f"s{i}", title=f"story {i}"), "ops") for i in range(120)]
    msg = slack_message(digest_alert(stories, "ops", "quiet_hours", NOW))
    assert len(msg["blocks"]) <= MAX_BLOCKS
    assert msg["blocks"][0]["text"]["text"] == "Digest: 120 stories held back (quiet hours)"
    assert "and 73 more stories" in json.dumps(msg)


def test_truncation_on_character_boundaries() -> None:
    assert truncate("abcdef", 4) == "abc" + ELLIPSIS
    assert truncate("abc", 3) == "abc"
    # a combining accent is never separated from its letter
    text = "cafe\u0301 au lait"
    assert truncate(text, 5) == "caf" + ELLIPSIS
    # ZWJ emoji sequences are not split in the middle
    family = "ab\U0001f468\u200d\U0001f469\u200d\U0001f467xyz"
    cut = truncate(family, 5)
    assert "\u200d" not in cut[-2:]
    # escaped entities and links are never cut in half
    assert truncate_mrkdwn("abc &amp; def", 7) == "abc" + ELLIPSIS
    assert truncate_mrkdwn("see <https://x.example/|label> now", 12) == "see" + ELLIPSIS


def test_console_text_is_plain_and_readable() -> None:
    alert = _alert(kind="development", changes=["troop estimate 1,500 -> 10,000"], title="Troops\x1b[31m red")
    text = console_text(alert)
    assert "\x1b" not in text
    assert "UPDATE route=ops watchlist=nk-russia-military story=s1" in text
    assert "what changed: troop estimate 1,500 -> 10,000" in text
