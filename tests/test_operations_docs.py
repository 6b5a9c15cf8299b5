"""docs/operations.md and docs/prometheus-alerts.yml stay in step with the metrics the platform exports."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from kkr.platform.metrics import REGISTRY

DOCS = Path(__file__).resolve().parent.parent / "docs"
_METRIC = re.compile(r"\bkkr_[a-z_]+\b")
_SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created")


def exported() -> dict[str, set[str]]:
    """Every metric of the platform's registry (by the names it is scraped as) -> its label names."""
    metrics: dict[str, set[str]] = {}
    # prometheus-client has no public list of a registry's collectors and their label names.
    for collector, names in REGISTRY._collector_to_names.items():
        labels = set(getattr(collector, "_labelnames", ()))
        for name in names:
            if not name.endswith("_created"):
                metrics[name] = labels
    return metrics


def base_name(name: str, known: dict[str, set[str]]) -> str:
    if name in known:
        return name
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and name.removesuffix(suffix) in known:
            return name.removesuffix(suffix)
    return name


def test_every_alert_rule_names_exported_metrics_and_labels() -> None:
    rules = yaml.safe_load((DOCS / "prometheus-alerts.yml").read_text())["groups"][0]["rules"]
    known = exported()
    assert len(rules) >= 5
    for rule in rules:
        assert {"alert", "expr", "for", "labels", "annotations"} <= rule.keys(), rule
        names = _METRIC.findall(rule["expr"])
        assert names, rule["alert"]
        for name in names:
            metric = base_name(name, known)
            assert metric in known, f"{rule['alert']}: {name} is not a metric the platform exports"
            for selector in re.findall(rf"{name}\{{([^}}]*)\}}", rule["expr"]):
                for label in re.findall(r"(\w+)\s*[=!~]", selector):
                    assert label in known[metric], f"{rule['alert']}: {name} has no label {label}"


def test_the_operations_guide_lists_every_metric() -> None:
    documented = set(_METRIC.findall((DOCS / "operations.md").read_text()))
    missing = sorted(min(names) for names in REGISTRY._collector_to_names.values() if not documented & set(names))
    assert not missing, f"docs/operations.md, Metrics, does not list {missing}"
