"""The whole pipeline on a multilingual scenario (tests/e2e/scenario.jsonl, our own writing).

Replay server -> fetcher -> extractor -> dedup -> alerter -> signed webhook, every service a separate
process on the real Kafka and Redis. The scenario has four stories, each with a first report, wire
copies, same-event reports in other languages and one or two real developments, plus unrelated
articles and hard negatives.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest

from shared.webhook_signature import verify
from tests.e2e.harness import SECRET, ScenarioRun, independent_verify

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.redis, pytest.mark.timeout(420)]


async def test_scenario_alerts_once_per_story_and_per_development(tmp_path: Path) -> None:
    # one release every 2 s: each poll sees one new item, so arrival order is publication order
    # (items released together are processed in an arbitrary order; see the closing note)
    run = ScenarioRun(tmp_path, rate=0.5)
    try:
        await run.start()
        received = await run.wait_for_alerts(run.expected_alerts(), timeout=240)
        delivery_log = await run.delivery_log()
    finally:
        codes = await run.stop()
    logs = "\n".join(
        f"{p.name}: {p.read_text(errors='replace')[-3000:]}" for p in (tmp_path / "logs").glob("*.log")
    )
    services = {name: code for name, code in codes.items() if name != "replay"}
    assert all(code == 0 for code in services.values()), f"exit codes {codes}\n{logs}"

    payloads = [r.json() for r in received]
    # every alert is signed: by the project's verifier and by an independent HMAC implementation
    for r in received:
        assert verify(SECRET, r.body, r.headers["x-wirewatch-signature"])
        assert independent_verify(SECRET, r.headers, r.body)
        assert r.headers["x-wirewatch-idempotency-key"] == r.json()["alert_id"]

    alert_ids = [p["alert_id"] for p in payloads]
    assert len(alert_ids) == len(set(alert_ids)), "duplicate alert ids delivered"

    by_kind: dict[str, list[dict[str, object]]] = defaultdict(list)
    story_of_label: dict[str, set[str]] = defaultdict(set)
    for p in payloads:
        label = run.label_of(p)
        story = p["stories"][0]
        by_kind[p["kind"]].append(
            {
                "label": label["expect"],
                "story_id": story["story_id"],
                "title": label["title"],
                "changes": [c["summary"] for c in story["changes"]],
            }
        )
        assert label["expect"]["story"] is not None, f"alert for an unrelated article: {label['title']}"
        story_of_label[label["expect"]["story"]].add(story["story_id"])

    stories = {line["expect"]["story"] for line in run.lines if line["expect"]["story"]}
    new_story_labels = Counter(str(a["label"]["story"]) for a in by_kind["new_story"])  # type: ignore[index]
    assert new_story_labels == Counter(dict.fromkeys(stories, 1)), f"new_story alerts: {new_story_labels}"
    for label, ids in story_of_label.items():
        assert len(ids) == 1, f"{label} was split into {len(ids)} stories"

    roles = Counter(str(a["label"]["role"]) for a in by_kind["development"])  # type: ignore[index]
    expected_devs = sum(1 for line in run.lines if line["expect"]["role"] == "development")
    detail = "\n".join(f"{a['label']}: {a['title']} -> {a['changes']}" for a in by_kind["development"])
    assert roles["copy"] == 0, f"a near-duplicate copy was alerted as a development:\n{detail}"
    assert roles["development"] == expected_devs, f"development alerts by role: {dict(roles)}\n{detail}"
    assert roles["same_event"] == 0, f"a same-event report with nothing new alerted:\n{detail}"

    # the delivery log on the alerts topic matches what the receiver got
    sent = {d["alert_id"] for d in delivery_log if d["status"] == "sent" and d["route"] == "e2e"}
    assert sent == set(alert_ids)
    assert all(d["latency_seconds"] is None or d["latency_seconds"] >= 0 for d in delivery_log)
