"""The ministries' `aggregate` query on the demo data: correct, non-suppressed answers worked out by hand
from the papers, suppressed cells where the rules say so, clear errors, and no row-level value anywhere."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from kkr.platform.database import Database, TenantContext

from .api_client import error_messages, post
from .test_aggregates_helpers import AGGREGATE, MINISTRY, TOTAL, aggregate, by_key

pytestmark = pytest.mark.usefixtures("demo_data")


async def municipal_sum(owner: AsyncEngine, measure: str, region: str, year: int) -> tuple[Decimal, int]:
    """The hand sum of the municipal rows (read by the owner, as the papers print them)."""
    if measure == "population":
        sql = (
            "SELECT sum(p.population), count(*) FROM municipality_population p"
            " JOIN municipality m ON m.code = p.municipality_code WHERE m.region_slug = :r AND p.year = :y"
        )
        params = {"r": region, "y": year}
    else:
        sql = (
            "SELECT sum(f.value), count(*) FROM municipality_figure f JOIN municipality m"
            " ON m.code = f.municipality_code WHERE m.region_slug = :r AND f.year = :y AND f.measure = :m"
        )
        params = {"r": region, "y": year, "m": measure}
    async with owner.connect() as conn:
        total, n = (await conn.execute(text(sql), params)).one()
    return Decimal(total), n


async def test_payments_per_kkr_are_the_sums_of_the_municipal_rows(client: httpx.Client, owner_engine) -> None:
    table = aggregate(
        client,
        family="MUNICIPALITY_FIGURES",
        groupBy=["REGION", "YEAR"],
        filter={"indicators": ["payment-business-hub"]},
        measures=["COUNT", "SUM"],
    )
    cells = by_key(table)
    for region, year in (("sjaelland", "2019"), ("nordjylland", "2021")):
        total, n = await municipal_sum(owner_engine, "payment-business-hub", region, int(year))
        cell = cells[(region, year)]
        assert not cell["suppressed"] and cell["reason"] is None
        assert Decimal(cell["sum"]) == total and cell["count"] == n == cell["contributors"]
    # Erhvervshus Nordjylland's payment key: the rows add up to 17.039 (million kroner), not the printed 17.037
    assert Decimal(cells[("nordjylland", "2021")]["sum"]) == Decimal("17039000")
    assert cells[("sjaelland", "2019")]["count"] == 17
    grand = cells[(TOTAL, TOTAL)]
    assert Decimal(grand["sum"]) == Decimal(cells[("sjaelland", TOTAL)]["sum"]) + Decimal(
        cells[("nordjylland", TOTAL)]["sum"]
    )
    assert table["contributor"] == "municipalities" and table["measures"] == ["COUNT", "SUM"]
    assert all(c["mean"] is None and c["median"] is None for c in table["cells"])  # not asked for


async def test_population_per_region(client: httpx.Client, owner_engine) -> None:
    table = aggregate(
        client,
        family="MUNICIPALITY_FIGURES",
        groupBy=["YEAR", "REGION"],
        filter={"indicators": ["population"]},
        subtotals="NONE",
    )
    cells = by_key(table)
    total, n = await municipal_sum(owner_engine, "population", "sjaelland", 2019)
    assert Decimal(cells[("2019", "sjaelland")]["sum"]) == total == Decimal(836657)  # KKR Sjælland, seed-002 L1609
    assert cells[("2019", "sjaelland")]["count"] == n == 17
    total, n = await municipal_sum(owner_engine, "population", "hovedstaden", 2018)
    assert Decimal(cells[("2018", "hovedstaden")]["sum"]) == total and n == 14
    assert all(TOTAL not in key for key in cells)  # NONE: no subtotals


def test_awareness_averaged_over_the_six_hubs(client: httpx.Client) -> None:
    table = aggregate(client, family="BENCHMARK_OBSERVATIONS", filter={"indicators": ["hub-awareness-2020-09"]})
    [cell] = table["cells"]
    assert cell["coordinates"] == [] and cell["contributors"] == 6 and cell["count"] == 6
    assert Decimal(cell["mean"]) == Decimal(40 + 36 + 34 + 33 + 32 + 26) / 6  # the national row (33) left out
    assert Decimal(cell["median"]) == Decimal("33.5") and Decimal(cell["max"]) == 40 and Decimal(cell["min"]) == 26


def test_cells_of_one_or_two_contributors_are_suppressed(client: httpx.Client) -> None:
    table = aggregate(
        client, family="BENCHMARK_OBSERVATIONS", groupBy=["REGION"], filter={"indicators": ["hub-awareness-2020-09"]}
    )
    cells = by_key(table)
    # Syddanmark has two hubs (Fyn, Sydjylland): 2 contributors; every other region has one
    assert all(
        cells[(r,)]["suppressed"] and cells[(r,)]["reason"] == "FEW_CONTRIBUTORS"
        for r in ("nordjylland", "midtjylland", "sjaelland", "syddanmark", "hovedstaden")
    )
    assert all(
        cells[(r,)][m] is None
        for r in ("syddanmark", "sjaelland")
        for m in ("sum", "count", "mean", "median", "min", "max", "contributors")
    )
    grand = cells[(TOTAL,)]
    assert not grand["suppressed"] and Decimal(grand["sum"]) == 201
    # min and max would point at a hub of a suppressed region: withheld
    assert grand["orderStatisticsWithheld"] and grand["max"] is None and grand["median"] is None
    # the demo's contracts: two hubs only, so every cell of contract results is suppressed
    contracts = aggregate(client, family="CONTRACT_RESULTS", groupBy=["YEAR"])
    assert contracts["cells"] and all(c["suppressed"] and c["sum"] is None for c in contracts["cells"])


async def test_dominance_rule_in_the_database(app_db: Database) -> None:
    """One municipality's population over 85 % of a cell: Copenhagen is half of Hovedstaden's 14, so a
    (1, 40) rule suppresses the region's cell while (1, 85) does not."""
    ministry = TenantContext(flags=frozenset({MINISTRY}), actor="ministry")
    sql = text(
        "SELECT dimension_values, suppressed, reason FROM kkr_aggregate('municipality_figures', '{region}',"
        ' \'{"indicator": ["population"], "year": ["2018"]}\', \'none\', \'{sum}\', 3, :n, :k, 10)'
    )
    async with app_db.transaction(ministry, read_only=True) as session:
        strict = (await session.execute(sql, {"n": [1], "k": [40]})).all()
        default = (await session.execute(sql, {"n": [1], "k": [85]})).all()
    assert [(r.dimension_values, r.reason) for r in strict] == [(["hovedstaden"], "DOMINANCE")]
    assert [(r.dimension_values, r.suppressed) for r in default] == [(["hovedstaden"], False)]


async def test_a_ministry_transaction_sees_no_contract_rows_but_gets_aggregates(app_db: Database) -> None:
    ministry = TenantContext(flags=frozenset({MINISTRY}), actor="ministry")
    async with app_db.transaction(ministry, read_only=True) as session:
        for table in ("result_contract", "goal", "indicator", "target", "result"):
            assert (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar() == 0
        cells = (
            await session.execute(text("SELECT count(*) FROM kkr_aggregate('contract_targets', '{year}')"))
        ).scalar_one()
    assert cells > 0
    with pytest.raises(Exception, match="aggregates:read"):
        async with app_db.transaction(TenantContext(), read_only=True) as session:
            await session.execute(text("SELECT * FROM kkr_aggregate('contract_targets')"))


async def test_the_rules_cannot_be_weakened_below_their_floors(app_db: Database) -> None:
    ministry = TenantContext(flags=frozenset({MINISTRY}), actor="ministry")
    for args in ("1, '{1}', '{85}', 10", "3, '{1}', '{85}', 0", "3, '{1,2}', '{85}', 10"):
        with pytest.raises(Exception, match=r"minimum number|protection level|dominance"):
            async with app_db.transaction(ministry, read_only=True) as session:
                await session.execute(
                    text(
                        f"SELECT * FROM kkr_aggregate('contract_targets', '{{}}', '{{}}', 'rollup', '{{sum}}', {args})"
                    )
                )


@pytest.mark.parametrize(
    ("variables", "argument"),
    [
        ({"family": "CONTRACT_RESULTS", "groupBy": ["URBAN_RURAL"]}, "groupBy"),
        ({"family": "CONTRACT_RESULTS", "groupBy": ["YEAR", "YEAR"]}, "groupBy"),
        ({"family": "MUNICIPALITY_FIGURES", "groupBy": ["REGION"]}, "filter.indicators"),
        ({"family": "CONTRACT_RESULTS", "filter": {"lineages": ["atlantis"]}}, "filter.lineages"),
        ({"family": "CONTRACT_RESULTS", "filter": {"segments": ["atlantis"]}}, "filter.segments"),
        ({"family": "CONTRACT_RESULTS", "filter": {"goalCategories": ["LOCAL"]}}, "filter.goalCategories"),
        ({"family": "CONTRACT_RESULTS", "filter": {"years": [20]}}, "filter.years"),
        ({"family": "BENCHMARK_OBSERVATIONS", "filter": {"indicators": ["no-such-indicator"]}}, "filter.indicators"),
        ({"family": "CONTRACT_RESULTS", "filter": {"lineages": []}}, "filter.lineages"),
        ({"family": "CONTRACT_RESULTS", "measures": []}, "measures"),
    ],
)
def test_bad_arguments_are_named(client: httpx.Client, variables: dict[str, Any], argument: str) -> None:
    body = post(client, AGGREGATE, variables, MINISTRY)
    assert body["data"] is None or body["data"].get("aggregate") is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and f"Argument '{argument}'" in error["message"], error


def test_an_unknown_dimension_fails_validation(client: httpx.Client) -> None:
    body = post(client, AGGREGATE, {"family": "CONTRACT_RESULTS", "groupBy": ["MUNICIPALITY"]}, MINISTRY)
    assert "errors" in body and "MUNICIPALITY" in error_messages(body)[0]


def test_only_aggregate_scopes_reach_the_query(client: httpx.Client) -> None:
    body = post(client, AGGREGATE, {"family": "CONTRACT_RESULTS"}, "region:sjaelland:read")
    assert "errors" in body and body.get("data") is None
    kl = aggregate(
        client, ("benchmark:read",), family="BENCHMARK_OBSERVATIONS", filter={"indicators": ["hub-awareness-2020-09"]}
    )
    assert kl["cells"][0]["contributors"] == 6


def test_a_ministry_reaches_no_row_level_field(client: httpx.Client) -> None:
    query = (
        "{ __schema { queryType { fields { name type { name ofType { name ofType { name ofType { name } } } } } } } }"
    )
    fields = post(client, query, None, MINISTRY)["data"]["__schema"]["queryType"]["fields"]
    names = {f["name"] for f in fields}
    assert "aggregate" in names
    assert not names & {"resultContracts", "benchmarkObservations", "municipalities", "node", "nodes", "regions"}
    for row_level in (
        "{ benchmarkObservations(first: 1) { nodes { value } } }",
        "{ municipalities { code } }",
        "{ resultContracts(first: 1) { nodes { id } } }",
    ):
        assert "errors" in post(client, row_level, None, MINISTRY)


def test_contributors_cannot_be_filtered(client: httpx.Client) -> None:
    """The total of all hubs minus the total of all hubs but one would be that hub's figure: regions, hubs and
    the urban/rural class are no filters (group by them), in GraphQL and in the database."""
    for field in ("regions", "hubs", "urbanRural"):
        body = post(
            client,
            AGGREGATE,
            {"family": "BENCHMARK_OBSERVATIONS", "filter": {"indicators": ["hub-awareness-2020-09"], field: ["x"]}},
            MINISTRY,
        )
        assert "errors" in body and field in error_messages(body)[0]


async def test_the_database_refuses_contributor_filters(app_db: Database) -> None:
    ministry = TenantContext(flags=frozenset({MINISTRY}), actor="ministry")
    for dimension in ("region", "hub", "urban_rural"):
        with pytest.raises(Exception, match="contributors cannot be filtered"):
            async with app_db.transaction(ministry, read_only=True) as session:
                await session.execute(
                    text("SELECT * FROM kkr_aggregate('municipality_figures', '{}', CAST(:f AS jsonb))"),
                    {"f": f'{{"indicator": ["population"], "{dimension}": ["sjaelland"]}}'},
                )


def test_a_table_too_large_for_the_disclosure_control_is_refused(client: httpx.Client) -> None:
    body = post(
        client,
        AGGREGATE,
        {"family": "BENCHMARK_OBSERVATIONS", "groupBy": ["INDICATOR", "HUB", "PERIOD", "REGION"], "subtotals": "NONE"},
        MINISTRY,
    )
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "Argument 'groupBy'" in error["message"]
    assert "at most 2000" in error["message"]


@pytest.mark.parametrize(
    ("family", "group_by", "filter", "subtotals"),
    [
        ("municipality_figures", ["region", "urban_rural"], '{"indicator": ["population"]}', "cube"),
        ("municipality_figures", ["year", "region", "indicator"], "{}", "rollup"),
        ("contract_targets", ["goal_category", "unit"], "{}", "cube"),
        ("benchmark_observations", [], '{"indicator": ["hub-awareness-2020-09"]}', "grand_total"),
    ],
)
async def test_medians_are_the_medians_of_the_rows(
    app_db: Database, owner_engine: AsyncEngine, family: str, group_by: list[str], filter: str, subtotals: str
) -> None:
    """Medians are computed after the suppression, only for the cells that publish them: each equals the
    median of the cell's rows (read by the owner through the function's own row source)."""
    import json
    import re
    import statistics

    ministry = TenantContext(flags=frozenset({"aggregates:read"}), actor="ministry")
    async with app_db.transaction(ministry, read_only=True) as session:
        rows = (
            await session.execute(
                text(
                    "SELECT * FROM kkr_aggregate(:f, :g, CAST(:filter AS jsonb), :s, '{count,median}', 2, '{1}', '{99}', 10)"
                ),
                {"f": family, "g": group_by, "filter": filter, "s": subtotals},
            )
        ).all()
    async with owner_engine.connect() as conn:
        source = (
            await conn.execute(
                text("SELECT kkr_aggregate_source(:f, :g, CAST(:filter AS jsonb))"),
                {"f": family, "g": group_by, "filter": filter},
            )
        ).scalar_one()
        dims = [
            "year",
            "period",
            "region",
            "hub",
            "urban_rural",
            "goal_category",
            "lineage",
            "unit",
            "segment",
            "indicator",
        ]
        source = re.sub(r"\$(\d+)", lambda m: f"CAST(:f{m.group(1)} AS text[])", source)
        args = {f"f{i + 1}": json.loads(filter).get(d) for i, d in enumerate(dims)}
        figures = (await conn.execute(text(f"SELECT * FROM ({source}) s"), args)).mappings().all()
    published = [r for r in rows if not r.order_statistics_withheld]
    assert (published and {r.grouping_mask for r in published} != {0}) or not group_by
    for r in rows:
        values = [
            f["value"]
            for f in figures
            if all(r.grouping_mask >> j & 1 or f[f"d{j + 1}"] == r.dimension_values[j] for j in range(len(group_by)))
        ]
        if r.order_statistics_withheld:
            assert r.value_median is None
        else:
            assert r.value_count == len(values)
            assert float(r.value_median) == pytest.approx(float(statistics.median(values))), r


def test_local_goals_are_refused_with_the_reason(client: httpx.Client) -> None:
    body = post(client, AGGREGATE, {"family": "CONTRACT_RESULTS", "filter": {"goalCategories": ["LOCAL"]}}, MINISTRY)
    [error] = body["errors"]
    assert "Argument 'filter.goalCategories'" in error["message"], error
    assert "local goals are not comparable" in error["message"], error


def test_a_goal_category_filter_reaches_the_function_as_stored_text(client: httpx.Client) -> None:
    from kkr.platform.services import aggregates as service
    from kkr.schema.aggregates.queries import request_of
    from kkr.schema.aggregates.types import AggregateFamily, AggregateFilter, AggregateSubtotals
    from kkr.schema.common.enums import GoalCategory

    request = request_of(
        AggregateFamily.CONTRACT_TARGETS,
        None,
        [],
        AggregateFilter(goal_categories=[GoalCategory.NATIONAL]),
        AggregateSubtotals.ROLLUP,
    )
    assert request.filter[service.Dimension.GOAL_CATEGORY] == ("national",)
    body = post(client, AGGREGATE, {"family": "CONTRACT_TARGETS", "filter": {"goalCategories": ["NATIONAL"]}}, MINISTRY)
    assert "errors" not in body and body["data"]["aggregate"]["cells"], body
