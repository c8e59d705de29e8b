"""`wirewatch cluster`: JSONL in, {id, near_dup_group, story_id, event_kind} out, in memory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.cli import main
from tests.unit.dedup import texts

TAGS = {
    "matches": [{"watchlist": "nk-russia-military", "score": 0.9, "relevant": True}],
    "entities": [
        {"id": e, "type": e.partition(":")[0]} for e in ("country:KP", "org:nis", "place:vladivostok")
    ],
    "facts": [],
}
IRRELEVANT = {"matches": [{"watchlist": "nk-russia-military", "score": 0.0, "relevant": False}]}


def test_cluster_writes_one_line_per_article_sorted_by_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        {
            "id": "copy",
            "text": texts.retitle_and_tail(texts.EN_NIS, "SEOUL"),
            "published_at": "2024-10-18T09:00:00Z",
            **TAGS,
        },
        {"id": "orig", "text": texts.EN_NIS, "published_at": "2024-10-18T06:00:00Z", "source": "A", **TAGS},
        {"id": "ko", "text": texts.KO_NIS, "lang": "ko", "published_at": "2024-10-18T10:00:00Z", **TAGS},
        {"id": "floods", "text": texts.EN_FLOODS, "published_at": "2024-10-18T11:00:00Z", **IRRELEVANT},
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert main(["cluster", str(path), "--config-dir", str(tmp_path)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["id"] for o in out] == ["orig", "copy", "ko", "floods"]
    by_id = {o["id"]: o for o in out}
    assert by_id["copy"]["near_dup_group"] == "orig" and by_id["orig"]["near_dup_group"] == "orig"
    assert by_id["ko"]["near_dup_group"] == "ko" and by_id["floods"]["near_dup_group"] == "floods"
    story = by_id["orig"]["story_id"]
    assert story and by_id["copy"]["story_id"] == story and by_id["ko"]["story_id"] == story
    assert [by_id[i]["event_kind"] for i in ("orig", "copy", "ko")] == ["new_story", "member", "member"]
    assert by_id["floods"]["story_id"] is None and by_id["floods"]["event_kind"] is None
