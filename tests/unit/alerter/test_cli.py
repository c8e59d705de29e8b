"""`wirewatch alert check|test` without the network (console channel)."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.cli import main

CONFIG = """version: 1
channels:
  console: {type: console}
  hook: {type: webhook, url_env: CLI_TEST_HOOK_URL, optional: true}
routes:
  - name: demo
    channels: [console, hook]
"""


def test_alert_test_sends_through_the_route(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "alerting.yaml"
    path.write_text(CONFIG)
    assert main(["alert", "test", "--route", "demo", "--file", str(path)]) == 0
    out = capsys.readouterr().out
    assert "[wirewatch] TEST route=demo" in out and "console: sent" in out and "hook: skipped" in out
    assert main(["alert", "test", "--route", "nope", "--file", str(path)]) == 2


def test_alert_check_reports_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "alerting.yaml"
    path.write_text(CONFIG.replace("[console, hook]", "[console, missing]"))
    assert main(["alert", "check", "--file", str(path)]) == 1
    assert "unknown channel 'missing'" in capsys.readouterr().err
