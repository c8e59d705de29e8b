"""The offline demo behind `make run`: replay feed -> fetcher -> extractor -> dedup -> alerter.

Uses the real Kafka and Redis from scripts/stack.sh (already up), a topic namespace ``demo`` and Redis
prefix ``ww:demo:`` (cleared at start so every run shows its alerts again). Alerts print on this
terminal; service logs go to .stack/demo/logs/. Ctrl-C (or DEMO_SECONDS elapsed) stops the services,
then the stack (unless KEEP_STACK=1).

Environment: DEMO_RATE (articles released per second, default 2), DEMO_SECONDS (stop after N s),
KEEP_STACK=1 (leave Kafka and Redis running).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.pipeline import LocalPipeline, PipelineConfig, wait_healthy  # noqa: E402

REPLAY_PORT = 8765


def banner(text: str) -> None:
    """A line for the human watching the demo."""
    sys.stdout.write(f"\n== {text}\n")
    sys.stdout.flush()


async def run() -> int:
    config = PipelineConfig(
        namespace="demo",
        redis_prefix="ww:demo:",
        log_dir=ROOT / ".stack" / "demo" / "logs",
        env={
            "WIREWATCH_FETCHER__FEEDS_FILE": str(ROOT / "config" / "demo" / "feeds.yaml"),
            "WIREWATCH_LOG_LEVEL": os.environ.get("WIREWATCH_LOG_LEVEL", "INFO"),
        },
    )
    pipeline = LocalPipeline(config)
    await pipeline.prepare(reset_state=True)
    rate = float(os.environ.get("DEMO_RATE", "2"))
    pipeline.start_replay(ROOT / "config" / "demo" / "articles.jsonl", REPLAY_PORT, rate)
    for service in ("extractor", "dedup", "fetcher"):
        pipeline.start(service)
    # The alerter's console channel writes alerts to stdout: show them on this terminal.
    pipeline.start("alerter", stdout=sys.stdout.buffer)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await wait_healthy(config.ports, timeout=90)
    except TimeoutError as exc:
        banner(f"{exc}; see logs in {config.log_dir}")
        pipeline.stop()
        return 1
    banner(
        f"wirewatch demo running: replay feed on http://127.0.0.1:{REPLAY_PORT}/rss.xml at {rate}/s, "
        f"metrics on :9101-9104, logs in {config.log_dir.relative_to(ROOT)}. "
        "Alerts appear below. Ctrl-C stops."
    )
    seconds = float(os.environ.get("DEMO_SECONDS", "0"))
    started = time.monotonic()
    exit_code = 0
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)
        dead = [name for name, alive in pipeline.running().items() if not alive]
        if dead:
            banner(f"process exited unexpectedly: {', '.join(dead)} (logs in {config.log_dir})")
            exit_code = 1
            break
        if seconds and time.monotonic() - started > seconds:
            break
    banner("stopping services")
    codes = pipeline.stop()
    bad = {name: code for name, code in codes.items() if code not in (0, -signal.SIGTERM)}
    if bad:
        banner(f"non-zero exits: {bad}")
    return exit_code or (1 if bad else 0)


def main() -> int:
    code = asyncio.run(run())
    if os.environ.get("KEEP_STACK") != "1":
        banner("stopping Kafka and Redis (KEEP_STACK=1 keeps them)")
        subprocess.run([str(ROOT / "scripts" / "stack.sh"), "down"], check=False)
    return code


if __name__ == "__main__":
    sys.exit(main())
