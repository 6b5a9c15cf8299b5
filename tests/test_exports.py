"""HTTP exports of the aggregates: /aggregates.csv and /aggregates.json (JSON-stat 2.0) carry the GraphQL
answer's numbers, validate, need the same token and scopes, name bad parameters and are access-logged."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import httpx
import pytest
from jsonstat_validator import validate_jsonstat
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from .test_aggregates_helpers import MINISTRY, TOTAL, aggregate, by_key
from .tokens import bearer

pytestmark = pytest.mark.usefixtures("demo_data")

AWARENESS = ["hub-awareness-2020-09", "hub-green-awareness-2020-09"]
PARAMS = {
    "family": "BENCHMARK_OBSERVATIONS",
    "groupBy": "INDICATOR,REGION",
    "subtotals": "CUBE",
    "indicators": ",".join(AWARENESS),
    "years": "2020",
}
GRAPHQL: dict[str, Any] = {
    "family": "BENCHMARK_OBSERVATIONS",
    "groupBy": ["INDICATOR", "REGION"],
    "subtotals": "CUBE",
    "filter": {"indicators": AWARENESS, "years": [2020]},
}
MEASURES = ("count", "sum", "mean", "median", "min", "max")


def export(
    client: httpx.Client, kind: str, params: dict[str, str], scopes: tuple[str, ...] = (MINISTRY,)
) -> httpx.Response:
    return client.get(f"/aggregates.{kind}", params=params, headers=bearer(*scopes) if scopes else {})


def number(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def test_csv_carries_the_graphql_numbers(client: httpx.Client) -> None:
    expected = by_key(aggregate(client, **GRAPHQL))
    response = export(client, "csv", PARAMS)
    assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert list(rows[0]) == ["indicator", "region", *MEASURES, "contributors", "status", "reason"]
    assert len(rows) == len(expected)
    suppressed = 0
    for row in rows:
        key = tuple(TOTAL if row[d] == "_T" else row[d] for d in ("indicator", "region"))
        cell = expected[key]
        if cell["suppressed"]:
            suppressed += 1
            assert row["status"] == ".." and all(row[m] == ".." for m in MEASURES) and row["reason"] == cell["reason"]
            continue
        for m in MEASURES:
            if cell[m] is None:
                assert row[m] == ".." and row["reason"] == "ORDER_STATISTICS_WITHHELD"
            else:
                assert Decimal(row[m]) == Decimal(cell[m]), (key, m)
        assert int(row["contributors"]) == cell["contributors"]
    assert suppressed  # regions of one or two hubs


def test_jsonstat_validates_and_carries_the_graphql_numbers(client: httpx.Client) -> None:
    expected = by_key(aggregate(client, **GRAPHQL))
    response = export(client, "json", PARAMS)
    assert response.status_code == 200
    dataset = response.json()
    assert validate_jsonstat(dataset) is True
    assert dataset["version"] == "2.0" and dataset["class"] == "dataset"
    assert dataset["id"] == ["indicator", "region", "measure"]
    sizes = dataset["size"]
    index = [dataset["dimension"][d]["category"]["index"] for d in dataset["id"]]
    measures = index[2]
    assert measures == [*MEASURES, "contributors"]
    for key, cell in expected.items():
        ids = ["_T" if v == TOTAL else v for v in key]
        position = (index[0].index(ids[0]) * sizes[1] + index[1].index(ids[1])) * sizes[2]
        for m, name in enumerate(measures):
            value = dataset["value"][position + m]
            if cell[name] is None:
                assert value is None and dataset["status"][str(position + m)] == ".."
            else:
                assert number(value) == pytest.approx(Decimal(str(cell[name]))), (key, name)
    total = (index[0].index(AWARENESS[0]) * sizes[1] + index[1].index("_T")) * sizes[2] + measures.index("sum")
    assert dataset["value"][total] == 40 + 36 + 34 + 33 + 32 + 26  # the six hubs, September 2020
    assert {dataset["extension"]["reason"][i] for i in dataset["status"]} >= {"FEW_CONTRIBUTORS"}


def test_the_same_token_and_scopes(client: httpx.Client) -> None:
    anonymous = export(client, "csv", PARAMS, scopes=())
    assert anonymous.status_code == 401 and "Bearer" in anonymous.headers["www-authenticate"]
    assert anonymous.json()["error"] == "unauthorized"
    regional = export(client, "json", PARAMS, scopes=("region:sjaelland:read",))
    assert regional.status_code == 403 and "aggregates:read" in regional.json()["message"]
    bad_token = client.get("/aggregates.csv", params=PARAMS, headers={"Authorization": "Bearer nonsense"})
    assert bad_token.status_code == 401
    assert export(client, "json", PARAMS, scopes=("benchmark:read",)).status_code == 200


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({}, "family"),
        ({"family": "NOPE"}, "family"),
        ({**PARAMS, "groupBy": "REGION,URBAN_RURAL"}, "groupBy"),
        ({**PARAMS, "regions": "sjaelland"}, "regions"),  # contributors are no filters
        ({**PARAMS, "lineages": "atlantis"}, "lineages"),
        ({**PARAMS, "colour": "red"}, "colour"),
        ({**PARAMS, "measures": "SUM,AVERAGE"}, "measures"),
        ({"family": "CONTRACT_RESULTS", "goalCategories": "LOCAL"}, "goalCategories"),
        ({"family": "CONTRACT_RESULTS", "goalCategories": "suburb"}, "goalCategories"),
        ({"family": "MUNICIPALITY_FIGURES"}, "indicators"),
    ],
)
def test_bad_parameters_are_400_naming_them(client: httpx.Client, params: dict[str, str], parameter: str) -> None:
    response = export(client, "csv", params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["parameter"] == parameter and f"Parameter '{parameter}'" in body["message"]


async def test_every_export_call_is_access_logged(client: httpx.Client, owner_engine: AsyncEngine) -> None:
    marker = "hub-awareness-2020-09"
    params = {"family": "BENCHMARK_OBSERVATIONS", "indicators": marker, "measures": "MEAN"}
    async with owner_engine.connect() as conn:
        before = (
            await conn.execute(text("SELECT count(*) FROM access_log WHERE operation_name LIKE 'GET /aggregates%'"))
        ).scalar_one()
    assert export(client, "csv", params).status_code == 200
    assert export(client, "json", {"family": "NOPE"}).status_code == 400
    async with owner_engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT operation_name, scopes, variables FROM access_log WHERE operation_name LIKE 'GET /aggregates%'"
                    " ORDER BY id DESC LIMIT 2"
                )
            )
        ).all()
        after = (
            await conn.execute(text("SELECT count(*) FROM access_log WHERE operation_name LIKE 'GET /aggregates%'"))
        ).scalar_one()
    assert after == before + 2
    assert rows[1].operation_name == "GET /aggregates.csv" and rows[1].scopes == [MINISTRY]
    assert rows[1].variables["indicators"] == [marker]
    assert rows[0].operation_name == "GET /aggregates.json"


def test_csv_of_a_grand_total(client: httpx.Client) -> None:
    response = export(
        client,
        "csv",
        {"family": "benchmark_observations", "indicators": "hub-awareness-2020-09", "measures": "mean,count"},
    )
    assert response.status_code == 200
    assert response.text.splitlines() == ["mean,count,contributors,status,reason", "33.500000,6,6,,"]


def test_the_documented_payments_export(client: httpx.Client) -> None:
    """docs/benchmarking.md ("Ministries", Exports) shows this answer."""
    response = export(
        client,
        "csv",
        {
            "family": "MUNICIPALITY_FIGURES",
            "groupBy": "REGION,YEAR",
            "measures": "COUNT,SUM",
            "indicators": "payment-business-hub",
        },
    )
    assert response.text.splitlines() == [
        "region,year,count,sum,contributors,status,reason",
        "nordjylland,2021,11,17039000.0000,11,,",
        "sjaelland,2019,17,23910000.0000,17,,",
        "nordjylland,_T,11,17039000.0000,11,,",
        "sjaelland,_T,17,23910000.0000,17,,",
        "_T,_T,28,40949000.0000,28,,",
    ]
