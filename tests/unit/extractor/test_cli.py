"""`wirewatch tag` and `wirewatch watchlists` (no Kafka)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from services.cli import main

from .conftest import NK, WATCHLISTS


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    (tmp_path / "watchlists").mkdir()
    shutil.copy(WATCHLISTS / f"{NK}.yaml", tmp_path / "watchlists")
    return tmp_path


def test_tag_writes_one_line_per_article(
    tmp_path: Path, config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.jsonl"
    lines = [
        {
            "id": "a",
            "title": "North Korean troops in Kursk",
            "text": "About 1,500 North Korean troops are in Russia.",
        },
        {
            "id": "b",
            "text": "Nothing to see here.",
            "lang": "en",
            "url": "https://x.test",
            "published_at": None,
        },
    ]
    source.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n", encoding="utf-8")
    assert main(["tag", str(source), "--config-dir", str(config_dir), "--watchlist", NK]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["id"] for o in out] == ["a", "b"]
    assert set(out[0]) == {"id", "lang", "matches", "entities", "facts"}
    assert out[0]["matches"][0]["relevant"] is True and out[1]["matches"][0]["relevant"] is False
    assert {"watchlist", "relevant", "score", "evidence"} <= set(out[0]["matches"][0])
    assert out[0]["facts"][0]["type"] == "troop_count"


def test_tag_reports_bad_lines_and_unknown_watchlists(
    tmp_path: Path, config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": 1, "text": "ok"}\nnot json\n[1]\n', encoding="utf-8")
    assert main(["tag", str(source), "--config-dir", str(config_dir)]) == 1
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 1 and "in.jsonl:2" in captured.err
    assert main(["tag", str(source), "--config-dir", str(config_dir), "--watchlist", "nope"]) == 2


def test_watchlists_validate_and_list(config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["watchlists", "validate", "--config-dir", str(config_dir)]) == 0
    assert main(["watchlists", "list", "--config-dir", str(config_dir)]) == 0
    assert NK in capsys.readouterr().out
    (config_dir / "watchlists" / "bad.yaml").write_text("name: bad\nrule: 3\n", encoding="utf-8")
    assert main(["watchlists", "validate", "--config-dir", str(config_dir)]) == 1
    assert "bad.yaml:2: field rule" in capsys.readouterr().err
