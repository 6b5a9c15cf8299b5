"""The soak's requests: ordinary ones of every role, and the hostile ones of issue 10.

    ordinary(platform, found) -> [Request]; hostile(platform) -> [Request]

A request is a kind name, headers and a body (bytes, sent as `application/json`); hostile requests are
expected to be refused (4xx, or a 200 with errors), fast, and never with a 5xx.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from . import workloads


@dataclass
class Request:
    kind: str
    headers: dict[str, str]
    body: bytes
    weight: float = 1.0


def _json(query: str, variables: dict | None = None) -> bytes:
    return json.dumps({"query": query, "variables": variables or {}}).encode()


def ordinary(platform, found: dict) -> list[Request]:
    """Mixed roles and operations: regional staff of two regions, KL, a ministry, an editor, anonymous."""

    def auth(*scopes: str, subject: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {platform.token(*scopes, subject=subject)}"}

    sj, nj = auth("region:sjaelland:read", subject="soak-sj"), auth("region:nordjylland:read", subject="soak-nj")
    kl, ministry = auth("benchmark:read", subject="soak-kl"), auth("aggregates:read", subject="soak-ministry")
    editor = auth("region:sjaelland:write", subject="soak-editor")
    items = {w.name: w for w in workloads.workloads(found)}
    report = items["W4"]
    return [
        Request("dashboard-sjaelland-2020", sj, _json(workloads.DASHBOARD, {"region": "sjaelland", "year": 2020}), 2),
        Request(
            "dashboard-nordjylland-2021", nj, _json(workloads.DASHBOARD, {"region": "nordjylland", "year": 2021}), 2
        ),
        Request("regions", sj, _json(workloads.REGIONS), 3),
        Request("kl-series", kl, _json(items["W2"].query, items["W2"].variables), 1),
        Request("ministry-aggregate", ministry, _json(items["W3"].query, items["W3"].variables), 1),
        *[
            Request("report-result", editor, _json(report.query, {**report.variables, "target": t}), 0.1)
            for t in found["targets"][:10]
        ],
        Request("anonymous-viewer", {}, _json("{ viewer { subject } }"), 2),
    ]


def _deep_contracts() -> str:
    return (
        "resultContracts { nodes { goals { nodes { indicators { nodes { targets { nodes { value "
        "latestResult { value } fulfilment { status } } } } } } } } }"
    )


def hostile(platform) -> list[Request]:
    """Issue 10's attacks, each with an ordinary token (or none)."""
    sj = {"Authorization": f"Bearer {platform.token('region:sjaelland:read', subject='soak-attacker')}"}
    kl = {"Authorization": f"Bearer {platform.token('benchmark:read', subject='soak-attacker-kl')}"}
    deep = " ".join(f'a{n}: region(slug: "sjaelland") {{ {_deep_contracts()} }}' for n in range(1000))
    regions = " ".join(f"r{n}: regions {{ slug }}" for n in range(10_000))
    fanout = (
        "{ regions { municipalities(first: 100) { nodes { region { municipalities(first: 100) { nodes { "
        "region { municipalities(first: 100) { nodes { name } } } } } } } } } }"
    )
    big_document = "{ regions { " + "slug " * 1_000_000 + "} }"  # ~5 MB, a million tokens
    deep_variables = "[" * 3000 + '"x"' + "]" * 3000  # json.dumps would recurse too deep for Python
    return [
        Request("1000-aliases-deep-contracts", sj, _json("{ " + deep + " }")),
        Request("10000-aliases-regions", sj, _json("{ " + regions + " }")),
        Request("municipalities-fan-out", sj, _json(fanout)),
        Request("5MB-document", sj, _json(big_document), 0.5),
        Request(
            "50MB-body", {}, b'{"query": "{ regions { slug } }", "variables": {"x": "' + b"a" * 50_000_000 + b'"}}', 0.2
        ),
        Request(
            "100000-word-search",
            kl,
            _json(
                "query($s: String) { benchmarkCatalogue(search: $s) { key } }", {"s": " ".join(["kendskab"] * 100_000)}
            ),
        ),
        Request(
            "3000-deep-variables",
            sj,
            (
                '{"query": "query($v: [String]) { regions { slug } }", "variables": {"v": ' + deep_variables + "}}"
            ).encode(),
        ),
        Request("bad-node-id", sj, _json('{ node(id: "Tm9kZTox") { id } }')),
        Request("nul-in-id", sj, _json('{ node(id: "VGFyZ2V0OgA=") { id } }')),
        Request(
            "huge-year", sj, _json('{ region(slug: "sjaelland") { resultContracts(year: 2147483647) { totalCount } } }')
        ),
    ]
