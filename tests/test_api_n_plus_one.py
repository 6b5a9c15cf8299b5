"""No N+1: the dashboard query issues the same number of SQL statements on small and on 10x larger data,
and so does the frontend's Dashboard operation (benchmark workload W1, per year and all years) on the demo
data and on the demo data scaled up by `benchmarks/synthetic.py`.

A database of its own (created here, dropped at the end) gets synthetic rows for
one tenant through the owner connection (ids are random uuid4); the query runs
through the real schema as the application role, with the tenant context from
the identity, and every statement is counted with a `before_cursor_execute`
event on the application engine.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from kkr.platform import migrate
from kkr.platform.auth.identity import Identity
from kkr.platform.context import RequestContext
from kkr.platform.database import Database, app_url_for
from kkr.platform.settings import Settings
from kkr.schema.schema import schema

from .conftest import create_database, drop_database

TENANT = "sjaelland"

# resultContracts without `first`: a page of up to 100 all the same, costed at a region's usual count
# (schema/limits/sizes.py); `first: 100` would be taken at its word, 100 contracts of 25 goals, over MAX_COST.
DASHBOARD = """
query Dashboard {
  region(slug: "sjaelland") {
    name
    businessHubs { nodes { name source { document { title } }
      offices { totalCount nodes { town kind municipality { name } history { totalCount } } } } }
    resultContracts {
      totalCount
      nodes {
        year title status reportedFulfilmentPct source { locator document { title } }
        businessHub { name }
        fulfilmentSummary { targets met partlyMet notMet notYetReported }
        goals { totalCount nodes {
          code title reportedFulfilmentPct history { totalCount }
          indicators { nodes { name
            targets { nodes { periodLabel comparator value
              latestResult { value revision }
              fulfilment { status pct } } } } } } }
      }
    }
  }
}
"""


@pytest.fixture(scope="module")
async def owner_url_nplus1(settings: Settings) -> AsyncIterator[URL]:
    url = await create_database("kkr_nplus1")
    await migrate.upgrade(url)
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        for statement in (
            "INSERT INTO region (slug, name, kkr_name, position) VALUES ('sjaelland', 'Sjælland', 'KKR Sjælland', 2)",
            "INSERT INTO source_document (key, title) VALUES ('seed-test', 'Synthetic test paper')",
            "INSERT INTO business_hub (slug, name, region_slug, source_document_key, source_locator)"
            " VALUES ('sjaelland', 'Erhvervshus Sjælland', 'sjaelland', 'seed-test', 'L1-2')",
            "INSERT INTO municipality (code, name, region_slug, business_hub_slug, urban_rural) VALUES"
            " ('340', 'Sorø', 'sjaelland', 'sjaelland', 'rural'), ('390', 'Vordingborg', 'sjaelland', 'sjaelland', 'rural')",
        ):
            await conn.execute(text(statement))
    await engine.dispose()
    yield url
    await drop_database(url)


async def add_rows(conn: AsyncConnection, *, contracts: int, offices: int, first_year: int) -> None:
    """`contracts` contracts (3 goals x 2 indicators x 2 targets x 2 results each) and `offices` offices."""
    await conn.execute(
        text("SELECT set_config('kkr.write_tenants', :t, true), set_config('kkr.actor', 'test', true)"), {"t": TENANT}
    )
    rows: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("office", "contract", "goal", "indicator", "target", "result")
    }
    for i in range(offices):
        rows["office"].append(
            {"id": uuid.uuid4(), "kind": "branch", "town": f"By {first_year}-{i}", "code": "340" if i % 2 else "390"}
        )
    for c in range(contracts):
        contract = uuid.uuid4()
        rows["contract"].append({"id": contract, "year": first_year + c, "title": f"Resultatkontrakt {first_year + c}"})
        for g in range(3):
            goal = uuid.uuid4()
            rows["goal"].append(
                {"id": goal, "contract": contract, "code": str(g + 1), "title": f"Mål {g + 1}", "position": g}
            )
            for n in range(2):
                indicator = uuid.uuid4()
                rows["indicator"].append({"id": indicator, "goal": goal, "position": n})
                for t in range(2):
                    target = uuid.uuid4()
                    rows["target"].append({"id": target, "indicator": indicator, "value": 50 + t})
                    for revision in (1, 2):
                        rows["result"].append(
                            {"id": uuid.uuid4(), "target": target, "revision": revision, "value": 40 + 10 * revision}
                        )
    statements = {
        "office": "INSERT INTO hub_office (tenant_id, id, business_hub_slug, kind, town, municipality_code)"
        " VALUES ('sjaelland', :id, 'sjaelland', :kind, :town, :code)",
        "contract": "INSERT INTO result_contract (tenant_id, id, business_hub_slug, year, title, status,"
        " source_document_key, source_locator) VALUES ('sjaelland', :id, 'sjaelland', :year, :title,"
        " 'signed', 'seed-test', 'L10-20')",
        "goal": "INSERT INTO goal (tenant_id, id, contract_id, code, category, title, position)"
        " VALUES ('sjaelland', :id, :contract, :code, 'local', :title, :position)",
        "indicator": "INSERT INTO indicator (tenant_id, id, goal_id, name, position)"
        " VALUES ('sjaelland', :id, :goal, 'Antal forløb', :position)",
        "target": "INSERT INTO target (tenant_id, id, indicator_id, period_label, unit, comparator, value)"
        " VALUES ('sjaelland', :id, :indicator, '2030', 'count', 'at_least', :value)",
        "result": "INSERT INTO result (tenant_id, id, target_id, revision, value)"
        " VALUES ('sjaelland', :id, :target, :revision, :value)",
    }
    for kind, statement in statements.items():
        if rows[kind]:
            await conn.execute(text(statement), rows[kind])


async def run_counted(db: Database, settings: Settings) -> tuple[dict[str, Any], int]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        context = RequestContext(
            db=db, settings=settings, identity=Identity(subject="t", scopes=frozenset({f"region:{TENANT}:read"}))
        )
        result = await schema.execute(DASHBOARD, context_value=context)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert result.errors is None and result.data is not None, result.errors
    return result.data, len(statements)


def sizes(data: dict[str, Any]) -> dict[str, int]:
    contracts = data["region"]["resultContracts"]["nodes"]
    goals = [g for c in contracts for g in c["goals"]["nodes"]]
    targets = [t for g in goals for i in g["indicators"]["nodes"] for t in i["targets"]["nodes"]]
    offices = data["region"]["businessHubs"]["nodes"][0]["offices"]["nodes"]
    return {
        "contracts": len(contracts),
        "goals": len(goals),
        "targets": len(targets),
        "offices": len(offices),
        "results": sum(1 for t in targets if t["latestResult"]["revision"] == 2),
    }


async def test_dashboard_statement_count_does_not_grow_with_the_data(owner_url_nplus1: URL, settings: Settings) -> None:
    owner = create_async_engine(owner_url_nplus1)
    db = Database(app_url_for(owner_url_nplus1, settings.app_db_role), pool_size=1)
    try:
        async with owner.begin() as conn:
            await add_rows(conn, contracts=2, offices=2, first_year=2030)
        await run_counted(db, settings)  # warm-up: connection set-up statements are not the query's
        small, small_count = await run_counted(db, settings)

        async with owner.begin() as conn:
            await add_rows(conn, contracts=18, offices=18, first_year=2040)
        large, large_count = await run_counted(db, settings)
    finally:
        await db.dispose()
        await owner.dispose()

    assert sizes(small) == {"contracts": 2, "goals": 6, "targets": 24, "offices": 2, "results": 24}
    assert sizes(large) == {"contracts": 20, "goals": 60, "targets": 240, "offices": 20, "results": 240}
    assert small["region"]["resultContracts"]["nodes"][0]["goals"]["nodes"][0]["indicators"]["nodes"][0]["targets"][
        "nodes"
    ][0]["fulfilment"] == {"status": "MET", "pct": "100"}
    assert large_count == small_count, f"{small_count} statements on small data, {large_count} on 10x data"
    assert small_count <= 20, f"{small_count} statements: one per loader and level expected"


# --- W1: the frontend's Dashboard operation on the demo data, then on the demo data scaled up ------------


@pytest.fixture(scope="module")
async def demo_url_nplus1(settings: Settings) -> AsyncIterator[URL]:
    """A database of its own with the demo data (tenants/), migrated to head."""
    from kkr.platform.importer.load import load

    url = await create_database("kkr_nplus1_demo")
    await migrate.upgrade(url)
    await load(url, settings.tenants_dir)
    yield url
    await drop_database(url)


async def run_dashboard(db: Database, settings: Settings, variables: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The frontend contract's Dashboard (benchmark workload W1) as region sjaelland's reader: answer, statements."""
    from benchmarks.workloads import DASHBOARD as W1

    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    context = RequestContext(
        db=db, settings=settings, identity=Identity(subject="t", scopes=frozenset({f"region:{TENANT}:read"}))
    )
    try:
        result = await schema.execute(W1, variable_values=variables, context_value=context)
    finally:
        await context.close()
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert result.errors is None and result.data is not None, result.errors
    return result.data, len(statements)


def dashboard_sizes(data: dict[str, Any]) -> tuple[int, int, int]:
    contracts = data["region"]["resultContracts"]["nodes"]
    goals = [g for c in contracts for g in c["goals"]["nodes"]]
    targets = [t for g in goals for i in g["indicators"]["nodes"] for t in i["targets"]["nodes"]]
    return len(contracts), len(goals), len(targets)


async def test_w1_dashboard_statement_count_is_the_same_on_demo_and_scaled_up_data(
    demo_url_nplus1: URL, settings: Settings
) -> None:
    """Per year and all years: one statement per loader and level (no N+1), whatever the data's size."""
    from benchmarks import synthetic

    db = Database(app_url_for(demo_url_nplus1, settings.app_db_role), pool_size=1)
    cases: dict[str, dict[str, Any]] = {"all years": {"region": TENANT}, "2020": {"region": TENANT, "year": 2020}}
    try:
        await run_dashboard(db, settings, cases["2020"])  # warm-up: connection set-up statements are not the query's
        demo = {name: await run_dashboard(db, settings, v) for name, v in cases.items()}
        # more contracts (3 more years, 1-3 versions each), 20 goals each, quarterly targets, results
        await synthetic.generate(demo_url_nplus1, 5000, 0.42, lambda _: None, years=3, slots=1)
        scaled = {name: await run_dashboard(db, settings, v) for name, v in cases.items()}
    finally:
        await db.dispose()

    demo_all, scaled_all = dashboard_sizes(demo["all years"][0]), dashboard_sizes(scaled["all years"][0])
    assert all(s > d for s, d in zip(scaled_all, demo_all, strict=True)), (demo_all, scaled_all)
    for name in cases:
        assert scaled[name][1] == demo[name][1], (
            f"{name}: {demo[name][1]} statements on the demo, {scaled[name][1]} scaled"
        )
    # set_config, region, hubs, contracts, offices, goals, indicators, targets, results
    assert demo["all years"][1] <= 9, demo["all years"][1]
