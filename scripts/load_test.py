#!/usr/bin/env python3
"""Load test: N synthetic articles through extractor + dedup from a pre-filled raw topic.

    python scripts/load_test.py [--articles 200000] [--relevant-share 0.15]
                                [--bootstrap HOST:PORT --redis-url URL]   (default: a private stack)

By default it starts its own Kafka + Redis (scripts/stack.sh on free ports, state in a temp dir)
so the shared stack is not loaded with hundreds of MB; ``--bootstrap``/``--redis-url`` use an
existing one instead. Prints progress, then ONE JSON object (the measured numbers) on the last
line: drain time, throughput, peak RSS per process (VmHWM), Redis used_memory delta, counts in/out.
Exit code 1 if anything was lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.reliability.load_run import run_load  # noqa: E402
from tests.reliability.support import PrivateStack  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Run the load test; returns 0 when nothing was lost."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--relevant-share", type=float, default=0.15)
    parser.add_argument("--bootstrap", help="use this Kafka instead of a private stack")
    parser.add_argument("--redis-url", help="use this Redis instead of a private stack")
    parser.add_argument("--timeout", type=float, default=4 * 3600)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="wirewatch-load-") as tmp:
        stack: PrivateStack | None = None
        bootstrap, redis_url = args.bootstrap, args.redis_url
        if not (bootstrap and redis_url):
            stack = PrivateStack(Path(tmp) / "stack")
            print(f"[load] starting a private stack in {tmp}", flush=True)
            stack.up()
            bootstrap, redis_url = stack.bootstrap, stack.redis_url
        try:
            result = asyncio.run(
                run_load(
                    args.articles,
                    bootstrap=bootstrap,
                    redis_url=redis_url,
                    log_dir=Path(tmp) / "logs",
                    relevant_share=args.relevant_share,
                    timeout=args.timeout,
                    progress=True,
                )
            )
        finally:
            if stack is not None:
                stack.down()
    lost = result.lost()
    for problem in lost:
        print(f"[load] LOST: {problem}", flush=True)
    print(json.dumps({"stage": "load", **result.as_dict(), "lost": lost}))
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
