"""`wirewatch silence add|list|rm` against real Redis and `wirewatch alert test` to a local
webhook receiver and fake Slack."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from shared.webhook_signature import verify
from tests.integration.alerter.receiver import Receiver
from tests.kafka_helpers import ROOT

pytestmark = pytest.mark.redis


def wirewatch(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_silence_add_list_rm(redis_prefix: str) -> None:
    env = {"WIREWATCH_REDIS_PREFIX": redis_prefix}
    add = await asyncio.to_thread(
        wirewatch,
        ["silence", "add", "--entity", "place:kursk", "--term", "drill", "--duration", "2h",
         "--author", "ana", "--comment", "exercise"],
        env,
    )  # fmt: skip
    assert add.returncode == 0, add.stderr
    silence_id = add.stdout.split()[0]
    listed = await asyncio.to_thread(wirewatch, ["silence", "list"], env)
    assert silence_id in listed.stdout and "entity=place:kursk term=drill" in listed.stdout
    assert "by ana: exercise" in listed.stdout
    bad = await asyncio.to_thread(wirewatch, ["silence", "add", "--author", "ana"], env)
    assert bad.returncode == 2 and "at least one of" in bad.stderr
    removed = await asyncio.to_thread(wirewatch, ["silence", "rm", silence_id], env)
    assert removed.returncode == 0
    again = await asyncio.to_thread(wirewatch, ["silence", "rm", silence_id], env)
    assert again.returncode == 1
    assert silence_id not in (await asyncio.to_thread(wirewatch, ["silence", "list"], env)).stdout


async def test_alert_test_reaches_webhook_and_slack(tmp_path: Path, receiver: Receiver) -> None:
    path = tmp_path / "alerting.yaml"
    path.write_text(
        "version: 1\nchannels:\n"
        "  hook: {type: webhook, url_env: T_HOOK_URL, secret_env: T_HOOK_SECRET}\n"
        "  slack: {type: slack, url_env: T_SLACK_URL}\n"
        "routes:\n  - name: ops\n    channels: [hook, slack]\n"
    )
    env = {"T_HOOK_URL": receiver.url + "/hook", "T_HOOK_SECRET": "k", "T_SLACK_URL": receiver.url + "/slack"}
    done = await asyncio.to_thread(wirewatch, ["alert", "test", "--route", "ops", "--file", str(path)], env)
    assert done.returncode == 0, done.stderr
    assert "hook: sent" in done.stdout and "slack: sent" in done.stdout
    hook = next(r for r in receiver.accepted if r.path == "/hook")
    assert hook.json()["kind"] == "test" and verify("k", hook.body, hook.headers["x-wirewatch-signature"])
    slack = next(r for r in receiver.accepted if r.path == "/slack")
    assert slack.json()["blocks"][0]["text"]["text"].startswith("Test: wirewatch test alert for route ops")
    assert receiver.url not in done.stdout + done.stderr  # the URL is a secret
