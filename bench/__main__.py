"""`make bench`: run every stage benchmark as its own process, print a table, write a JSON report.

Each ``bench/<stage>.py`` prints one JSON object of measured numbers on its last stdout line.
Usage: ``python -m bench [stage ...]`` (default: all). Report: bench/results/report.json.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("extractor", "dedup", "alerter", "fetcher", "pipeline")
RESULTS = ROOT / "bench" / "results"


def run_stage(stage: str, timeout: float) -> dict[str, Any]:
    """Run ``python -m bench.<stage>`` and parse its last JSON line."""
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", f"bench.{stage}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    elapsed = round(time.monotonic() - started, 1)
    lines = [line for line in proc.stdout.splitlines() if line.strip().startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout)[-2000:]
        return {"stage": stage, "error": f"exit {proc.returncode}", "log_tail": tail, "wall_seconds": elapsed}
    result: dict[str, Any] = json.loads(lines[-1])
    result.setdefault("stage", stage)
    result["wall_seconds"] = elapsed
    return result


def print_table(results: list[dict[str, Any]]) -> None:
    """One row per measured number."""
    print(f"\n{'stage':<11} {'metric':<44} {'value':>14}")
    print("-" * 71)
    for result in results:
        stage = result["stage"]
        for key, value in result.items():
            if key in ("stage", "log_tail"):
                continue
            shown = f"{value:,.3f}" if isinstance(value, float) else str(value)
            print(f"{stage:<11} {key:<44} {shown:>14}")
    print()


def main(argv: list[str]) -> int:
    """Run the stages named in argv (or all) and write the report."""
    stages = [s for s in argv if s in STAGES] or list(STAGES)
    timeout = float(os.environ.get("BENCH_STAGE_TIMEOUT", "1200"))
    results = []
    for stage in stages:
        if not (ROOT / "bench" / f"{stage}.py").is_file():
            results.append({"stage": stage, "error": "no benchmark module"})
            continue
        print(f"[bench] {stage} ...", flush=True)
        try:
            results.append(run_stage(stage, timeout))
        except subprocess.TimeoutExpired:
            results.append({"stage": stage, "error": f"timed out after {timeout:.0f}s"})
    report = {
        "generated_at": datetime.now(UTC).isoformat(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "results": results,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print_table(results)
    print(f"report: {RESULTS / 'report.json'}")
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
