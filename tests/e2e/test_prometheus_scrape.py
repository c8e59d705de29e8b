"""A real scrape: Debian's Prometheus scrapes the four services running as processes.

The services run against the real Kafka and Redis of scripts/stack.sh in a uuid topic namespace,
a uuid Redis prefix and uuid consumer groups, each on its own metrics port; the fetcher polls a
feed served by this test on 127.0.0.1. Prometheus (``/usr/bin/prometheus``) scrapes them every
second with the repository's alert rules loaded, and the test checks through its HTTP API that
every target is up, the key series have values and every rule evaluates without error.

A service whose package has no ``__main__`` yet is skipped (the others are still checked).
"""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import importlib
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import yaml
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import BaseModel

from shared.settings import ServiceSettings
from shared.topics import create_topics, load_topics
from tests.kafka_helpers import BOOTSTRAP, REDIS_URL, ROOT, free_port, start_service

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.redis]

SERVICES = ("fetcher", "extractor", "dedup", "alerter")
CONSUMERS = ("extractor", "dedup", "alerter")
RULES_DIR = ROOT / "deploy" / "prometheus" / "rules"
FEED_ID = "scrape-test"
WAIT_SECONDS = 90.0

# A feed of our own: one item that matches no watchlist, so nothing downstream alerts on it.
FEED_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
<title>wirewatch scrape test</title><link>http://127.0.0.1/</link><description>test feed</description>
<item><title>Harbour festival draws record crowds</title>
<link>http://127.0.0.1/articles/1.html</link><guid>scrape-test-1</guid>
<pubDate>Sun, 22 Nov 2026 00:00:00 GMT</pubDate>
<description>The annual harbour festival drew record crowds to the waterfront this weekend.</description>
</item></channel></rss>
"""


class _FeedHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = FEED_XML if self.path.startswith("/rss.xml") else b"not found"
        self.send_response(200 if self.path.startswith("/rss.xml") else 404)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test output is the assertions."""


@dataclass
class Stack:
    """What the fixture started: service processes, their ports and logs, and Prometheus."""

    prometheus_url: str
    ports: dict[str, int]
    logs: dict[str, Path]
    procs: dict[str, subprocess.Popen[bytes]]
    skipped: dict[str, str] = field(default_factory=dict)

    def exited(self, name: str) -> int | None:
        """The exit code of a process that has stopped, None while it runs."""
        proc = self.procs.get(name)
        return None if proc is None else proc.poll()

    def log_tail(self, name: str, lines: int = 30) -> str:
        """The end of a process log, for assertion messages."""
        path = self.logs.get(name)
        if path is None or not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def _has_main(service: str) -> bool:
    try:
        return importlib.util.find_spec(f"services.{service}.__main__") is not None
    except ModuleNotFoundError:
        return False


def _consumer_group_variable(service: str) -> str | None:
    """The environment variable that sets a service's consumer group, from its settings model:
    a top-level ``consumer_group`` field or one in the service's own section."""
    module = importlib.import_module(f"services.{service}.settings")
    classes = [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type) and issubclass(obj, ServiceSettings) and obj is not ServiceSettings
    ]
    for cls in classes:
        if "consumer_group" in cls.model_fields:
            return "WIREWATCH_CONSUMER_GROUP"
        section = cls.model_fields.get(service)
        annotation = section.annotation if section is not None else None
        if (
            isinstance(annotation, type)
            and issubclass(annotation, BaseModel)
            and "consumer_group" in annotation.model_fields
        ):
            return f"WIREWATCH_{service.upper()}__CONSUMER_GROUP"
    return None


def _service_env(service: str, run_id: str, port: int, feeds_file: Path) -> dict[str, str]:
    env = {
        "WIREWATCH_KAFKA_BOOTSTRAP": BOOTSTRAP,
        "WIREWATCH_REDIS_URL": REDIS_URL,
        "WIREWATCH_TOPIC_NAMESPACE": f"scrape-{run_id}",
        "WIREWATCH_REDIS_PREFIX": f"ww-scrape-{run_id}:",
        "WIREWATCH_METRICS_HOST": "127.0.0.1",
        "WIREWATCH_METRICS_PORT": str(port),
        "WIREWATCH_LOG_LEVEL": "INFO",
        "WIREWATCH_INSTANCE": f"scrape-{service}",
    }
    # Our own consumer group: never join the group of a pipeline running on this broker.
    group_var = _consumer_group_variable(service)
    if group_var is not None:
        env[group_var] = f"scrape-{run_id}-{service}"
    if service == "fetcher":
        env["WIREWATCH_FETCHER__FEEDS_FILE"] = str(feeds_file)
        env["WIREWATCH_FETCHER__EXTRACT_WORKERS"] = "0"
        env["WIREWATCH_FETCHER__RESPECT_ROBOTS"] = "false"
    return env


def _prometheus_config(ports: dict[str, int]) -> dict[str, Any]:
    return {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
        "rule_files": [str(p) for p in sorted(RULES_DIR.glob("*.yml"))],
        "scrape_configs": [
            {"job_name": name, "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
            for name, port in ports.items()
        ],
    }


def _wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s")


def _stop(proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


async def _delete_topics(names: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP, request_timeout_ms=15000)
    await admin.start()
    try:
        await admin.delete_topics(names)
    finally:
        await admin.close()


def _delete_redis_keys(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
    finally:
        client.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Topics, a feed server, the services that exist, and a Prometheus scraping them."""
    prometheus = shutil.which("prometheus") or "/usr/bin/prometheus"
    if not os.access(prometheus, os.X_OK):
        pytest.skip("Debian's prometheus is not installed (apt-get install prometheus)")
    present = [s for s in SERVICES if _has_main(s)]
    if not present:
        pytest.skip("no service has a __main__ yet")

    tmp = tmp_path_factory.mktemp("scrape")
    run_id = uuid.uuid4().hex[:10]
    topics = load_topics(ROOT / "deploy" / "kafka" / "topics.yaml", f"scrape-{run_id}")
    asyncio.run(create_topics(BOOTSTRAP, topics))

    feed_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FeedHandler)
    threading.Thread(target=feed_server.serve_forever, daemon=True).start()
    feeds_file = tmp / "feeds.yaml"
    feed = {
        "id": FEED_ID,
        "url": f"http://127.0.0.1:{feed_server.server_address[1]}/rss.xml",
        "kind": "rss",
        "language": "en",
        "poll_interval": 5,
        "allow_private": True,
        "fetch_articles": False,
    }
    feeds_file.write_text(yaml.safe_dump({"feeds": [feed]}), encoding="utf-8")

    ports = {name: free_port() for name in present}
    logs = {name: tmp / f"{name}.log" for name in [*present, "prometheus"]}
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name in present:
            env = _service_env(name, run_id, ports[name], feeds_file)
            procs[name] = start_service(f"services.{name}", env, logs[name])

        prom_port = free_port()
        config_file = tmp / "prometheus.yml"
        config_file.write_text(yaml.safe_dump(_prometheus_config(ports)), encoding="utf-8")
        with logs["prometheus"].open("ab") as log:
            procs["prometheus"] = subprocess.Popen(
                [
                    prometheus,
                    f"--config.file={config_file}",
                    f"--storage.tsdb.path={tmp / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{prom_port}",
                    "--storage.tsdb.retention.time=1h",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{prom_port}"
        _wait_http(f"{url}/-/ready", timeout=30)
        skipped = {s: "no __main__ in the package yet" for s in SERVICES if s not in present}
        yield Stack(url, ports, logs, procs, skipped)
    finally:
        for proc in procs.values():
            _stop(proc)
        feed_server.shutdown()
        feed_server.server_close()
        _delete_redis_keys(f"ww-scrape-{run_id}:")
        with contextlib.suppress(Exception):
            asyncio.run(_delete_topics([t.name for t in topics]))


def _query(stack: Stack, promql: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{stack.prometheus_url}/api/v1/query", params={"query": promql}, timeout=5)
    response.raise_for_status()
    body = response.json()
    assert body["status"] == "success", body
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def _eventually(
    check: Callable[[], str | None], stack: Stack, process: str, timeout: float = WAIT_SECONDS
) -> str | None:
    """Run ``check`` until it returns None (success); returns its last complaint on timeout or
    as soon as ``process`` has exited (no point waiting for a dead service)."""
    deadline = time.monotonic() + timeout
    complaint = check()
    while complaint is not None and time.monotonic() < deadline:
        code = stack.exited(process)
        if code is not None:
            return f"{complaint}; the {process} process exited with code {code}"
        time.sleep(1)
        complaint = check()
    return complaint


def _require(stack: Stack, service: str) -> None:
    if service in stack.skipped:
        pytest.skip(f"services.{service}: {stack.skipped[service]}")


@pytest.mark.parametrize("service", SERVICES)
def test_target_is_up(stack: Stack, service: str) -> None:
    _require(stack, service)

    def check() -> str | None:
        response = httpx.get(f"{stack.prometheus_url}/api/v1/targets", timeout=5)
        targets = [t for t in response.json()["data"]["activeTargets"] if t["labels"]["job"] == service]
        if not targets:
            return "no target"
        bad = [t for t in targets if t["health"] != "up"]
        return f"{bad[0]['health']}: {bad[0]['lastError']}" if bad else None

    complaint = _eventually(check, stack, service)
    assert complaint is None, f"{service} target not up ({complaint})\n{stack.log_tail(service)}"


@pytest.mark.parametrize("service", SERVICES)
def test_service_up_and_build_info(stack: Stack, service: str) -> None:
    _require(stack, service)

    def check() -> str | None:
        up = _query(stack, f'wirewatch_service_up{{job="{service}", service="{service}"}} == 1')
        if not up:
            return "wirewatch_service_up is not 1"
        if not _query(stack, f'wirewatch_build_info{{job="{service}", service="{service}"}}'):
            return "no wirewatch_build_info"
        return None

    complaint = _eventually(check, stack, service)
    assert complaint is None, f"{service}: {complaint}\n{stack.log_tail(service)}"


@pytest.mark.parametrize("service", CONSUMERS)
def test_consumer_lag_has_values(stack: Stack, service: str) -> None:
    _require(stack, service)

    def check() -> str | None:
        lag = _query(stack, f'wirewatch_consumer_lag{{job="{service}", service="{service}"}}')
        return None if lag else "no wirewatch_consumer_lag series (no partitions assigned?)"

    complaint = _eventually(check, stack, service)
    assert complaint is None, f"{service}: {complaint}\n{stack.log_tail(service)}"


def test_feed_freshness_and_fetch_counts(stack: Stack) -> None:
    _require(stack, "fetcher")

    def check() -> str | None:
        fresh = _query(stack, f'time() - wirewatch_feed_last_success_timestamp{{feed="{FEED_ID}"}} < 120')
        if not fresh:
            return "no recent wirewatch_feed_last_success_timestamp for the test feed"
        fetched = _query(stack, f'wirewatch_fetch_total{{feed="{FEED_ID}", kind="feed"}}')
        return None if fetched else "no wirewatch_fetch_total for the test feed"

    complaint = _eventually(check, stack, "fetcher")
    assert complaint is None, f"fetcher: {complaint}\n{stack.log_tail('fetcher')}"


def test_alert_rules_evaluate(stack: Stack) -> None:
    """Every rule of deploy/prometheus/rules loads and evaluates cleanly in the real Prometheus."""

    def check() -> str | None:
        response = httpx.get(f"{stack.prometheus_url}/api/v1/rules", timeout=5)
        groups = response.json()["data"]["groups"]
        rules = [r for g in groups for r in g["rules"]]
        if not rules:
            return "no rules loaded"
        unevaluated = [r["name"] for r in rules if not r.get("lastEvaluation", "").startswith("2")]
        if unevaluated:
            return f"not evaluated yet: {unevaluated}"
        broken = [f"{r['name']}: {r.get('lastError')}" for r in rules if r["health"] != "ok"]
        return "; ".join(broken) if broken else None

    complaint = _eventually(check, stack, "prometheus", timeout=30)
    assert complaint is None, f"{complaint}\n{stack.log_tail('prometheus')}"


def _grafana_to_promql(expr: str) -> str:
    """Replace the dashboard's Grafana variables with values Prometheus accepts."""
    expr = expr.replace("$__rate_interval", "1m").replace("$__interval", "15s")
    return re.sub(r"\$\{?\w+\}?", ".*", expr)


def test_dashboard_queries_are_valid_promql(stack: Stack) -> None:
    """Every dashboard query runs on the real Prometheus without an error (syntax, types)."""
    from tests.unit.deploy.deploy_files import dashboard_queries, dashboards

    errors: list[str] = []
    for name, dashboard in dashboards().items():
        for expr in dashboard_queries(dashboard):
            if expr.startswith("label_values("):
                continue  # a Grafana function, not PromQL
            promql = _grafana_to_promql(expr)
            response = httpx.get(f"{stack.prometheus_url}/api/v1/query", params={"query": promql}, timeout=10)
            if response.status_code != 200 or response.json().get("status") != "success":
                errors.append(f"{name}: {promql}: {response.text[:300]}")
    assert not errors, "\n".join(errors)
