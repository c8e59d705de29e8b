"""Clustering quality: near-duplicate pairwise P/R/F1 and story B-cubed P/R/F1.

    python scripts/eval_clustering.py [--json] [--write-baseline]

Data: tests/data/cluster_eval.jsonl plus the customer seeds in ../shared/seeds (read at run time,
skipped when absent; their labels and dates are below). Articles are tagged by the extractor's real
engine (services.extractor.tagging) and clustered by the dedup engine exactly as ``wirewatch
cluster`` does. The checked-in baseline is tests/data/clustering_baseline.json; the gate test
tests/unit/dedup/test_quality_gate.py fails when a score drops below it.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from services.dedup.clustering import cluster, load_rules, load_tag_function  # noqa: E402
from services.dedup.settings import DedupConfig  # noqa: E402

CORPUS = REPO / "tests" / "data" / "cluster_eval.jsonl"
BASELINE = REPO / "tests" / "data" / "clustering_baseline.json"
SEEDS = REPO.parent / "shared" / "seeds"
WATCHLISTS = Path(os.environ.get("WIREWATCH_EVAL_WATCHLISTS", REPO / "config" / "watchlists"))

# Customer seeds: (file prefix, published_at, story label). 000 and 002 report Seoul summoning the
# Russian ambassador (21 Oct 2024, the corpus's e02 event), 001 the NIS report of 18 Oct (e01),
# 003 NATO confirming ~10,000 troops in Kursk (28 Oct, e04), 004 the June 2025 sappers and builders
# (Shoigu's announcement of 17 June 2025, the corpus's e11 event).
SEED_LABELS = (
    ("000", "2024-10-21T12:00:00Z", "e02-seoul-summons-ambassador"),
    ("001", "2024-10-19T03:00:00Z", "e01-nis-special-forces"),
    ("002", "2024-10-24T02:35:00Z", "e02-seoul-summons-ambassador"),
    ("003", "2024-10-28T12:00:00Z", "e04-nato-confirms-kursk"),
    ("004", "2025-06-19T06:00:00Z", "e11-shoigu-sappers-builders"),
)


def load_seeds() -> list[dict[str, Any]]:
    """The customer seeds as cluster records (first non-empty line = title); [] when absent."""
    if not SEEDS.is_dir():
        return []
    out = []
    for prefix, published, story in SEED_LABELS:
        files = sorted(SEEDS.glob(f"{prefix}_*.txt"))
        if not files:
            continue
        lines = [line for line in files[0].read_text(encoding="utf-8").splitlines() if line.strip()]
        out.append(
            {
                "id": f"seed-{prefix}",
                "lang": "id",
                "title": lines[0].strip(),
                "text": "\n".join(lines[1:]),
                "source": f"seed-{prefix}",
                "published_at": published,
                "near_dup_group": f"seed-{prefix}",
                "story": story,
            }
        )
    return out


def prf(tp: float, fp: float, fn: float) -> dict[str, float]:
    """Precision, recall, F1 (1.0 when there is nothing to find and nothing found)."""
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def pairwise(truth: dict[str, str], predicted: dict[str, str]) -> dict[str, float]:
    """Pairwise P/R/F1 of 'same group' decisions over all article pairs."""
    tp = fp = fn = 0
    for a, b in itertools.combinations(sorted(truth), 2):
        same_true, same_pred = truth[a] == truth[b], predicted[a] == predicted[b]
        tp += same_true and same_pred
        fp += same_pred and not same_true
        fn += same_true and not same_pred
    return prf(tp, fp, fn)


def bcubed(truth: dict[str, str | None], predicted: dict[str, str | None]) -> dict[str, float]:
    """B-cubed P/R/F1 over articles relevant in truth or prediction (a null label is a singleton)."""
    items = [i for i in truth if truth[i] is not None or predicted[i] is not None]
    true_label = {i: truth[i] or f"none:{i}" for i in items}
    pred_label = {i: predicted[i] or f"none:{i}" for i in items}
    by_true, by_pred = defaultdict(set), defaultdict(set)
    for i in items:
        by_true[true_label[i]].add(i)
        by_pred[pred_label[i]].add(i)
    if not items:
        return prf(0, 0, 0)
    p = sum(len(by_pred[pred_label[i]] & by_true[true_label[i]]) / len(by_pred[pred_label[i]]) for i in items)
    r = sum(len(by_pred[pred_label[i]] & by_true[true_label[i]]) / len(by_true[true_label[i]]) for i in items)
    p, r = p / len(items), r / len(items)
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def evaluate(records: list[dict[str, Any]], config: DedupConfig | None = None) -> dict[str, Any]:
    """Tag + cluster the records, then score near-duplicate groups and stories."""
    try:
        tag = load_tag_function(WATCHLISTS)
    except ImportError:  # the extractor has not landed: near-duplicate scores only
        print("warning: services.extractor.tagging unavailable; no stories", file=sys.stderr)
        tag = None
    lines = asyncio.run(
        cluster(records, config=config or DedupConfig(), rules_for=load_rules(WATCHLISTS), tag=tag)
    )
    by_id = {line["id"]: line for line in lines}
    truth_nd = {str(r["id"]): str(r["near_dup_group"]) for r in records}
    truth_story = {str(r["id"]): r.get("story") for r in records}
    pred_nd = {i: str(by_id[i]["near_dup_group"]) for i in truth_nd}
    pred_story = {i: by_id[i]["story_id"] for i in truth_nd}
    return {
        "articles": len(records),
        "seeds": sum(1 for r in records if str(r["id"]).startswith("seed-")),
        "near_dup": pairwise(truth_nd, pred_nd),
        "story_bcubed": bcubed(truth_story, pred_story),
        "lines": lines,
    }


def main() -> int:
    """Print the scores (and optionally write the baseline)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--details", action="store_true", help="print each article's decision")
    parser.add_argument("--write-baseline", action="store_true", help=f"write {BASELINE.relative_to(REPO)}")
    args = parser.parse_args()
    records = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    records += load_seeds()
    result = evaluate(records)
    truth = {str(r["id"]): r for r in records}
    if args.details:
        for line in result["lines"]:
            r = truth[line["id"]]
            print(
                f"{line['id']:10} nd={line['near_dup_group']:10} true_nd={r['near_dup_group']:10} "
                f"story={str(line['story_id'])[:12]:12} true={r.get('story')} {line['event_kind']} "
                f"{line.get('what_changed', '')}"
            )
    scores = {k: result[k] for k in ("articles", "seeds", "near_dup", "story_bcubed")}
    if args.write_baseline:
        BASELINE.write_text(json.dumps(scores, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(scores))
    else:
        nd, st = scores["near_dup"], scores["story_bcubed"]
        print(f"articles: {scores['articles']} (seeds: {scores['seeds']})")
        print(f"near-duplicate pairwise  P={nd['precision']:.3f} R={nd['recall']:.3f} F1={nd['f1']:.3f}")
        print(f"story B-cubed            P={st['precision']:.3f} R={st['recall']:.3f} F1={st['f1']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
