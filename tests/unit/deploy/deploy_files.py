"""Loaders for the deployment files the deploy tests check (compose, k8s, rules, dashboard)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = ROOT / "docker-compose.yml"
K8S_DIR = DEPLOY / "k8s"
RULES_DIR = DEPLOY / "prometheus" / "rules"
RULES_TEST = DEPLOY / "prometheus" / "tests" / "wirewatch.rules.test.yml"
PROMETHEUS_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
GRAFANA_DIR = DEPLOY / "grafana"
DASHBOARDS_DIR = GRAFANA_DIR / "dashboards"

# The four services and their /metrics + /healthz ports (docs/TEAM_BRIEF.md, fixed).
SERVICE_PORTS = {"fetcher": 9101, "extractor": 9102, "dedup": 9103, "alerter": 9104}

Doc = dict[str, Any]


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys (plain YAML keeps the last one silently)."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # keys merged from an anchor may be overridden, that is what `<<` is for
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    loader.flatten_mapping(node)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_yaml(path: Path) -> Any:
    """One YAML document; duplicate keys are an error."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)


def compose() -> Doc:
    """docker-compose.yml with anchors and merge keys resolved."""
    data = load_yaml(COMPOSE_FILE)
    assert isinstance(data, dict)
    return data


def k8s_objects() -> list[Doc]:
    """Every object of every deploy/k8s/*.yaml except the kustomization itself."""
    out: list[Doc] = []
    for path in sorted(K8S_DIR.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.load_all(path.read_text(encoding="utf-8"), Loader=_StrictLoader):
            if doc:
                doc["__file__"] = path.name
                out.append(doc)
    return out


def k8s_kind(kind: str) -> dict[str, Doc]:
    """Objects of one kind by name."""
    return {o["metadata"]["name"]: o for o in k8s_objects() if o["kind"] == kind}


def alert_rules() -> list[Doc]:
    """Every rule (alerting and recording) of deploy/prometheus/rules/*.yml."""
    rules: list[Doc] = []
    for path in sorted(RULES_DIR.glob("*.yml")):
        for group in load_yaml(path)["groups"]:
            rules.extend(group["rules"])
    return rules


def dashboards() -> dict[str, Doc]:
    """Every provisioned dashboard JSON by file name."""
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(DASHBOARDS_DIR.glob("*.json"))}


def dashboard_queries(dashboard: Doc) -> list[str]:
    """Every PromQL expression of a dashboard: panel targets (rows included) and query variables."""
    exprs: list[str] = []

    def walk(panels: list[Doc]) -> None:
        for panel in panels:
            exprs.extend(t["expr"] for t in panel.get("targets", []) if t.get("expr"))
            walk(panel.get("panels", []))

    walk(dashboard.get("panels", []))
    for var in dashboard.get("templating", {}).get("list", []):
        if var.get("type") == "query":
            query = var["query"]
            exprs.append(query["query"] if isinstance(query, dict) else str(query))
    return exprs


_KEYWORDS = {
    "and",
    "or",
    "unless",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "inf",
    "nan",
}
_LABEL_VALUES = re.compile(r"label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,[^)]*\)")
_LABEL_VALUES_ONE = re.compile(r"label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\)")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENT = re.compile(r"(?<![\w:$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(\s*\()?")


def metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression (or a Grafana ``label_values`` query) selects.

    Not a full PromQL parser: strings, label matchers, ranges and grouping clauses are removed,
    then every identifier that is not a function call or a keyword is a metric name.
    """
    names = set(_LABEL_VALUES.findall(expr)) | set(_LABEL_VALUES_ONE.findall(expr))
    expr = _LABEL_VALUES.sub(" ", _LABEL_VALUES_ONE.sub(" ", expr))
    expr = _STRING.sub('""', expr)
    expr = _MATCHERS.sub(" ", expr)
    expr = _RANGE.sub(" ", expr)
    expr = _GROUPING.sub(" ", expr)
    for ident, call in _IDENT.findall(expr):
        if call or ident.lower() in _KEYWORDS:
            continue
        names.add(ident)
    return names
