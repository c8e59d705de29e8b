"""Clustering quality gate: scores of scripts/eval_clustering.py must not drop below the checked-in
baseline (tests/data/clustering_baseline.json) nor below the targets (near-dup F1 0.95, story B-cubed
F1 0.90). Runs the real extractor tagger and the dedup engine in memory, like `wirewatch cluster`."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
BASELINE = REPO / "tests" / "data" / "clustering_baseline.json"
CORPUS = REPO / "tests" / "data" / "cluster_eval.jsonl"
TOLERANCE = 0.005
TARGETS = {"near_dup": 0.95, "story_bcubed": 0.90}


def _eval_module() -> object:
    spec = importlib.util.spec_from_file_location("eval_clustering", REPO / "scripts" / "eval_clustering.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_clustering"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not BASELINE.is_file() or not CORPUS.is_file(), reason="no baseline or corpus")
def test_clustering_scores_do_not_regress() -> None:
    pytest.importorskip("services.extractor.tagging")
    ev = _eval_module()
    records = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    records += ev.load_seeds()  # type: ignore[attr-defined]
    result = ev.evaluate(records)  # type: ignore[attr-defined]
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    for metric, target in TARGETS.items():
        f1 = result[metric]["f1"]
        assert f1 >= target, f"{metric} F1 {f1} below the target {target}"
        if result["articles"] == baseline["articles"]:  # same corpus: compare with the baseline
            assert f1 >= baseline[metric]["f1"] - TOLERANCE, f"{metric} F1 {f1} < baseline {baseline[metric]}"
