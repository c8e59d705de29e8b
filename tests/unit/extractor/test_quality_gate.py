"""Tagging quality must not fall below the checked-in baseline (scripts/eval_tagging.py)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from services.extractor.tagging import Tagger

REPO = Path(__file__).resolve().parents[3]


def _eval_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("eval_tagging", REPO / "scripts" / "eval_tagging.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_tagging"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_f1_not_below_baseline(tagger: Tagger) -> None:
    evaluation = _eval_module()
    if not evaluation.CORPUS.is_file() or not evaluation.BASELINE.is_file():
        pytest.skip("evaluation corpus or baseline absent")
    report = evaluation.evaluate(tagger, evaluation.load_cases())
    baseline = json.loads(evaluation.BASELINE.read_text(encoding="utf-8"))
    errors = "\n".join(f"{e['kind']} {e['id']} {e['title']}" for e in report["errors"])
    assert report["f1"] >= baseline["f1"] - evaluation.TOLERANCE, errors
    assert report["f1"] >= 0.95, errors


def test_seed_articles_are_relevant(tagger: Tagger) -> None:
    evaluation = _eval_module()
    if not evaluation.SEEDS.is_dir():
        pytest.skip("../shared/seeds absent")
    seeds = [c for c in evaluation.load_cases(corpus=Path("/nonexistent")) if c.category == "seed"]
    assert seeds
    for case in seeds:
        assert tagger.tag(title=case.title, text=case.text).relevant_to(evaluation.WATCHLIST), case.id
