"""Tagging quality: precision, recall and F1 of a watchlist on the labelled evaluation corpus.

    python scripts/eval_tagging.py                    # print the report, compare with the baseline
    python scripts/eval_tagging.py --write-baseline   # accept the current numbers as the baseline
    python scripts/eval_tagging.py --errors           # also list every misclassified article

Cases: tests/data/tagging_eval.jsonl ({"id","lang","title","text","relevant": {watchlist: bool},
"category","topic"}) plus the customer seed articles in ../shared/seeds/*.txt (all relevant; first
line is the title), read at run time and skipped when the folder is absent.
Exit code 1 when F1 fell more than the tolerance below tests/data/tagging_baseline.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from services.extractor.tagging import Tagger, load_tagger  # noqa: E402

CORPUS = REPO / "tests" / "data" / "tagging_eval.jsonl"
SEEDS = REPO.parent / "shared" / "seeds"
BASELINE = REPO / "tests" / "data" / "tagging_baseline.json"
WATCHLIST = "nk-russia-military"
TOLERANCE = 0.005


@dataclass(frozen=True)
class Case:
    """One labelled article."""

    id: str
    lang: str
    title: str
    text: str
    relevant: bool
    category: str
    topic: str


def load_cases(corpus: Path = CORPUS, seeds: Path = SEEDS, watchlist: str = WATCHLIST) -> list[Case]:
    """The corpus cases labelled for ``watchlist`` plus the seed articles (when present)."""
    cases: list[Case] = []
    if corpus.is_file():
        for line in corpus.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            labels = row.get("relevant", {})
            if watchlist not in labels:
                continue
            cases.append(
                Case(
                    id=str(row["id"]),
                    lang=str(row.get("lang") or "und"),
                    title=str(row.get("title") or ""),
                    text=str(row.get("text") or ""),
                    relevant=bool(labels[watchlist]),
                    category=str(row.get("category") or "unknown"),
                    topic=str(row.get("topic") or ""),
                )
            )
    if seeds.is_dir() and watchlist == WATCHLIST:
        for path in sorted(seeds.glob("*.txt")):
            lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
            if not lines:
                continue
            title = next((ln for ln in lines if len(ln) > 30), lines[0])
            cases.append(Case(f"seed:{path.stem}", "id", title, "\n".join(lines), True, "seed", "seed"))
    return cases


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def evaluate(tagger: Tagger, cases: list[Case], watchlist: str = WATCHLIST) -> dict[str, Any]:
    """Run the tagger over the cases: overall, per-language and per-category numbers, and the errors."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0, "tn": 0})
    categories: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0, "correct": 0})
    errors = []
    for case in cases:
        result = tagger.tag(title=case.title, text=case.text, lang=case.lang)
        predicted = result.relevant_to(watchlist)
        cell = ("tp" if case.relevant else "fp") if predicted else ("fn" if case.relevant else "tn")
        for key in ("all", f"lang:{case.lang}"):
            counts[key][cell] += 1
        categories[case.category]["n"] += 1
        categories[case.category]["correct"] += int(predicted == case.relevant)
        if predicted != case.relevant:
            score = next((m.score for m in result.matches if m.watchlist == watchlist), 0.0)
            errors.append(
                {"id": case.id, "kind": cell, "score": score, "topic": case.topic, "title": case.title}
            )
    overall = counts["all"]
    report: dict[str, Any] = {
        "watchlist": watchlist,
        "articles": len(cases),
        **_prf(overall["tp"], overall["fp"], overall["fn"]),
        "confusion": dict(overall),
        "per_language": {
            key.split(":", 1)[1]: {**_prf(c["tp"], c["fp"], c["fn"]), "n": sum(c.values())}
            for key, c in sorted(counts.items())
            if key != "all"
        },
        "per_category": {
            name: {"n": c["n"], "accuracy": round(c["correct"] / c["n"], 4)}
            for name, c in sorted(categories.items())
        },
    }
    report["errors"] = errors
    return report


def main(argv: list[str] | None = None) -> int:
    """Print the report; compare with (or write) the baseline."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config-dir", type=Path, default=REPO / "config")
    parser.add_argument("--write-baseline", action="store_true")
    parser.add_argument("--errors", action="store_true", help="list misclassified articles")
    args = parser.parse_args(argv)
    cases = load_cases()
    if not cases:
        print("no evaluation cases found", file=sys.stderr)
        return 1
    report = evaluate(load_tagger(args.config_dir / "watchlists"), cases)
    errors = report.pop("errors")
    print(f"watchlist {report['watchlist']}: {report['articles']} articles")
    print(
        f"overall   P={report['precision']:.3f} R={report['recall']:.3f} F1={report['f1']:.3f}",
        report["confusion"],
    )
    for lang, r in report["per_language"].items():
        print(f"  {lang:<4} n={r['n']:<4} P={r['precision']:.3f} R={r['recall']:.3f} F1={r['f1']:.3f}")
    for name, r in report["per_category"].items():
        print(f"  category {name:<14} n={r['n']:<4} accuracy={r['accuracy']:.3f}")
    if args.errors:
        for e in errors:
            print(f"  {e['kind']} {e['id']} score={e['score']} [{e['topic']}] {e['title'][:90]}")
    if args.write_baseline:
        BASELINE.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"baseline written to {BASELINE}")
        return 0
    if BASELINE.is_file():
        baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
        if report["f1"] < baseline["f1"] - TOLERANCE:
            print(f"FAIL: F1 {report['f1']:.4f} is below the baseline {baseline['f1']:.4f}", file=sys.stderr)
            return 1
        print(f"ok: F1 {report['f1']:.4f} vs baseline {baseline['f1']:.4f}")
    print(json.dumps({"stage": "tagging_eval", **{k: report[k] for k in ("precision", "recall", "f1")}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
