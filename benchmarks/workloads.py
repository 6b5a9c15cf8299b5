"""The load benchmark's workloads (issue 11): each a GraphQL request and its floor, one SQL statement.

    for w in workloads(choices):            # W1 ... W5, with the ids and slugs found in the database
        w.body(), w.scopes, w.floor_sql, w.floor_args(variables)

A workload's floor builds the same JSON answer (`{"data": ...}`) as the platform in ONE hand-written
statement (json_build_object / json_agg), run by `benchmarks/floor_app.py` as the owner (no row-level
security, no tenant context: the floor is what the database alone costs).  `http_load.py` checks before
timing that the floor's answer equals the platform's `data` (a write's answer carries no revision, so it compares as it is).  The SQL of the dashboard and the series: `floor_sql.py`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.harness import REPO_ROOT

from . import floor_sql

DASHBOARD = (REPO_ROOT / "frontend-contract" / "operations" / "regional" / "Dashboard.graphql").read_text()

SERIES = """query Series($agreement: String!, $code: String!) {
  benchmarkSeries(frameworkAgreement: $agreement, nationalGoalCode: $code) {
    years points { area { slug } year goalCode result rank }
  }
}"""

#: W3: a ministry's table of contract results, year x goal category with subtotals (aggregates.py's
#: year-category case), all measures, disclosure control.
AGGREGATE = """query Aggregate($units: [String!]) {
  aggregate(family: CONTRACT_RESULTS, groupBy: [YEAR, GOAL_CATEGORY], filter: {units: $units}, subtotals: ROLLUP,
            measures: [COUNT, SUM, MEAN, MEDIAN, MIN, MAX]) {
    cells { coordinates { dimension value total } contributors count sum mean median min max suppressed reason
            orderStatisticsWithheld }
  }
}"""

REPORT = """mutation Report($target: ID!, $value: Decimal!) {
  reportResult(input: {targetId: $target, value: $value, note: "benchmark"}) {
    result { value valueText } errors { field code message }
  }
}"""

REGIONS = "{ regions { slug name } }"


@dataclass
class Workload:
    """One request shape: the GraphQL body (variables may rotate per request: `rotate`), who sends it, and
    the floor's statement with its arguments taken from the same variables."""

    name: str
    title: str
    query: str
    variables: dict[str, Any]
    scopes: tuple[str, ...]
    floor_sql: str
    floor_params: tuple[str, ...] = ()  # variable names, in the order of $1, $2, ...
    rotate: dict[str, list[Any]] = field(default_factory=dict)  # a variable drawn per request from a list
    write: bool = False
    floor_role: str = "owner"  # or "kl": the application role with KL's flag (floor_app.py)

    def body(self, **variables: Any) -> dict[str, Any]:
        return {"query": self.query, "variables": {**self.variables, **variables}}

    def floor_args(self, variables: dict[str, Any]) -> list[Any]:
        return [variables.get(name) for name in self.floor_params]


def _global_id(type_name: str, row_id: object) -> str:
    import base64

    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


async def choices(conn) -> dict[str, Any]:
    """What the workloads ask for, found in the benchmark's database."""
    agreement, code = await conn.fetchrow(
        "SELECT ng.framework_agreement_slug, ng.code FROM goal g JOIN national_goal ng ON ng.id = g.national_goal_id "
        "GROUP BY 1, 2 ORDER BY count(*) DESC, 1, 2 LIMIT 1"
    )
    targets = await conn.fetch(f"""
        SELECT t.id FROM target t
        JOIN indicator i ON i.tenant_id = t.tenant_id AND i.id = t.indicator_id
        JOIN goal g ON g.tenant_id = i.tenant_id AND g.id = i.goal_id
        JOIN result_contract c ON c.tenant_id = g.tenant_id AND c.id = g.contract_id
        WHERE t.tenant_id = 'sjaelland' AND c.status IN ('signed', 'reported') AND t.unit = 'count'
          AND t.value IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM result_contract n WHERE n.tenant_id = c.tenant_id
                          AND n.business_hub_slug = c.business_hub_slug AND n.year = c.year AND n.version > c.version)
        ORDER BY t.id LIMIT {floor_sql.WRITE_TARGETS}""")
    if not targets:
        raise RuntimeError("no target of a signed contract in sjaelland to report results for")
    return {"agreement": agreement, "code": code, "targets": [_global_id("Target", t["id"]) for t in targets]}


def workloads(found: dict[str, Any]) -> list[Workload]:
    reader = ("region:sjaelland:read",)
    return [
        Workload(
            "W1-year",
            "Dashboard, region sjaelland, year 2020",
            DASHBOARD,
            {"region": "sjaelland", "year": 2020},
            reader,
            floor_sql.DASHBOARD,
            ("region", "year"),
        ),
        Workload(
            "W1-all",
            "Dashboard, region sjaelland, all years",
            DASHBOARD,
            {"region": "sjaelland"},
            reader,
            floor_sql.DASHBOARD,
            ("region", "year"),
        ),
        Workload(
            "W2",
            f"KL: benchmarkSeries of national goal {found['agreement']}/{found['code']}, all hubs and years",
            SERIES,
            {"agreement": found["agreement"], "code": found["code"]},
            ("benchmark:read",),
            floor_sql.SERIES,
            ("agreement", "code"),
            floor_role="kl",
        ),
        Workload(
            "W3",
            "Ministry: aggregate year x goal category (rollup), all measures, disclosure control",
            AGGREGATE,
            {"units": ["count"]},
            ("aggregates:read",),
            floor_sql.AGGREGATE,
            ("units",),
        ),
        Workload(
            "W4",
            "reportResult: a new revision of a target's result (region sjaelland, write)",
            REPORT,
            {"target": found["targets"][0], "value": "42"},
            ("region:sjaelland:write",),
            floor_sql.REPORT,
            ("target", "value"),
            rotate={"target": found["targets"]},
            write=True,
        ),
        Workload("W5", "{ regions { slug name } }", REGIONS, {}, reader, floor_sql.REGIONS),
    ]


def write_definitions(items: list[Workload], path: Path) -> None:
    """What the floor app serves: each workload's statement and parameter names (a JSON file)."""
    path.write_text(
        json.dumps({w.name: {"sql": w.floor_sql, "params": list(w.floor_params), "role": w.floor_role} for w in items})
    )
