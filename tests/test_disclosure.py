"""Statistical disclosure control: the attack test.

For every primary suppressed cell of a returned table (CUBE of its dimensions), linear programming
(scipy.optimize.linprog) finds the smallest and largest value the cell can take given every published
cell and subtotal, every line relation and non-negativity; the interval must cover the true sum
-/+ the configured protection level (and the true count -/+ 1); a secondary cell's interval is never a
point (nothing suppressed can be recovered).  Demo data through the API, and
synthetic tables (random municipalities, some tiny, some dominant) in a database of their own.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from kkr.platform import migrate
from kkr.platform.database import Database, TenantContext, app_url_for
from kkr.platform.settings import Settings

from .conftest import create_database, drop_database
from .test_aggregates_helpers import TOTAL, aggregate, assert_protected, attack, by_key, true_cube

MINISTRY = TenantContext(flags=frozenset({"aggregates:read"}), actor="ministry")

DEMO_TABLES = [
    (
        "BENCHMARK_OBSERVATIONS",
        ["INDICATOR", "REGION"],
        {
            "indicators": [
                "hub-awareness-2020-09",
                "hub-green-awareness-2020-09",
                "kl-sundhed-t1-2-k1-maend-i-forskellige-aldre",
                "kl-sundhed-t1-2-k2-saerligt-udsatte-grupper",
            ]
        },
    ),
    ("BENCHMARK_OBSERVATIONS", ["REGION", "HUB"], {"indicators": ["hub-awareness-2020-09"]}),
    # every indicator without negative figures: a region's total over many small values
    ("BENCHMARK_OBSERVATIONS", ["INDICATOR", "REGION"], {"indicators": "every non-negative"}),
    ("MUNICIPALITY_FIGURES", ["REGION", "URBAN_RURAL", "INDICATOR"], {}),
    ("MUNICIPALITY_FIGURES", ["HUB", "URBAN_RURAL"], {"indicators": ["population"]}),
    ("MUNICIPALITY_FIGURES", ["URBAN_RURAL", "YEAR"], {"indicators": ["payment-business-hub"]}),
    # a region has one or two hubs: every (year, region) cell is primary, protected by hypercubes of primary
    # siblings found in one statement (rule 3, "first of all"), the region totals by the search
    ("CONTRACT_RESULTS", ["YEAR", "REGION"], {"units": ["count"]}),
    ("CONTRACT_TARGETS", ["REGION", "GOAL_CATEGORY", "YEAR"], {"units": ["percent"]}),
]
#: GraphQL filter fields -> the SQL function's filter keys
SQL_FILTER = {"indicators": "indicator", "units": "unit"}


@pytest.mark.usefixtures("demo_data")
@pytest.mark.parametrize(("family", "group_by", "filter"), DEMO_TABLES)
async def test_no_suppressed_demo_cell_can_be_recovered(
    client: httpx.Client, owner_engine: AsyncEngine, family: str, group_by: list[str], filter: dict[str, Any]
) -> None:
    if filter.get("indicators") == "every non-negative":
        async with owner_engine.connect() as conn:
            keys = (
                (
                    await conn.execute(
                        text(
                            "SELECT indicator_key FROM benchmark_observation GROUP BY 1"
                            " HAVING min(value) >= 0 ORDER BY 1"
                        )
                    )
                )
                .scalars()
                .all()
            )
        assert len(keys) > 50
        filter = {"indicators": keys}
    table = aggregate(
        client, family=family, groupBy=group_by, filter=filter, subtotals="CUBE", measures=["COUNT", "SUM"]
    )
    sql_filter = {SQL_FILTER[name]: values for name, values in filter.items()}
    truth = await true_cube(owner_engine, family.lower(), [d.lower() for d in group_by], sql_filter)
    assert all(v[0] >= 0 for v in truth.values())  # the attack assumes non-negative figures
    assert_protected(table, truth, table["rules"]["protectionPercent"])
    for key, cell in by_key(table).items():  # every cell has its true contributors, and the rules hold
        contributors = len(truth[key][2])
        if contributors < table["rules"]["minContributors"]:
            assert cell["reason"] == "FEW_CONTRIBUTORS", key
        elif not cell["suppressed"]:
            assert cell["contributors"] == contributors


# --- synthetic tables -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def synthetic() -> AsyncIterator[tuple[URL, AsyncEngine]]:
    """An empty migrated database of its own: reference tables filled by the tests below."""
    url = await create_database("kkr_disclosure")
    await migrate.upgrade(url)
    engine = create_async_engine(url)
    yield url, engine
    await engine.dispose()
    await drop_database(url)


async def fill(engine: AsyncEngine, seed: int) -> None:
    """Random regions and municipalities (1 to 7 per region, city or rural), two years of one additive
    measure; now and then a giant municipality (dominance) or a region of one or two municipalities."""
    rng = random.Random(seed)
    async with engine.begin() as conn:
        for table in (
            "municipality_figure",
            "municipality_population",
            "municipality",
            "municipality_measure",
            "business_hub",
            "region",
        ):
            await conn.execute(text(f"DELETE FROM {table}"))
        await conn.execute(
            text(
                "INSERT INTO municipality_measure (key, name, unit, additive)"
                " VALUES ('synthetic', 'Synthetic payments', 'dkk', true)"
            )
        )
        code = 100
        for r in range(1, rng.randint(3, 5) + 1):
            slug = f"r{r}"
            await conn.execute(
                text("INSERT INTO region (slug, name, kkr_name, position) VALUES (:s, :s, :s, :p)"), {"s": slug, "p": r}
            )
            await conn.execute(
                text("INSERT INTO business_hub (slug, name, region_slug) VALUES (:s, :s, :s)"), {"s": slug}
            )
            for _ in range(rng.choice([1, 2, 3, 4, 5, 6, 7])):
                code += 1
                await conn.execute(
                    text(
                        "INSERT INTO municipality (code, name, region_slug, business_hub_slug, urban_rural)"
                        " VALUES (:c, :c, :r, :r, :u)"
                    ),
                    {"c": str(code), "r": slug, "u": rng.choice(["city", "rural"])},
                )
                giant = rng.random() < 0.12
                for year in (2020, 2021):
                    if rng.random() < 0.9:
                        value = Decimal(round(rng.lognormvariate(10, 1) * (60 if giant else 1)))
                        await conn.execute(
                            text(
                                "INSERT INTO municipality_figure (municipality_code, measure, year, value)"
                                " VALUES (:c, 'synthetic', :y, :v)"
                            ),
                            {"c": str(code), "y": year, "v": value},
                        )


async def api_table(url: URL, group_by: list[str], protection: float = 10) -> dict[str, Any]:
    """The function's answer in the GraphQL answer's shape (the live server serves the demo database)."""
    app = Database(app_url_for(url, "kkr_app"), pool_size=1)
    try:
        async with app.transaction(MINISTRY, read_only=True) as session:
            rows = (
                await session.execute(
                    text(
                        "SELECT * FROM kkr_aggregate('municipality_figures', :g, '{\"indicator\": [\"synthetic\"]}',"
                        " 'cube', '{count,sum}', 3, '{1,2}', '{85,90}', :p)"
                    ),
                    {"g": group_by, "p": protection},
                )
            ).all()
    finally:
        await app.dispose()
    d = len(group_by)
    cells = [
        {
            "coordinates": [
                {"value": r.dimension_values[j], "total": bool(r.grouping_mask >> j & 1)} for j in range(d)
            ],
            "sum": r.value_sum,
            "count": r.value_count,
            "suppressed": r.suppressed,
            "reason": r.reason,
        }
        for r in rows
    ]
    return {"cells": cells}


SYNTHETIC_TABLES = [
    ["region", "urban_rural", "year"],
    ["region", "urban_rural"],
    ["urban_rural", "region"],
    ["region", "year"],
    ["region"],
]


async def test_no_suppressed_synthetic_cell_can_be_recovered(synthetic: tuple[URL, AsyncEngine]) -> None:
    url, engine = synthetic
    reasons: set[str] = set()
    pinned_without_secondary = 0
    for seed in range(12):
        await fill(engine, seed)
        for group_by in SYNTHETIC_TABLES:
            for protection in (10, 30):
                table = await api_table(url, group_by, protection)
                truth = await true_cube(engine, "municipality_figures", group_by, {"indicator": ["synthetic"]})
                assert_protected(table, truth, protection)
                reasons |= {c["reason"] for c in table["cells"] if c["reason"]}
            # Without the secondary suppressions the same attack recovers primary cells: the test has teeth.
            cells = by_key(table)
            primaries = [k for k, c in cells.items() if c["reason"] in ("FEW_CONTRIBUTORS", "DOMINANCE")]
            if primaries and len(group_by) > 1:
                published = {k: float(truth[k][0]) for k in cells if k not in primaries}
                for key, (low, high) in attack(published, primaries, primaries).items():
                    value = float(truth[key][0])
                    if high - low < 0.2 * value:
                        pinned_without_secondary += 1
    assert reasons == {"FEW_CONTRIBUTORS", "DOMINANCE", "SECONDARY"}
    assert pinned_without_secondary > 0


async def test_a_dominated_sum_is_suppressed(synthetic: tuple[URL, AsyncEngine]) -> None:
    url, engine = synthetic
    async with engine.begin() as conn:
        for name in ("municipality_figure", "municipality", "municipality_measure", "business_hub", "region"):
            await conn.execute(text(f"DELETE FROM {name}"))
        await conn.execute(text("INSERT INTO municipality_measure (key, name, unit) VALUES ('synthetic', 'x', 'dkk')"))
        await conn.execute(text("INSERT INTO region (slug, name, kkr_name, position) VALUES ('r1', 'r1', 'r1', 1)"))
        await conn.execute(text("INSERT INTO business_hub (slug, name, region_slug) VALUES ('r1', 'r1', 'r1')"))
        for code, value in (("101", 900), ("102", 50), ("103", 30), ("104", 20)):  # one holds 90 %
            await conn.execute(
                text(
                    "INSERT INTO municipality (code, name, region_slug, business_hub_slug, urban_rural)"
                    " VALUES (:c, :c, 'r1', 'r1', 'city')"
                ),
                {"c": code},
            )
            await conn.execute(
                text(
                    "INSERT INTO municipality_figure (municipality_code, measure, year, value)"
                    " VALUES (:c, 'synthetic', 2020, :v)"
                ),
                {"c": code, "v": value},
            )
    table = await api_table(url, ["region"])
    cells = by_key(table)
    assert cells[("r1",)]["reason"] == "DOMINANCE" and cells[("r1",)]["sum"] is None
    assert cells[(TOTAL,)]["reason"] == "DOMINANCE"  # the same four municipalities


@pytest.mark.parametrize("rules", [[[0, 85]], [[1, 0]], [[1, 100.5]], [[2, -5]]])
def test_dominance_rules_below_the_database_floors_stop_the_start(rules: list[list[float]]) -> None:
    """DISCLOSURE_DOMINANCE is checked when the settings are read (n >= 1, 0 < k <= 100, the floors of
    `kkr_aggregate`), not at the first aggregate."""
    with pytest.raises(ValidationError, match="disclosure_dominance"):
        Settings(disclosure_dominance=rules)
    assert Settings(disclosure_dominance=[(1, 100.0), (3, 0.5)]).disclosure_dominance == [(1, 100.0), (3, 0.5)]
