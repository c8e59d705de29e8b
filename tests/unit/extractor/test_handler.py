"""The extractor handler: tagged output for every article, hot reload keeps the last good watchlists."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from services.extractor.handler import ExtractorHandler
from services.extractor.settings import ExtractorSettings
from shared.errors import ConfigError
from shared.messages import ArticleRaw, ArticleTagged, utc_now
from shared.runtime import Record

from .conftest import NK, WATCHLISTS
from .test_watchlists import IRAN

RECORD = Record("t.raw", 0, 7, "a" * 32, 0)


def raw(title: str, text: str, lang: str = "en") -> ArticleRaw:
    return ArticleRaw(
        article_id="a" * 32,
        trace="a" * 32,
        url="https://example.test/a",
        canonical_url="https://example.test/a",
        feed_id="feed",
        source="Example",
        title=title,
        text=text,
        lang=lang,
        fetched_at=utc_now(),
        content_sha256="0" * 64,
    )


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    (tmp_path / "watchlists").mkdir()
    shutil.copy(WATCHLISTS / f"{NK}.yaml", tmp_path / "watchlists")
    return tmp_path


def handler_for(config_dir: Path) -> ExtractorHandler:
    settings = ExtractorSettings(config_dir=config_dir, topic_namespace="ns", config_check_seconds=0.001)
    return ExtractorHandler(settings)


async def test_every_article_gets_a_tagged_message(config_dir: Path) -> None:
    handler = handler_for(config_dir)
    for message, relevant in [
        (raw("North Korean troops arrive in Russia's Kursk", "About 10,000 North Korean soldiers."), True),
        (raw("Weather", "Sunny tomorrow."), False),
        (raw("", "", lang="und"), False),
    ]:
        (out,) = await handler.handle(message, RECORD)
        assert out.topic == "ns.articles.tagged.v1" and out.key == message.article_id
        tagged = out.value
        assert isinstance(tagged, ArticleTagged)
        ArticleTagged.model_validate_json(out.payload())
        assert tagged.relevant_watchlists == ([NK] if relevant else [])
        assert tagged.trace == message.trace and tagged.event_id != message.event_id


async def test_huge_text_is_capped(config_dir: Path) -> None:
    handler = handler_for(config_dir)
    text = "North Korean troops in Russia. " * 130_000  # ~4 MB, the raw topic's limit
    (out,) = await handler.handle(raw("t", text), RECORD)
    assert isinstance(out.value, ArticleTagged)
    assert len(out.value.text) == handler.settings.max_tagged_text_chars
    assert len(out.payload()) < 4 * 1024 * 1024


async def test_hot_reload_adds_watchlists_and_keeps_last_good_on_errors(config_dir: Path) -> None:
    handler = handler_for(config_dir)
    article = raw("Iran ships Shahed drones to Russia", "Iran delivered 2,000 Shahed drones to Russia.")
    path = config_dir / "watchlists" / "iran-russia-drones.yaml"

    path.write_text(IRAN, encoding="utf-8")
    await asyncio.sleep(0.01)  # past config_check_seconds
    (out,) = await handler.handle(article, RECORD)
    assert isinstance(out.value, ArticleTagged)
    assert out.value.relevant_watchlists == ["iran-russia-drones"]

    path.write_text(IRAN.replace("within: 200", "within: lots"), encoding="utf-8")
    os.utime(path, ns=(1, 1))  # a different mtime even on coarse clocks
    await asyncio.sleep(0.01)
    (out,) = await handler.handle(article, RECORD)
    assert isinstance(out.value, ArticleTagged)
    assert out.value.relevant_watchlists == ["iran-russia-drones"]  # last good set still in force
    assert handler.health()["watchlist_error"] and "rule.signals.0.within" in str(
        handler.health()["watchlist_error"]
    )


def test_bad_watchlist_at_start_is_fatal(config_dir: Path) -> None:
    (config_dir / "watchlists" / "broken.yaml").write_text("name: broken\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.yaml"):
        handler_for(config_dir)


async def test_lone_surrogates_from_json_escapes_are_replaced(config_dir: Path) -> None:
    import json

    from shared.runtime import decode

    payload = json.loads(raw("t", "x").model_dump_json(by_alias=True))
    payload.update(title="North Korean troops \ud800", text="in Russia \udfff", authors=["\ud801"])
    message = decode(ArticleRaw, json.dumps(payload).encode())
    (out,) = await handler_for(config_dir).handle(message, RECORD)
    tagged = ArticleTagged.model_validate_json(out.payload())
    assert tagged.title == "North Korean troops \ufffd" and tagged.authors == ["\ufffd"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain ASCII",
        "Ünïcode — «quotes» \U0001f600",
        "lone \ud800 high",
        "lone \udfff low",
        "\udbff\udc00 pair of escapes",
        "edges \ud7ff \ue000 are not surrogates",
    ],
)
def test_surrogate_check_equals_the_regex(text: str) -> None:
    from services.extractor.handler import _SURROGATE, _has_surrogate

    assert _has_surrogate(text) == (_SURROGATE.search(text) is not None)


def test_surrogate_check_equals_the_regex_on_every_code_point() -> None:
    from services.extractor.handler import _SURROGATE, _has_surrogate

    for point in range(0x80, 0x110000):
        text = "é" + chr(point)
        assert _has_surrogate(text) == (_SURROGATE.search(text) is not None), hex(point)
